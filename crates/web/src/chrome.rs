//! What every HTML page shows around its content (who is signed in, a notice
//! or an error, the SSO banner) and how a page template becomes a response.
//! The error pages use it as the pages do, so it knows neither of them.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// What every page shows around its content.
pub struct Chrome {
    pub user: Option<String>,
    pub csrf: String,
    pub notice: Option<&'static str>,
    pub error: Option<String>,
    /// Organizations asking the viewer to sign in through their IdP (S7).
    pub sso_banner: Vec<SsoBanner>,
}

impl Chrome {
    /// A header for no one in particular, with forms that carry no token:
    /// what a page shows when it has no caller at hand.
    pub fn neutral() -> Self {
        Self {
            user: None,
            csrf: String::new(),
            notice: None,
            error: None,
            sso_banner: Vec::new(),
        }
    }
    pub fn with_sso_banner(mut self, banner: Vec<SsoBanner>) -> Self {
        self.sso_banner = banner;
        self
    }
    pub fn with_notice(mut self, notice: Option<&'static str>) -> Self {
        self.notice = notice;
        self
    }
    pub fn with_error(mut self, error: impl Into<String>) -> Self {
        self.error = Some(error.into());
        self
    }
}

/// One organization in the SSO banner, with the link that starts its
/// sign-in and brings the member back to this page.
pub struct SsoBanner {
    pub org: String,
    pub enforced: bool,
    pub start_url: String,
}

impl SsoBanner {
    pub fn new(org: &str, enforced: bool, return_to: &str) -> Self {
        Self {
            org: org.to_owned(),
            enforced,
            start_url: sso_start_path(org, return_to),
        }
    }
}

/// The path that starts `org`'s SSO and lands on `return_to` afterwards.
pub fn sso_start_path(org: &str, return_to: &str) -> String {
    format!(
        "/organizations/{org}/sso?return_to={}",
        orgsso_saml::percent_encode(return_to)
    )
}

/// Renders a template; a rendering failure is logged and answered with a fixed 500.
pub fn render<T: Template>(template: &T) -> Response {
    render_with(StatusCode::OK, template)
}

pub fn render_with<T: Template>(status: StatusCode, template: &T) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template rendering failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "something went wrong on our side",
            )
                .into_response()
        }
    }
}
