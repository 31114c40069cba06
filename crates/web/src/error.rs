//! `WebError`: the one error type of every handler. JSON routes answer
//! `{"error":{"code","message","field"?}}`; page routes render the same
//! error as HTML through [`PageError`]. A 5xx never shows its cause: it is
//! logged with the request's id and the body is fixed. Requests refused
//! before a handler runs (a path parameter that does not parse, a body that
//! is not JSON or too large, a method the path does not have) get the same
//! shapes through [`uniform_errors`].

use crate::error_page::{self, ErrorPage};
use axum::extract::rejection::JsonRejection;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use orgsso_core::{Denied, FieldError};
use orgsso_service::ServiceError;
use orgsso_store::StoreError;
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
    /// Refused by an extractor or the router before any handler ran.
    #[error("{message}")]
    Rejected { status: StatusCode, message: String },
}

impl From<JsonRejection> for WebError {
    fn from(rejection: JsonRejection) -> Self {
        WebError::Rejected {
            status: rejection.status(),
            message: rejection.body_text(),
        }
    }
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
            WebError::Rejected { status, .. } => *status,
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
                S::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
                S::Store(_) | S::Hashing => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    /// The status when a form is shown again with this error above it. An
    /// identity provider refused while saving its settings is for the admin
    /// to fix in the form, a 422; refusing a sign-in stays a 403.
    pub fn form_status(&self) -> StatusCode {
        match self {
            WebError::Service(ServiceError::SsoRefused(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            other => other.status(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            WebError::Csrf => "csrf",
            WebError::BadRequest(_) => "bad_request",
            WebError::BadToken => "bad_token",
            WebError::Rejected { status, .. } => match *status {
                StatusCode::NOT_FOUND => "not_found",
                StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
                StatusCode::REQUEST_TIMEOUT => "request_timeout",
                StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                StatusCode::UNPROCESSABLE_ENTITY => "invalid",
                status if status.is_server_error() => "internal",
                _ => "bad_request",
            },
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
            return error_page::to_login();
        }
        if let WebError::Service(ServiceError::SsoRequired(required)) = err {
            return error_page::sso_prompt_response(required);
        }
        let status = err.status();
        let page = ErrorPage::new(status, err.public_message());
        let mut response = (status, page).into_response();
        err.add_retry_after(&mut response);
        response
    }
}

/// Longest body of a framework refusal read back to reuse its wording.
const REFUSAL_TEXT_LIMIT: usize = 4096;

/// Gives every error the shape of its audience. Under `/api`, an error that
/// is not JSON yet (an extractor's or the router's plain text, or an empty
/// 405) becomes `{"error":{"code","message"}}`, keeping its status and its
/// `Allow`, `Retry-After` and `WWW-Authenticate` headers. Elsewhere an error
/// with an empty body gets the HTML error page.
pub async fn uniform_errors(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let api = path == "/api" || path.starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    if !status.is_client_error() && !status.is_server_error() {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(HeaderValue::as_bytes)
        .unwrap_or_default();
    let is_json = content_type.starts_with(b"application/json");
    if is_json || (!api && !content_type.is_empty()) {
        return response;
    }
    // Plain text is a framework's wording, worth keeping; a page is not.
    let plain = content_type.is_empty() || content_type.starts_with(b"text/plain");
    let (parts, body) = response.into_parts();
    let text = match plain {
        true => axum::body::to_bytes(body, REFUSAL_TEXT_LIMIT)
            .await
            .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
            .unwrap_or_default(),
        false => String::new(),
    };
    let message = if text.is_empty() {
        match status {
            StatusCode::METHOD_NOT_ALLOWED => "this path does not take this method".to_owned(),
            _ => status.canonical_reason().unwrap_or("error").to_lowercase(),
        }
    } else {
        text
    };
    let error = WebError::Rejected { status, message };
    let mut fresh = if api {
        error.into_response()
    } else {
        PageError(error).into_response()
    };
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(value) = parts.headers.get(&name) {
            fresh.headers_mut().insert(name, value.clone());
        }
    }
    fresh
}
