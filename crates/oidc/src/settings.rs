//! What an organization admin configures for an OIDC IdP, and the callback URL it is bound to.

use orgsso_core::Secret;
use std::fmt;

/// An organization's OIDC client registration at its IdP.
#[derive(Clone, Debug)]
pub struct ProviderSettings {
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: Secret<String>,
    /// Requested in addition to `openid`, which is always sent.
    pub scopes: Vec<String>,
    pub email_claim: EmailClaim,
    /// OIDC `max_age`: the most seconds since the member last authenticated at the IdP;
    /// sent with every request and checked against the ID token's `auth_time`.
    pub max_age_s: Option<u32>,
    /// `prompt=login`: the IdP asks for credentials again even within its own session.
    pub prompt_login: bool,
}

impl ProviderSettings {
    /// `openid email profile` by default; Azure-style IdPs may need more.
    pub fn default_scopes() -> Vec<String> {
        vec!["email".to_owned(), "profile".to_owned()]
    }
}

/// Which claim carries the address matched against the hub account's verified emails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EmailClaim {
    #[default]
    Email,
    /// Azure AD / Entra ID user principal name.
    Upn,
    PreferredUsername,
}

impl EmailClaim {
    pub const ALL: [EmailClaim; 3] = [Self::Email, Self::Upn, Self::PreferredUsername];

    /// The claim's name in the ID token or userinfo JSON; also the stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Upn => "upn",
            Self::PreferredUsername => "preferred_username",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw.trim())
    }
}

impl fmt::Display for EmailClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The organization's callback URL, registered at the IdP and sent with every request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectUri(openidconnect::RedirectUrl);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the callback URL {value:?} is not an absolute http(s) URL")]
pub struct InvalidRedirectUri {
    pub value: String,
}

impl RedirectUri {
    pub fn parse(raw: &str) -> Result<Self, InvalidRedirectUri> {
        let invalid = || InvalidRedirectUri {
            value: raw.to_owned(),
        };
        let url = openidconnect::RedirectUrl::new(raw.to_owned()).map_err(|_| invalid())?;
        if !matches!(url.url().scheme(), "http" | "https") || url.url().fragment().is_some() {
            return Err(invalid());
        }
        Ok(Self(url))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub(crate) fn inner(&self) -> &openidconnect::RedirectUrl {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_claims_round_trip_through_their_names() {
        for claim in EmailClaim::ALL {
            assert_eq!(EmailClaim::parse(claim.as_str()), Some(claim));
        }
        assert_eq!(EmailClaim::parse("mail"), None);
    }

    #[test]
    fn redirect_uri_must_be_absolute_http() {
        assert!(RedirectUri::parse("https://hub.example/organizations/acme/oidc/callback").is_ok());
        assert!(RedirectUri::parse("/organizations/acme/oidc/callback").is_err());
        assert!(RedirectUri::parse("javascript:alert(1)").is_err());
        assert!(RedirectUri::parse("https://hub.example/cb#frag").is_err());
    }

    #[test]
    fn settings_debug_hides_the_client_secret() {
        let s = ProviderSettings {
            issuer_url: "https://idp.example".into(),
            client_id: "hub".into(),
            client_secret: Secret::new("s3cr3t-value".into()),
            scopes: ProviderSettings::default_scopes(),
            email_claim: EmailClaim::Email,
            max_age_s: None,
            prompt_login: false,
        };
        assert!(!format!("{s:?}").contains("s3cr3t-value"));
    }
}
