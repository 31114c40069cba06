//! The HTTP surface of orgsso: server-rendered pages, the JSON API and its
//! OpenAPI document, health, readiness and metrics. Handlers parse input,
//! call the service (which asks the policy) and render; nothing here decides
//! who may do what.

mod api;
mod auth;
mod chrome;
mod error;
mod error_page;
mod forms;
mod observability;
mod openapi;
mod pages;

pub use auth::{CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE};
pub use error::WebError;
pub use observability::Metrics;

use axum::Router;
use orgsso_core::Timestamp;
use orgsso_service::Hub;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct WebConfig {
    pub base_url: String,
    /// Cookies get `Secure` when the hub is served over https.
    pub secure_cookies: bool,
}

impl WebConfig {
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            secure_cookies: base_url.starts_with("https://"),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub hub: Hub,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(hub: Hub, config: WebConfig) -> Self {
        Self {
            hub,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
        }
    }

    /// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure on https.
    /// `expires_at: None` makes a session cookie of the browser.
    pub(crate) fn cookie(&self, name: &str, value: &str, expires_at: Option<Timestamp>) -> String {
        let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
        if let Some(at) = expires_at {
            let max_age = (at.unix() - self.hub.now().unix()).max(0);
            cookie.push_str(&format!("; Max-Age={max_age}"));
        }
        if self.config.secure_cookies {
            cookie.push_str("; Secure");
        }
        cookie
    }

    pub(crate) fn expired_cookie(&self, name: &str) -> String {
        let secure = if self.config.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
    }
}

/// Every route of the hub, with authentication, request ids, tracing and metrics.
/// Errors keep one shape per audience: JSON under `/api`, an HTML page elsewhere.
pub fn router(state: AppState) -> Router {
    let app = Router::new()
        .merge(pages::routes())
        .nest("/api", api::router())
        .fallback(error_page::page_not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::resolve_caller,
        ));
    observability::wrap(app.merge(observability::routes()), state.clone())
        .layer(axum::middleware::from_fn(error::uniform_errors))
        .with_state(state)
}
