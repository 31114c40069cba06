//! `ServiceError`: every way a use case can refuse. The web layer maps each
//! variant to a status and a stable code; the CLI prints its message.

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
    NotFound(&'static str),
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
    #[error("{0}")]
    Precondition(&'static str),
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

impl From<StoreError> for ServiceError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict(unique) => ServiceError::Conflict(unique),
            StoreError::LastAdmin => ServiceError::LastAdmin,
            StoreError::NotFound => ServiceError::NotFound("record"),
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
