//! Who an organization's SSO reaches, for the admin's preview of a change
//! (enabling, enforcing, adding a domain) before it is made.

use crate::{AccessToken, StoreResult};
use async_trait::async_trait;
use orgsso_core::{UserId, Username};

/// A user with a verified email address in an email domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainUser {
    pub user: UserId,
    pub username: Username,
    /// The verified address in the domain.
    pub address: String,
}

#[async_trait]
pub trait SsoReachStore: Send + Sync {
    /// Every user with a verified email address at exactly `@domain`
    /// (subdomains are other domains), one row per address, by username.
    async fn users_in_email_domain(&self, domain: &str) -> StoreResult<Vec<DomainUser>>;
    /// The access tokens of these users, by owner then name. Users without
    /// tokens, or unknown, simply contribute nothing.
    async fn tokens_of_users(&self, users: &[UserId]) -> StoreResult<Vec<AccessToken>>;
}
