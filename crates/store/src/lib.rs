//! The storage interface: object-safe traits the service layer holds as
//! `Arc<dyn Store>`, the records they return, and `StoreError`. Each backend
//! crate (SQLite, PostgreSQL) implements every trait and runs
//! [`conformance_suite!`] to prove it behaves like the others.
//!
//! Every method is one atomic unit: a method that writes several rows runs
//! them in one transaction, and invariants that must hold across concurrent
//! requests (unique names, the last admin of an organization) are enforced by
//! the database, not by a prior read.

use async_trait::async_trait;
use orgsso_core::{
    Email, EmailId, OrgId, OrgName, RepoId, RepoKind, RepoName, Role, Timestamp, TokenId, UserId,
    Username, Visibility,
};

mod audit;
mod canonical_emails;
pub mod conformance;
mod insight;
mod records;
mod sso;

pub use audit::*;
pub use canonical_emails::{canonical_rewrite, rewrite_outcome};
pub use insight::*;
pub use records::*;
pub use sso::*;

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} is already taken")]
    Conflict(Unique),
    #[error("not found")]
    NotFound,
    /// The change would leave the organization without an admin.
    #[error("an organization must keep at least one admin")]
    LastAdmin,
    #[error("database error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database cannot be reached, refuses connections or dropped ours:
    /// an outage to report as such (and retry), never a refusal of the request.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Which uniqueness rule a write broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unique {
    /// Users and organizations share one namespace of names.
    Name,
    Email,
    RepoName,
    Membership,
    TokenName,
    SsoDomain,
    /// An IdP subject links to one member per organization.
    SsoSubject,
}

impl std::fmt::Display for Unique {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unique::Name => "this name",
            Unique::Email => "this email address",
            Unique::RepoName => "this repository name",
            Unique::Membership => "this membership",
            Unique::TokenName => "this token name",
            Unique::SsoDomain => "this domain",
            Unique::SsoSubject => "this identity provider subject",
        })
    }
}

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Claims the name in the shared namespace and stores the user with one
    /// unverified email, which is primary.
    async fn create_user(&self, new: NewUser) -> StoreResult<(User, EmailRecord)>;
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>>;
    async fn user_by_username(&self, username: &Username) -> StoreResult<Option<User>>;
    async fn list_users(&self) -> StoreResult<Vec<User>>;
    async fn password_hash(&self, id: UserId) -> StoreResult<Option<String>>;
    async fn set_password_hash(&self, id: UserId, hash: &str) -> StoreResult<()>;
    async fn set_display_name(&self, id: UserId, display_name: &str) -> StoreResult<()>;

    async fn emails_of(&self, user: UserId) -> StoreResult<Vec<EmailRecord>>;
    async fn email_by_address(&self, address: &Email) -> StoreResult<Option<EmailRecord>>;
    async fn add_email(
        &self,
        user: UserId,
        address: &Email,
        now: Timestamp,
    ) -> StoreResult<EmailRecord>;
    /// Removes a non-primary email of `user`; `NotFound` if it is not theirs or is primary.
    async fn remove_email(&self, user: UserId, email: EmailId) -> StoreResult<()>;
    async fn mark_email_verified(&self, email: EmailId, now: Timestamp) -> StoreResult<()>;
    /// Makes a verified email of `user` the primary one; `NotFound` otherwise.
    async fn set_primary_email(&self, user: UserId, email: EmailId) -> StoreResult<()>;

    async fn create_email_verification(
        &self,
        email: EmailId,
        token_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// Consumes a verification token (single use); `None` if unknown or expired.
    async fn take_email_verification(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<EmailId>>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, new: NewSession) -> StoreResult<()>;
    /// The session with this id hash, if it exists and has not expired at `now`.
    async fn session(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<SessionRecord>>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    /// Ends every session of a user except `keep` (the one changing the password).
    async fn delete_sessions_of_user(&self, user: UserId, keep: Option<&str>) -> StoreResult<u64>;
    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64>;
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn create_token(&self, new: NewToken) -> StoreResult<AccessToken>;
    async fn tokens_of(&self, user: UserId) -> StoreResult<Vec<AccessToken>>;
    async fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<AccessToken>>;
    async fn touch_token(&self, id: TokenId, now: Timestamp) -> StoreResult<()>;
    /// Deletes a token of `user`; `NotFound` if it is not theirs.
    async fn revoke_token(&self, user: UserId, id: TokenId) -> StoreResult<()>;
}

#[async_trait]
pub trait OrgStore: Send + Sync {
    /// Claims the name in the shared namespace, stores the organization and
    /// makes `creator` its admin.
    async fn create_org(&self, new: NewOrg) -> StoreResult<Org>;
    async fn org_by_id(&self, id: OrgId) -> StoreResult<Option<Org>>;
    async fn org_by_name(&self, name: &OrgName) -> StoreResult<Option<Org>>;
    async fn list_orgs(&self) -> StoreResult<Vec<Org>>;
    async fn orgs_of_user(&self, user: UserId) -> StoreResult<Vec<(Org, Role)>>;
    async fn update_org(
        &self,
        id: OrgId,
        display_name: &str,
        default_role: Role,
    ) -> StoreResult<()>;

    async fn members(&self, org: OrgId) -> StoreResult<Vec<Member>>;
    async fn role_of(&self, org: OrgId, user: UserId) -> StoreResult<Option<Role>>;
    async fn add_member(
        &self,
        org: OrgId,
        user: UserId,
        role: Role,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// `LastAdmin` if this would demote the only admin; `NotFound` if not a member.
    async fn set_member_role(&self, org: OrgId, user: UserId, role: Role) -> StoreResult<()>;
    /// `LastAdmin` if this would remove the only admin; `NotFound` if not a member.
    async fn remove_member(&self, org: OrgId, user: UserId) -> StoreResult<()>;
}

#[async_trait]
pub trait RepoStore: Send + Sync {
    /// Who owns the namespace `/{name}`.
    async fn owner_by_name(&self, name: &str) -> StoreResult<Option<Owner>>;
    async fn create_repo(&self, new: NewRepo) -> StoreResult<Repo>;
    async fn repo(&self, owner: &str, kind: RepoKind, name: &RepoName)
        -> StoreResult<Option<Repo>>;
    async fn repos_of(&self, owner: Owner) -> StoreResult<Vec<Repo>>;
    async fn update_repo(
        &self,
        id: RepoId,
        visibility: Visibility,
        readme: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    async fn delete_repo(&self, id: RepoId) -> StoreResult<()>;
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Mail that could not be (or need not be) sent by SMTP lands here.
    async fn push_mail(&self, mail: NewMail) -> StoreResult<i64>;
    async fn outbox(&self, limit: u32) -> StoreResult<Vec<OutboxMail>>;
}

#[async_trait]
pub trait Store:
    UserStore
    + SessionStore
    + TokenStore
    + OrgStore
    + RepoStore
    + OutboxStore
    + SsoStore
    + SsoInsightStore
    + AuditStore
{
    /// Readiness: the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Which backend this is, for logs: `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
}
