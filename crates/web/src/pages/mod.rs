//! Server-rendered pages. Templates only display: view models here
//! precompute links, labels and flags.

mod account;
mod orgs;
mod repos;
mod sso;

pub use account::parse_signup;

use crate::auth::Auth;
use crate::AppState;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use orgsso_store::Repo;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(account::routes())
        .merge(orgs::routes())
        .merge(repos::routes())
        .merge(sso::routes())
}

/// What every page shows around its content.
pub struct Chrome {
    pub user: Option<String>,
    pub csrf: String,
    pub notice: Option<&'static str>,
    pub error: Option<String>,
}

impl Chrome {
    pub fn new(auth: &Auth) -> Self {
        Self {
            user: auth.user().map(|u| u.username.to_string()),
            csrf: auth.csrf_token.clone(),
            notice: None,
            error: None,
        }
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
        // The error page has no caller at hand; it shows a neutral header.
        let chrome = Chrome {
            user: None,
            csrf: String::new(),
            notice: None,
            error: None,
        };
        let status_text = format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        );
        Self {
            chrome,
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

pub struct RepoLink {
    pub href: String,
    pub label: String,
    pub kind: &'static str,
    pub visibility: &'static str,
}

impl RepoLink {
    pub fn of(repo: &Repo) -> Self {
        Self {
            href: repo_href(repo),
            label: format!("{}/{}", repo.owner_name, repo.name),
            kind: repo.kind.as_str(),
            visibility: repo.visibility.as_str(),
        }
    }
}

pub fn repo_href(repo: &Repo) -> String {
    format!("/{}/{}/{}", repo.kind.plural(), repo.owner_name, repo.name)
}

pub struct SelectOption {
    pub value: String,
    pub selected: bool,
}

pub fn options<'a>(values: impl IntoIterator<Item = &'a str>, selected: &str) -> Vec<SelectOption> {
    values
        .into_iter()
        .map(|v| SelectOption {
            value: v.to_owned(),
            selected: v == selected,
        })
        .collect()
}

/// Fixed success messages, chosen by a `?done=` key so no request text is reflected.
pub fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "signup" => "Welcome! We sent you a link to verify your email address.",
        "verified" => "Your email address is verified.",
        "email-added" => "Email added. We sent a verification link to it.",
        "email-removed" => "Email removed.",
        "email-primary" => "Primary email changed.",
        "email-sent" => "We sent a new verification link.",
        "password" => "Password changed. Your other sessions were logged out.",
        "profile" => "Profile saved.",
        "token-revoked" => "Token revoked.",
        "member-added" => "Member added.",
        "member-updated" => "Role changed.",
        "member-removed" => "Member removed.",
        "settings" => "Settings saved.",
        "repo-saved" => "Repository saved.",
        "repo-deleted" => "Repository deleted.",
        "org-created" => "Organization created. You are its admin.",
        _ => return None,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct Done {
    pub done: Option<String>,
}
