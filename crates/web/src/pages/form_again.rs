//! A form that failed in a way its user can fix is shown again: the same
//! page, the fields as they were typed, the error's message above them.

use super::{render_with, Chrome};
use crate::auth::Auth;
use crate::error::{PageError, WebError};
use askama::Template;
use axum::response::Response;
use std::future::Future;

/// Answers `err` with the form's page built again by `page` around a chrome
/// that carries the error's message, at the error's form status. An error
/// the user cannot fix (a 5xx) gets the error page instead.
pub async fn form_again<P, Fut>(
    auth: &Auth,
    err: WebError,
    page: impl FnOnce(Chrome) -> Fut,
) -> Result<Response, PageError>
where
    P: Template,
    Fut: Future<Output = Result<P, PageError>>,
{
    if !err.status().is_client_error() {
        return Err(err.into());
    }
    let chrome = Chrome::new(auth).with_error(err.public_message());
    let page = page(chrome).await?;
    Ok(render_with(err.form_status(), &page))
}
