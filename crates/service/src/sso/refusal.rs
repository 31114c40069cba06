//! Why an SSO sign-in was refused: one variant per check. Each knows its
//! stable code (audit exports and API clients match on it: never change one),
//! what the member is told, and the exact check for the admin (audit log,
//! settings page). A store failure is never a refusal: [`SignInError`] keeps
//! the two apart, so an outage answers as an outage.

use crate::{Precondition, ServiceError};
use orgsso_core::{Denied, OrgName, Username};
use orgsso_store::{SsoConfigId, SsoPurpose, StoreError};

/// The generic answer when the IdP's response failed a protocol check; the
/// admin sees which one.
const ANSWER_NOT_ACCEPTED: &str = "Your identity provider's answer could not be accepted, so you are not signed in. Try again; if it keeps failing, tell an organization admin (they can see the exact reason).";

const CONFIGURATION_BROKEN: &str =
    "The organization's SSO configuration is broken. Tell an organization admin.";

/// Why a sign-in through the organization's IdP was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SsoRefusal {
    /// No pending OIDC sign-in of this browser has the callback's `state`.
    StateMismatch,
    /// The pending sign-in belongs to another hub session or organization.
    RequestMismatch,
    /// SSO was turned off or reconfigured while the member was at the IdP.
    ChangedDuringSignIn {
        config: SsoConfigId,
    },
    /// An IdP-initiated response arrived while SSO is off.
    NotEnabled,
    IdpInitiatedDisabled {
        org: OrgName,
    },
    /// The asserted email is on the account, unverified.
    EmailNotVerified {
        asserted: String,
        account: Username,
    },
    /// The asserted email is not on the account (S9).
    EmailMismatch {
        asserted: String,
        account: Username,
    },
    NotAMember {
        org: OrgName,
        account: Username,
        email: String,
    },
    /// Just-in-time membership admits only listed domains; `own_list` tells
    /// whether the configuration's list or the org's SSO domains applied.
    JitDomainNotAllowed {
        org: OrgName,
        email: String,
        allowed: Vec<String>,
        own_list: bool,
    },
    /// The member's linked identity is another subject; `linked` is its
    /// (subject, issuer) when known.
    SubjectChanged {
        asserted: Box<AssertedSubject>,
        linked: Option<(String, String)>,
    },
    /// The asserted subject is linked to another member (`owner`, when known).
    SubjectLinkedElsewhere {
        asserted: Box<AssertedSubject>,
        owner: Option<String>,
    },
    /// `found` says what the claims held instead.
    RequiredClaimMissing {
        name: String,
        value: String,
        found: String,
    },
    MissingCode,
    SecretUnreadable,
    IdpUnreachable(orgsso_oidc::DiscoveryError),
    OidcRejected(orgsso_oidc::Rejection),
    /// A configured IdP certificate cannot be used.
    BadSamlConfiguration {
        problem: String,
    },
    /// `key_problem`: why the SP decryption keys could not be opened, which
    /// only explains a refused encrypted assertion.
    SamlRejected {
        rejection: orgsso_saml::Rejection,
        key_problem: Option<String>,
    },
    /// An answer to a request this browser has no pending record of.
    UnknownSamlRequest {
        in_response_to: String,
    },
    Replayed {
        assertion_id: String,
        issuer: String,
    },
    VerifierUnavailable {
        reason: String,
    },
}

/// Who the IdP said signed in, for the account that tried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertedSubject {
    pub account: Username,
    pub subject: String,
    pub issuer: String,
    pub email: String,
}

