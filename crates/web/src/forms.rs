//! Input extractors that turn malformed input into clear 4xx answers: HTML
//! forms checked against the caller's CSRF token, JSON bodies, path names.

use crate::auth::Auth;
use crate::error::{PageError, WebError};
use axum::extract::{FromRequest, Request};
use axum::{Form, Json};
use serde::de::DeserializeOwned;
use serde::Deserialize;

#[derive(Deserialize)]
struct WithCsrf<T> {
    #[serde(default)]
    csrf_token: String,
    #[serde(flatten)]
    inner: T,
}

/// A form body whose `csrf_token` field matched the caller's.
pub struct CsrfForm<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let auth = request.extensions().get::<Auth>().cloned();
        let Form(body) = Form::<WithCsrf<T>>::from_request(request, state)
            .await
            .map_err(|r| WebError::BadRequest(r.body_text()))?;
        match auth {
            Some(auth) => auth.check_csrf(&body.csrf_token)?,
            None => return Err(WebError::Csrf.into()),
        }
        Ok(CsrfForm(body.inner))
    }
}

/// A JSON body; a malformed one is a 400, 413, 415 or 422 naming what is wrong.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Json::<T>::from_request(request, state)
            .await
            .map(|Json(v)| ApiJson(v))
            .map_err(WebError::from)
    }
}

/// An organization named in a path. A name that cannot exist is simply not found.
pub fn org_name(raw: &str) -> Result<orgsso_core::OrgName, WebError> {
    orgsso_core::OrgName::parse(raw).map_err(|_| {
        orgsso_service::ServiceError::NotFound(orgsso_service::Entity::Organization).into()
    })
}
