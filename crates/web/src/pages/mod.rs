//! Server-rendered pages. Templates only display: view models here
//! precompute links, labels and flags.

mod account;
mod form_again;
mod orgs;
mod repos;
mod sso;
mod sso_audit;
mod sso_preview;

pub use account::parse_signup;

pub use crate::chrome::{render, render_with, sso_start_path, Chrome, SsoBanner};
pub use crate::error_page::login_path;

use crate::auth::Auth;
use crate::error_page::{sso_prompt, SsoPromptOf};
use crate::AppState;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Router;
use orgsso_store::Repo;

pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(account::routes())
        .merge(orgs::routes())
        .merge(repos::routes())
        .merge(sso::routes())
        .merge(sso_preview::routes())
        .merge(sso_audit::routes())
        .layer(axum::middleware::from_fn(return_to_requested_page))
}

// Built here, not in `chrome`: the error pages share that module, and the
// errors sit below `auth`, so it cannot know the caller.
impl Chrome {
    /// The chrome of a page for this request's caller: their name in the
    /// header and their CSRF token in its forms.
    pub fn new(auth: &Auth) -> Self {
        Self {
            user: auth.user().map(|u| u.username.to_string()),
            csrf: auth.csrf_token.clone(),
            ..Self::neutral()
        }
    }
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
    sso_prompt(Chrome::new(&auth), org, &return_to)
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

    #[test]
    fn the_page_to_return_to_is_percent_encoded_into_the_log_in_path() {
        let next = sso_start_path("acme", "/organizations/acme/members?a=b&c");
        assert_eq!(
            login_path(&next),
            "/login?next=%2Forganizations%2Facme%2Fsso%3Freturn_to%3D\
             %252Forganizations%252Facme%252Fmembers%253Fa%253Db%2526c"
        );
    }
}