impl SsoRefusal {
    pub fn code(&self) -> &'static str {
        match self {
            Self::StateMismatch => orgsso_oidc::Rejection::StateMismatch.code(),
            Self::RequestMismatch => "sso.request_mismatch",
            Self::ChangedDuringSignIn { .. } => "sso.changed_during_sign_in",
            Self::NotEnabled => "sso.not_enabled",
            Self::IdpInitiatedDisabled { .. } => "saml.idp_initiated_disabled",
            Self::EmailNotVerified { .. } => "sso.email_not_verified",
            Self::EmailMismatch { .. } => "sso.email_mismatch",
            Self::NotAMember { .. } => "sso.not_a_member",
            Self::JitDomainNotAllowed { .. } => "sso.jit_domain_not_allowed",
            Self::SubjectChanged { .. } => "sso.subject_changed",
            Self::SubjectLinkedElsewhere { .. } => "sso.subject_linked_elsewhere",
            Self::RequiredClaimMissing { .. } => "oidc.required_claim_missing",
            Self::MissingCode => "oidc.missing_code",
            Self::SecretUnreadable => "oidc.secret_unreadable",
            Self::IdpUnreachable(error) => error.code(),
            Self::OidcRejected(rejection) => rejection.code(),
            Self::BadSamlConfiguration { .. } => "saml.bad_configuration",
            Self::SamlRejected { rejection, .. } => rejection.code(),
            Self::UnknownSamlRequest { .. } => "saml.unknown_request",
            Self::Replayed { .. } => "saml.replayed",
            Self::VerifierUnavailable { .. } => "saml.verification_unavailable",
        }
    }

    /// What the member reads: what to do, never the failed check.
    pub fn member_message(&self) -> String {
        use orgsso_oidc::Rejection as Oidc;
        match self {
            Self::StateMismatch => "This sign-in was already used, took too long, or was started in another browser. Start it again from the organization's page.".into(),
            Self::RequestMismatch => "This sign-in was started in another browser session or for another organization. Start it again from the organization's page.".into(),
            Self::ChangedDuringSignIn { .. } => "Single sign-on for this organization was turned off or reconfigured while you were signing in. Start again from the organization's page.".into(),
            Self::NotEnabled => "This organization has not enabled single sign-on, so its identity provider cannot sign you in here.".into(),
            Self::IdpInitiatedDisabled { org } => format!("Start the sign-in from the organization's page: /organizations/{org}/sso"),
            Self::EmailNotVerified { asserted, .. } => format!("Your identity provider says you are {asserted}. That address is on your account but not verified yet: open the link we mailed to it (Settings → Emails → Resend link), then sign in again."),
            // Most often the browser is signed in at the IdP as someone else (a
            // colleague, a second account): say that first, then how to add the address.
            Self::EmailMismatch { asserted, account } => format!("Your identity provider says you are {asserted}, which is not an email of your account {account}. If that is someone else's account, sign out at the identity provider and sign in there as yourself, then start again from the organization's page. If the address is yours, add it in Settings → Emails, verify it, then sign in again."),
            Self::NotAMember { org, .. } => format!("You signed in through the identity provider, but you are not a member of {org} and it does not add members automatically. Ask one of its admins to add you."),
            Self::JitDomainNotAllowed { org, email, .. } => format!("You signed in through the identity provider as {email}, but {org} only adds members automatically from its own email domains. Ask one of its admins to add you."),
            Self::SubjectChanged { .. } => "Your identity provider signed you in as a different person than before for this account. An organization admin must unlink your previous SSO identity before you can sign in this way.".into(),
            Self::SubjectLinkedElsewhere { .. } => "The identity you signed in with at the identity provider belongs to another account of this organization. Sign out at the identity provider and sign in there as yourself.".into(),
            Self::RequiredClaimMissing { .. } => "Your identity provider account is not one this organization accepts (it lacks a required claim). Sign in at the identity provider with your organization account, or ask an organization admin.".into(),
            Self::MissingCode => "The identity provider sent you back without a sign-in code. Start again from the organization's page.".into(),
            Self::SecretUnreadable | Self::BadSamlConfiguration { .. } => CONFIGURATION_BROKEN.into(),
            Self::IdpUnreachable(_) => "The organization's identity provider cannot be reached right now. Try again later.".into(),
            Self::OidcRejected(rejection) => match rejection {
                Oidc::IdpError { error, .. } if error == "access_denied" => "The identity provider did not sign you in (access denied). You are not signed in to this organization.".into(),
                Oidc::EmailNotVerified { .. } => "Your identity provider has not verified your email address. Verify it there, then sign in again.".into(),
                Oidc::AuthTooOld { .. } => "This organization asks you to have signed in at its identity provider recently, and your sign-in there is older than it allows. Start again from the organization's page and sign in at the identity provider when asked.".into(),
                _ => ANSWER_NOT_ACCEPTED.into(),
            },
            Self::SamlRejected { .. } => ANSWER_NOT_ACCEPTED.into(),
            Self::UnknownSamlRequest { .. } => "This sign-in took too long or was started in another browser. Start it again from the organization's page.".into(),
            Self::Replayed { .. } => "This sign-in response was already used. Sign in again from the organization's page.".into(),
            Self::VerifierUnavailable { .. } => "Your identity provider's answer could not be checked just now. Try again in a moment.".into(),
        }
    }

    /// The exact failed check, for the org's admins (audit log, settings page).
    pub fn admin_detail(&self) -> String {
        match self {
            Self::StateMismatch => orgsso_oidc::Rejection::StateMismatch.to_string(),
            Self::RequestMismatch => "the sign-in response belongs to a request started by another hub session or organization".into(),
            Self::ChangedDuringSignIn { config } => format!("the sign-in started with configuration #{config}, but SSO was disabled or reconfigured before it finished"),
            Self::NotEnabled => "an IdP-initiated response arrived while SSO is disabled".into(),
            Self::IdpInitiatedDisabled { .. } => "an IdP-initiated response arrived but IdP-initiated login is turned off".into(),
            Self::EmailNotVerified { asserted, account } => format!("the IdP asserted {asserted}, which is not verified on the account {account}"),
            Self::EmailMismatch { asserted, account } => format!("the IdP asserted {asserted}, which is not an email of the account {account}"),
            Self::NotAMember { account, email, .. } => format!("{account} ({email}) is not a member and just-in-time membership is off"),
            Self::JitDomainNotAllowed { email, allowed, own_list, .. } => {
                let whose = if *own_list {
                    "the configuration's just-in-time domains"
                } else {
                    "the organization's SSO email domains"
                };
                format!("{email} is not a member and its domain is not among {whose} ({}), so just-in-time membership did not add it", allowed.join(", "))
            }
            Self::SubjectChanged { asserted, linked } => {
                let AssertedSubject { account, subject, issuer, email } = asserted.as_ref();
                let was = linked
                    .as_ref()
                    .map(|(subject, issuer)| format!("subject {subject} of {issuer}"))
                    .unwrap_or_else(|| "another subject".to_owned());
                format!("{account} is linked to {was}, but the IdP asserted subject {subject} of {issuer} ({email}); unlink the identity to allow it")
            }
            Self::SubjectLinkedElsewhere { asserted, owner } => {
                let AssertedSubject { account, subject, issuer, email } = asserted.as_ref();
                let owner = owner.as_deref().unwrap_or("another member");
                format!("subject {subject} of {issuer} ({email}) is linked to {owner}, so it cannot sign in {account}")
            }
            Self::RequiredClaimMissing { name, value, found } => format!("the configuration requires the claim {name} to be {value:?} (or an array containing it), but {found}"),
            Self::MissingCode => "the callback carried no authorization code".into(),
            Self::SecretUnreadable => "the stored client secret cannot be decrypted (was the server's secrets key changed?); save the configuration again with the secret".into(),
            Self::IdpUnreachable(error) => error.to_string(),
            Self::OidcRejected(rejection) => rejection.to_string(),
            Self::BadSamlConfiguration { problem } => format!("a configured certificate cannot be used: {problem}"),
            Self::SamlRejected { rejection, key_problem } => match (rejection, key_problem) {
                (orgsso_saml::Rejection::EncryptedAssertion, Some(problem)) => {
                    format!("{rejection}: {problem}")
                }
                _ => rejection.to_string(),
            },
            Self::UnknownSamlRequest { in_response_to } => format!("the response answers request {in_response_to:?}, which this browser has no pending record of (expired, already used, or started elsewhere)"),
            Self::Replayed { assertion_id, issuer } => format!("assertion {assertion_id} from {issuer} was already used (replay)"),
            Self::VerifierUnavailable { reason } => reason.clone(),
        }
    }
}

