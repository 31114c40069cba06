//! Who is calling: resolved once per request by [`resolve_caller`] from a
//! bearer token or the session cookie, and read by handlers through the
//! [`Auth`] extractor. CSRF tokens are checked here too: a session's own
//! token for logged-in browsers, a double-submit cookie before login.

use crate::error::WebError;
use crate::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use orgsso_core::Entropy;
use orgsso_service::Caller;
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "orgsso_session";
pub const CSRF_COOKIE: &str = "orgsso_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Anonymous,
    Session,
    Token,
}

/// The caller of this request and the CSRF token its forms must carry.
#[derive(Clone, Debug)]
pub struct Auth {
    pub caller: Caller,
    pub via: Via,
    pub csrf_token: String,
}

impl Auth {
    pub fn user(&self) -> Option<&orgsso_store::User> {
        self.caller.user.as_ref()
    }

    /// Checks a submitted CSRF token in constant time.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), WebError> {
        if self.via == Via::Token {
            return Ok(()); // a bearer token is not ambient authority
        }
        let expected = self.csrf_token.as_bytes();
        if !expected.is_empty() && bool::from(expected.ct_eq(submitted.as_bytes())) {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Auth>()
            .cloned()
            .ok_or_else(|| WebError::BadRequest("authentication was not resolved".into()))
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// The token of `Authorization: Bearer <token>`. The scheme is case-insensitive
/// (RFC 9110 §11.1); anything else is no bearer token.
/// A failed session or token lookup (the database down): JSON for the API,
/// the error page for a browser.
fn failure(is_api: bool, err: orgsso_service::ServiceError) -> Response {
    if is_api {
        WebError::from(err).into_response()
    } else {
        crate::error::PageError::from(err).into_response()
    }
}

fn bearer_token(value: &HeaderValue) -> Option<&str> {
    let (scheme, token) = value.to_str().ok()?.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Middleware: resolves the caller, enforces CSRF on cookie-authenticated
/// API writes, and hands anonymous browsers a double-submit CSRF cookie.
/// An unknown bearer token is a 401 on the API; on a page it is ignored.
pub async fn resolve_caller(
    State(app): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let is_api = is_api_path(request.uri().path());
    let mut new_csrf_cookie = None;
    let mut by_token = None;
    if let Some(value) = headers.get(AUTHORIZATION) {
        let found = match bearer_token(value) {
            Some(token) => match app.hub.caller_from_token(token).await {
                Ok(found) => found,
                Err(err) => return failure(is_api, err),
            },
            None => None,
        };
        match found {
            Some(caller) => {
                by_token = Some(Auth {
                    caller,
                    via: Via::Token,
                    csrf_token: String::new(),
                })
            }
            // A page is public or asks for a login itself: a stale or foreign
            // `Authorization` header must not turn it into a bare 401.
            None if !is_api => {}
            None => return WebError::BadToken.into_response(),
        }
    }
    let auth = if let Some(auth) = by_token {
        auth
    } else {
        let session = match cookie(headers, SESSION_COOKIE) {
            Some(value) => match app.hub.caller_from_session(value).await {
                Ok(found) => found,
                Err(err) => return failure(is_api, err),
            },
            None => None,
        };
        match session {
            Some(caller) => {
                let csrf_token = caller
                    .session
                    .as_ref()
                    .map(|s| s.csrf_token.clone())
                    .unwrap_or_default();
                Auth {
                    caller,
                    via: Via::Session,
                    csrf_token,
                }
            }
            None => {
                let csrf_token = match cookie(headers, CSRF_COOKIE) {
                    Some(v) if v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
                        v.to_owned()
                    }
                    _ => {
                        let fresh = orgsso_core::OsEntropy.token().expose().to_owned();
                        new_csrf_cookie = Some(fresh.clone());
                        fresh
                    }
                };
                Auth {
                    caller: Caller::anonymous(),
                    via: Via::Anonymous,
                    csrf_token,
                }
            }
        }
    };
    let is_api_write = is_api
        && !matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        );
    if is_api_write && auth.via == Via::Session {
        let submitted = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if let Err(err) = auth.check_csrf(submitted) {
            return err.into_response();
        }
    }
    request.extensions_mut().insert(auth);
    let mut response = next.run(request).await;
    if let Some(token) = new_csrf_cookie {
        let cookie = app.cookie(CSRF_COOKIE, &token, None);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        for header in [
            "Bearer osso_x",
            "bearer osso_x",
            "BEARER  osso_x ",
            " bEaReR osso_x",
        ] {
            let value = HeaderValue::from_str(header).unwrap();
            assert_eq!(bearer_token(&value), Some("osso_x"), "{header:?}");
        }
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_no_bearer_token() {
        for header in [
            "Basic YWxpY2U6cHc=",
            "Bearer",
            "Bearer   ",
            "Bearerosso_x",
            "osso_x",
        ] {
            let value = HeaderValue::from_str(header).unwrap();
            assert_eq!(bearer_token(&value), None, "{header:?}");
        }
    }
}
