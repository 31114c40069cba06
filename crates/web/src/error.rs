//! `WebError`: the one error type of every handler. JSON routes answer
//! `{"error":{"code","message","field"?}}`; page routes render the same
//! error as HTML through [`PageError`]. A 5xx never shows its cause: it is
//! logged with the request's id and the body is fixed.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use orgsso_core::{Denied, FieldError};
use orgsso_service::ServiceError;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error("the form was stale or came from another site; reload the page and try again")]
    Csrf,
    #[error("{0}")]
    BadRequest(String),
    #[error("the access token is invalid or revoked")]
    BadToken,
}

impl From<FieldError> for WebError {
    fn from(err: FieldError) -> Self {
        WebError::Service(ServiceError::Invalid(err))
    }
}

impl From<Denied> for WebError {
    fn from(err: Denied) -> Self {
        WebError::Service(ServiceError::Denied(err))
    }
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        use ServiceError as S;
        match self {
            WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::BadToken => StatusCode::UNAUTHORIZED,
            WebError::Service(err) => match err {
                S::Invalid(_) | S::WrongCurrentPassword | S::Precondition(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                S::Conflict(_) | S::LastAdmin | S::DomainClaimed { .. } => StatusCode::CONFLICT,
                S::NotFound(_) | S::Denied(Denied::NotFound) => StatusCode::NOT_FOUND,
                S::Denied(Denied::LoginRequired) | S::BadCredentials => StatusCode::UNAUTHORIZED,
                S::Denied(_) | S::SsoRefused(_) | S::SsoRequired(_) | S::SessionRequired => {
                    StatusCode::FORBIDDEN
                }
                S::InvalidLink => StatusCode::BAD_REQUEST,
                S::TooManyAttempts { .. } | S::TooManyMails { .. } => StatusCode::TOO_MANY_REQUESTS,
                S::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
                S::Store(_) | S::Hashing => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            WebError::Csrf => "csrf",
            WebError::BadRequest(_) => "bad_request",
            WebError::BadToken => "bad_token",
            WebError::Service(err) => err.code(),
        }
    }

    /// The field to fix, for form and API validation errors.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            WebError::Service(ServiceError::Invalid(f)) => Some(f.field),
            WebError::Service(ServiceError::WrongCurrentPassword) => Some("current_password"),
            WebError::Service(ServiceError::DomainClaimed { .. }) => Some("domain"),
            _ => None,
        }
    }

    /// A 5xx that is a fault, not the documented "busy, retry" answer.
    fn is_internal(&self) -> bool {
        self.status().is_server_error()
            && !matches!(self, WebError::Service(ServiceError::Busy { .. }))
    }

    /// What a user may read. Internal causes stay in the logs.
    pub fn public_message(&self) -> String {
        if self.is_internal() {
            return "something went wrong on our side; try again later".into();
        }
        match self {
            WebError::Service(ServiceError::Conflict(unique)) => {
                format!("{unique} is already taken")
            }
            other => other.to_string(),
        }
    }

    /// RFC 9110 `Retry-After` on a refusal that only time lifts.
    fn add_retry_after(&self, response: &mut Response) {
        if let WebError::Service(
            ServiceError::TooManyAttempts { retry_after_s }
            | ServiceError::TooManyMails { retry_after_s }
            | ServiceError::Busy { retry_after_s },
        ) = self
        {
            if let Ok(value) = axum::http::HeaderValue::from_str(&retry_after_s.to_string()) {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, value);
            }
        }
    }

    /// RFC 9110 asks every 401 to name a scheme; RFC 6750 says how for bearer tokens.
    fn add_www_authenticate(&self, response: &mut Response) {
        if self.status() != StatusCode::UNAUTHORIZED {
            return;
        }
        let challenge = match self {
            WebError::BadToken => r#"Bearer error="invalid_token""#,
            _ => "Bearer",
        };
        response.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static(challenge),
        );
    }

    fn log_if_internal(&self) {
        if self.is_internal() {
            tracing::error!(error = ?self, "request failed");
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        self.log_if_internal();
        let mut error = json!({ "code": self.code(), "message": self.public_message() });
        if let Some(field) = self.field() {
            error["field"] = json!(field);
        }
        // A script can tell its user which organization wants them and where to go.
        if let WebError::Service(ServiceError::SsoRequired(required)) = &self {
            error["org"] = json!(required.org.as_str());
            error["sso_url"] = json!(required.sso_url);
        }
        let mut response = (self.status(), Json(json!({ "error": error }))).into_response();
        self.add_retry_after(&mut response);
        self.add_www_authenticate(&mut response);
        response
    }
}

/// The same errors, rendered for a browser.
#[derive(Debug)]
pub struct PageError(pub WebError);

impl<E: Into<WebError>> From<E> for PageError {
    fn from(err: E) -> Self {
        PageError(err.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let err = self.0;
        err.log_if_internal();
        if matches!(
            err,
            WebError::Service(ServiceError::Denied(Denied::LoginRequired))
        ) {
            return Redirect::to("/login").into_response();
        }
        if let WebError::Service(ServiceError::SsoRequired(required)) = err {
            return crate::pages::sso_prompt_response(required);
        }
        let status = err.status();
        let page = crate::pages::ErrorPage::new(status, err.public_message());
        let mut response = (status, page).into_response();
        err.add_retry_after(&mut response);
        response
    }
}