impl std::fmt::Display for SsoRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.member_message())
    }
}

/// How a sign-in that did not finish ended: refused by a check (audited once,
/// the member's 403 page), or failed (an outage, a bad request), which
/// propagates as the error it is.
#[derive(Debug)]
pub(crate) enum SignInError {
    Refused(SsoRefusal),
    /// A refusal of an admin's test round trip: the test failed, which the
    /// audit log keeps apart from members' refused sign-ins.
    TestRefused(SsoRefusal),
    Failed(ServiceError),
}

impl SignInError {
    /// The same error, known now to end a sign-in for `purpose`.
    pub(crate) fn during(self, purpose: SsoPurpose) -> Self {
        match (self, purpose) {
            (Self::Refused(refusal), SsoPurpose::Test) => Self::TestRefused(refusal),
            (other, _) => other,
        }
    }
}

impl From<SsoRefusal> for SignInError {
    fn from(refusal: SsoRefusal) -> Self {
        Self::Refused(refusal)
    }
}

impl From<ServiceError> for SignInError {
    fn from(err: ServiceError) -> Self {
        Self::Failed(err)
    }
}

impl From<StoreError> for SignInError {
    fn from(err: StoreError) -> Self {
        Self::Failed(err.into())
    }
}

impl From<Precondition> for SignInError {
    fn from(precondition: Precondition) -> Self {
        Self::Failed(precondition.into())
    }
}

impl From<Denied> for SignInError {
    fn from(err: Denied) -> Self {
        Self::Failed(err.into())
    }
}
