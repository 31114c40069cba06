//! What the admin's preview of an SSO change reads: who the organization's
//! SSO reaches (users of an email domain, their tokens) and what the IdP sent
//! at each member's last sign-in, for a role mapping not saved yet.

use crate::{AccessToken, StoreResult};
use async_trait::async_trait;
use orgsso_core::{OrgId, Timestamp, UserId, Username};

/// A user with a verified email address in an email domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainUser {
    pub user: UserId,
    pub username: Username,
    /// The verified address in the domain.
    pub address: String,
}

/// The claims of a member's last SSO sign-in, as the role mapping reads them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInClaims {
    pub user: UserId,
    pub username: Username,
    /// JSON; `None` when they were too large to keep.
    pub claims: Option<String>,
    pub recorded_at: Timestamp,
}

#[async_trait]
pub trait SsoInsightStore: Send + Sync {
    /// Every user with a verified email address at exactly `@domain`
    /// (subdomains are other domains), one row per address, by username.
    async fn users_in_email_domain(&self, domain: &str) -> StoreResult<Vec<DomainUser>>;
    /// The access tokens of these users, by owner then name. Users without
    /// tokens, or unknown, simply contribute nothing.
    async fn tokens_of_users(&self, users: &[UserId]) -> StoreResult<Vec<AccessToken>>;
    /// Keeps the claims of a member's SSO sign-in, replacing the previous
    /// ones; `NotFound` for a missing org or user.
    async fn record_sign_in_claims(
        &self,
        org: OrgId,
        user: UserId,
        claims: Option<&str>,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// The last sign-in claims of the org's current members, by username.
    async fn sign_in_claims_of_org(&self, org: OrgId) -> StoreResult<Vec<SignInClaims>>;
}
