//! The pages an error answers a browser with: the error page itself, the
//! prompt to sign in through an organization's IdP, and the way to the log-in
//! page. `PageError` renders through them; they know no handler and no error
//! type of this crate.

use crate::chrome::{render_with, sso_start_path, Chrome};
use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use orgsso_service::{Entity, ServiceError, SsoRequired};

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    chrome: Chrome,
    status: String,
    message: String,
    code: StatusCode,
}

impl ErrorPage {
    pub fn new(status: StatusCode, message: String) -> Self {
        let status_text = format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        Self {
            // The error page has no caller at hand; it shows a neutral header.
            chrome: Chrome::neutral(),
            status: status_text,
            message,
            code: status,
        }
    }
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        render_with(self.code, &self)
    }
}

/// What a page URL nobody serves answers: a real 404 page.
pub async fn page_not_found() -> Response {
    let message = ServiceError::NotFound(Entity::Page).to_string();
    ErrorPage::new(StatusCode::NOT_FOUND, message).into_response()
}

/// The answer to a page that needs a signed-in user.
pub fn to_login() -> Response {
    Redirect::to("/login").into_response()
}

/// The log-in page, which brings the browser back to `next` afterwards.
pub fn login_path(next: &str) -> String {
    format!("/login?next={}", orgsso_saml::percent_encode(next))
}

/// The page a member without a live SSO session gets instead of the
/// organization's content. Its button starts the sign-in and comes back to
/// `return_to`.
#[derive(Template)]
#[template(path = "sso_required.html")]
struct SsoPromptPage {
    chrome: Chrome,
    org: String,
    start_url: String,
}

/// Marks a response as the SSO prompt of an organization, so the pages can
/// render it again for the page that was asked for.
#[derive(Clone, Debug)]
pub struct SsoPromptOf(pub SsoRequired);

/// The SSO prompt of `org` in `chrome`, returning to `return_to`.
pub fn sso_prompt(chrome: Chrome, org: String, return_to: &str) -> Response {
    let page = SsoPromptPage {
        chrome,
        start_url: sso_start_path(&org, return_to),
        org,
    };
    render_with(StatusCode::FORBIDDEN, &page)
}

/// The SSO prompt as an error answers it: no caller at hand, so a neutral
/// header and a button back to the organization's page.
pub fn sso_prompt_response(required: SsoRequired) -> Response {
    let org = required.org.to_string();
    let return_to = format!("/organizations/{org}");
    let mut response = sso_prompt(Chrome::neutral(), org, &return_to);
    response.extensions_mut().insert(SsoPromptOf(required));
    response
}
