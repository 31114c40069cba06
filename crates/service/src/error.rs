//! `ServiceError`: every way a use case can refuse. The web layer maps each
//! variant to a status and a stable code; the CLI prints its message.

use crate::sso::EnableBlocked;
use orgsso_core::{Denied, FieldError, PasswordError};
use orgsso_store::{StoreError, Unique};

pub type ServiceResult<T> = Result<T, ServiceError>;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("{0} is already taken")]
    Conflict(Unique),
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error("{0} not found")]
    NotFound(Entity),
    /// Unknown user and wrong password answer the same.
    #[error("incorrect username/email or password")]
    BadCredentials,
    #[error("too many failed sign-in attempts for this account; try again in {} minute(s)", (.retry_after_s + 59) / 60)]
    TooManyAttempts { retry_after_s: i64 },
    /// Too many verification mails to one address or from one account lately.
    #[error("too many emails were sent lately; try again in {} minute(s)", (.retry_after_s + 59) / 60)]
    TooManyMails { retry_after_s: i64 },
    /// Every password hashing slot is taken and the queue is full: the server is at
    /// capacity, not broken. Nothing was changed; the same request may be retried.
    #[error("the server is busy; try again in {retry_after_s} second(s)")]
    Busy { retry_after_s: i64 },
    /// Only a logged-in browser session may do this; an access token may not.
    #[error("this needs a signed-in browser session; an access token cannot manage tokens, emails or the password")]
    SessionRequired,
    #[error("the current password is incorrect")]
    WrongCurrentPassword,
    #[error("an organization must keep at least one admin")]
    LastAdmin,
    #[error(transparent)]
    Precondition(Precondition),
    #[error("this link is invalid or has expired")]
    InvalidLink,
    #[error("{0}")]
    SsoRefused(crate::sso::SsoRefusal),
    /// Another organization with SSO on lists this email domain already.
    #[error("the domain {domain} is already tied to the single sign-on of {}; a domain can belong to one organization's SSO", by.iter().map(|o| o.as_str()).collect::<Vec<_>>().join(", "))]
    DomainClaimed {
        domain: String,
        by: Vec<orgsso_core::OrgName>,
    },
    /// The organization requires an SSO session this caller does not hold.
    #[error("{} requires you to sign in through its identity provider", .0.org)]
    SsoRequired(crate::orgs::SsoRequired),
    #[error("storage failed")]
    Store(#[source] StoreError),
    #[error("hashing the password failed")]
    Hashing,
}

/// What was not found; its text is the start of the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    User,
    Owner,
    Organization,
    Member,
    Email,
    EmailDomain,
    Repository,
    Token,
    SsoConfiguration,
    SsoIdentity,
    RefusedResponse,
    Domain,
    Record,
    Page,
    Endpoint,
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Entity::User => "user",
            Entity::Owner => "owner",
            Entity::Organization => "organization",
            Entity::Member => "member",
            Entity::Email => "email",
            Entity::EmailDomain => "email domain",
            Entity::Repository => "repository",
            Entity::Token => "token",
            Entity::SsoConfiguration => "SSO configuration",
            Entity::SsoIdentity => "SSO identity",
            Entity::RefusedResponse => "refused response",
            Entity::Domain => "domain",
            Entity::Record => "record",
            Entity::Page => "page",
            Entity::Endpoint => "endpoint",
        })
    }
}

/// Most access tokens one account may hold.
pub const MAX_TOKENS: usize = 100;

/// Most email addresses one account may have.
pub const MAX_EMAILS: usize = 20;

/// A use case that cannot run in the current state; the message says what to do first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Precondition {
    #[error("an account can have at most {MAX_TOKENS} access tokens")]
    TooManyTokens,
    #[error("an account can have at most {MAX_EMAILS} email addresses")]
    TooManyEmails,
    #[error("the primary email cannot be removed; make another one primary first")]
    PrimaryEmailKept,
    #[error("only a verified email can be primary")]
    UnverifiedPrimary,
    #[error("this email is already verified")]
    AlreadyVerified,
    #[error("roles in this organization are managed by its identity provider (SSO role mapping is on): change the member's groups at the IdP or the mapping, or turn role mapping off first")]
    RolesManagedByIdp,
    #[error(transparent)]
    CannotEnable(EnableBlocked),
    /// The configuration's test changed between the check and the write.
    #[error("this configuration's test changed meanwhile; test it again, then enable")]
    TestChangedMeanwhile,
    /// The IdP sends the browser back: only a browser session can finish what it starts.
    #[error("signing in through the identity provider needs a browser session (log in to the hub in a browser, not with an access token)")]
    BrowserSessionRequired,
    #[error("this organization has not enabled single sign-on")]
    SsoNotEnabled,
    #[error("the configuration cannot be read; save it again")]
    UnreadableConfiguration,
    #[error("the settings could not be stored")]
    SettingsNotStored,
    #[error("this organization signs in with OpenID Connect, not SAML")]
    NotSaml,
    #[error("the newest configuration is not a SAML configuration")]
    NewestNotSaml,
    #[error("this sign-in was not started with OpenID Connect")]
    NotOidc,
    #[error("the HTTP client for identity providers could not start")]
    IdpClientUnavailable,
    #[error("the hub's base URL does not make a valid callback URL")]
    BadCallbackUrl,
    #[error("the stored role mapping cannot be read; save it again")]
    UnreadableRoleMapping,
}

impl From<Precondition> for ServiceError {
    fn from(precondition: Precondition) -> Self {
        ServiceError::Precondition(precondition)
    }
}

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(unique) => ServiceError::Conflict(unique),
            StoreError::LastAdmin => ServiceError::LastAdmin,
            StoreError::NotFound => ServiceError::NotFound(Entity::Record),
            other => ServiceError::Store(other),
        }
    }
}

impl From<PasswordError> for ServiceError {
    fn from(err: PasswordError) -> Self {
        ServiceError::Invalid(FieldError::new(
            "password",
            err.to_string().trim_start_matches("password "),
        ))
    }
}

impl ServiceError {
    /// A stable machine-readable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceError::Invalid(_) => "invalid",
            ServiceError::Conflict(_) => "conflict",
            ServiceError::Denied(Denied::NotFound) | ServiceError::NotFound(_) => "not_found",
            ServiceError::Denied(Denied::LoginRequired) => "login_required",
            ServiceError::Denied(Denied::SsoSessionRequired { .. }) => "sso_required",
            ServiceError::Denied(_) => "forbidden",
            ServiceError::BadCredentials => "bad_credentials",
            ServiceError::TooManyAttempts { .. } => "too_many_attempts",
            ServiceError::TooManyMails { .. } => "too_many_mails",
            ServiceError::Busy { .. } => "busy",
            ServiceError::SessionRequired => "session_required",
            ServiceError::WrongCurrentPassword => "wrong_password",
            ServiceError::LastAdmin => "last_admin",
            ServiceError::Precondition(_) => "precondition",
            ServiceError::InvalidLink => "invalid_link",
            ServiceError::SsoRefused(refusal) => refusal.code(),
            ServiceError::SsoRequired(_) => "sso_required",
            ServiceError::DomainClaimed { .. } => "domain_claimed",
            ServiceError::Store(StoreError::Unavailable(_)) => "unavailable",
            ServiceError::Store(_) | ServiceError::Hashing => "internal",
        }
    }
}
