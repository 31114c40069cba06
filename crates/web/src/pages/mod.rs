//! Server-rendered pages. Templates only display: view models here
//! precompute links, labels and flags.

mod account;
mod orgs;
mod repos;
mod sso;
mod sso_preview;

pub use account::parse_signup;

use crate::auth::Auth;
use crate::AppState;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Router;
use orgsso_store::Repo;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(account::routes())
        .merge(orgs::routes())
        .merge(repos::routes())
        .merge(sso::routes())
        .merge(sso_preview::routes())
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

/// The success notice a page shows after a redirect, named by its `?done=` key
/// so no request text is reflected. The keys are in URLs (and the service's
/// SSO test redirect names `tested` and `tested_other_identity`): keep them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    Signup,
    Verified,
    EmailAdded,
    EmailRemoved,
    EmailPrimary,
    EmailSent,
    Password,
    Profile,
    TokenRevoked,
    MemberAdded,
    MemberUpdated,
    MemberRemoved,
    Settings,
    RepoSaved,
    RepoDeleted,
    OrgCreated,
    SsoTested,
    SsoTestedOtherIdentity,
    SsoDomains,
    SsoRevoked,
    SsoUnlinked,
    SsoEnabled,
    SsoDisabled,
    SsoOptions,
}

impl Notice {
    const ALL: [Notice; 24] = [
        Self::Signup,
        Self::Verified,
        Self::EmailAdded,
        Self::EmailRemoved,
        Self::EmailPrimary,
        Self::EmailSent,
        Self::Password,
        Self::Profile,
        Self::TokenRevoked,
        Self::MemberAdded,
        Self::MemberUpdated,
        Self::MemberRemoved,
        Self::Settings,
        Self::RepoSaved,
        Self::RepoDeleted,
        Self::OrgCreated,
        Self::SsoTested,
        Self::SsoTestedOtherIdentity,
        Self::SsoDomains,
        Self::SsoRevoked,
        Self::SsoUnlinked,
        Self::SsoEnabled,
        Self::SsoDisabled,
        Self::SsoOptions,
    ];

    /// The `?done=` value.
    pub fn key(self) -> &'static str {
        match self {
            Self::Signup => "signup",
            Self::Verified => "verified",
            Self::EmailAdded => "email-added",
            Self::EmailRemoved => "email-removed",
            Self::EmailPrimary => "email-primary",
            Self::EmailSent => "email-sent",
            Self::Password => "password",
            Self::Profile => "profile",
            Self::TokenRevoked => "token-revoked",
            Self::MemberAdded => "member-added",
            Self::MemberUpdated => "member-updated",
            Self::MemberRemoved => "member-removed",
            Self::Settings => "settings",
            Self::RepoSaved => "repo-saved",
            Self::RepoDeleted => "repo-deleted",
            Self::OrgCreated => "org-created",
            Self::SsoTested => "tested",
            Self::SsoTestedOtherIdentity => "tested_other_identity",
            Self::SsoDomains => "domains",
            Self::SsoRevoked => "revoked",
            Self::SsoUnlinked => "unlinked",
            Self::SsoEnabled => "enabled",
            Self::SsoDisabled => "disabled",
            Self::SsoOptions => "options",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Signup => "Welcome! We sent you a link to verify your email address.",
            Self::Verified => "Your email address is verified.",
            Self::EmailAdded => "Email added. We sent a verification link to it.",
            Self::EmailRemoved => "Email removed.",
            Self::EmailPrimary => "Primary email changed.",
            Self::EmailSent => "We sent a new verification link.",
            Self::Password => "Password changed. Your other sessions were logged out.",
            Self::Profile => "Profile saved.",
            Self::TokenRevoked => "Token revoked.",
            Self::MemberAdded => "Member added.",
            Self::MemberUpdated => "Role changed.",
            Self::MemberRemoved => "Member removed.",
            Self::Settings => "Settings saved.",
            Self::RepoSaved => "Repository saved.",
            Self::RepoDeleted => "Repository deleted.",
            Self::OrgCreated => "Organization created. You are its admin.",
            Self::SsoTested => "Test passed: the identity provider signed you in with this configuration. You can enable it now.",
            Self::SsoTestedOtherIdentity => "Test passed: the identity provider answered well and its claims are shown below. But the email it asserted is not a verified email of your account, so you cannot enable this configuration: you could not get back in. Add and verify that email, or let an admin whose IdP identity matches their account test and enable it.",
            Self::SsoDomains => "Email domains saved.",
            Self::SsoRevoked => "SSO sessions revoked.",
            Self::SsoUnlinked => "SSO identity unlinked: the member's next sign-in links the subject the identity provider asserts then.",
            Self::SsoEnabled => "SSO enabled.",
            Self::SsoDisabled => "SSO disabled.",
            Self::SsoOptions => "Options saved.",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.key() == key)
    }

    /// `path` with this notice's `?done=` key: where a form's success redirects.
    pub fn at(self, path: &str) -> String {
        format!("{path}?done={}", self.key())
    }

    /// A redirect to `path` showing this notice.
    pub fn redirect(self, path: &str) -> Response {
        Redirect::to(&self.at(path)).into_response()
    }
}

/// The `?done=` query of a page; an unknown key shows no notice.
#[derive(serde::Deserialize, Default)]
pub struct Done {
    pub done: Option<String>,
}

impl Done {
    pub fn notice(&self) -> Option<&'static str> {
        self.done
            .as_deref()
            .and_then(Notice::from_key)
            .map(Notice::message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_round_trips_through_its_key() {
        let mut keys = std::collections::HashSet::new();
        for notice in Notice::ALL {
            assert_eq!(Notice::from_key(notice.key()), Some(notice), "{notice:?}");
            assert!(keys.insert(notice.key()), "{notice:?} repeats a key");
        }
        assert_eq!(Notice::from_key("<script>"), None);
        assert_eq!(
            Notice::RepoSaved.at("/alice/models/bert"),
            "/alice/models/bert?done=repo-saved"
        );
    }
}
