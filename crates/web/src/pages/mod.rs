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
        .layer(axum::middleware::from_fn(return_to_requested_page))
}

/// What every page shows around its content.
pub struct Chrome {
    pub user: Option<String>,
    pub csrf: String,
    pub notice: Option<&'static str>,
    pub error: Option<String>,
    /// Organizations asking the viewer to sign in through their IdP (S7).
    pub sso_banner: Vec<SsoBanner>,
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

impl Chrome {
    pub fn new(auth: &Auth) -> Self {
        Self {
            user: auth.user().map(|u| u.username.to_string()),
            csrf: auth.csrf_token.clone(),
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
            sso_banner: Vec::new(),
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

/// The page a member without a live SSO session gets instead of the
/// organization's content. Its button returns to the page they asked for:
/// [`return_to_requested_page`] fills that in from the request.
#[derive(Template)]
#[template(path = "sso_required.html")]
pub struct SsoPromptPage {
    chrome: Chrome,
    org: String,
    start_url: String,
}

/// Marks a response as the SSO prompt of `org`, for [`return_to_requested_page`].
#[derive(Clone, Debug)]
struct SsoPromptOf(orgsso_service::SsoRequired);

pub fn sso_prompt_response(required: orgsso_service::SsoRequired) -> Response {
    let org = required.org.to_string();
    let page = SsoPromptPage {
        chrome: neutral_chrome(),
        start_url: sso_start_path(&org, &format!("/organizations/{org}")),
        org,
    };
    let mut response = render_with(StatusCode::FORBIDDEN, &page);
    response.extensions_mut().insert(SsoPromptOf(required));
    response
}

/// Renders the SSO prompt again with a button that returns to the page the
/// member asked for (a GET), now that the request is at hand; the header
/// shows who is signed in.
pub async fn return_to_requested_page(
    auth: Auth,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let asked_for = (request.method() == axum::http::Method::GET)
        .then(|| {
            request
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
        })
        .flatten();
    let response = next.run(request).await;
    let Some(SsoPromptOf(required)) = response.extensions().get::<SsoPromptOf>().cloned() else {
        return response;
    };
    let org = required.org.to_string();
    let return_to = asked_for.unwrap_or_else(|| format!("/organizations/{org}"));
    let page = SsoPromptPage {
        chrome: Chrome::new(&auth),
        start_url: sso_start_path(&org, &return_to),
        org,
    };
    render_with(StatusCode::FORBIDDEN, &page)
}

fn neutral_chrome() -> Chrome {
    Chrome {
        user: None,
        csrf: String::new(),
        notice: None,
        error: None,
        sso_banner: Vec::new(),
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
