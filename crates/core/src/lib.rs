//! Domain types shared by every layer of orgsso, the one authorization policy,
//! and the sanctioned sources of time and randomness. No I/O lives here.

pub mod clock;
pub mod domain;
pub mod email;
pub mod entropy;
pub mod ids;
pub mod names;
pub mod password;
pub mod policy;
pub mod redirect;
pub mod repo;
pub mod role;
pub mod secret;
pub mod unicode;

pub use clock::{Clock, FixedClock, SystemClock, Timestamp};
pub use domain::{DomainError, EmailDomain};
pub use email::Email;
pub use entropy::{Entropy, OsEntropy, RandomToken};
pub use ids::{EmailId, OrgId, RepoId, TokenId, UserId};
pub use names::{DisplayName, NameError, OrgName, RepoName, Username};
pub use password::{Password, PasswordError};
pub use policy::{decide, Action, Denied, Granted, Namespace, SsoGate, SsoMode, Viewer};
pub use repo::{RepoKind, TokenScope, Visibility};
pub use role::Role;
pub use secret::Secret;

/// A value that did not parse, with the name of the field it came from so a
/// 4xx can say which input to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
