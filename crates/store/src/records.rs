//! What the store takes and returns: parsed domain types, never raw strings
//! where a type exists.

use orgsso_core::{
    Email, EmailId, OrgId, OrgName, RepoId, RepoKind, RepoName, Role, Timestamp, TokenId,
    TokenScope, UserId, Username, Visibility,
};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    pub display_name: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: Username,
    pub display_name: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub email: Email,
    pub now: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailRecord {
    pub id: EmailId,
    pub user: UserId,
    pub address: Email,
    pub verified_at: Option<Timestamp>,
    pub primary: bool,
    pub created_at: Timestamp,
}

impl EmailRecord {
    pub fn is_verified(&self) -> bool {
        self.verified_at.is_some()
    }
}

#[derive(Clone, Debug)]
pub struct NewSession {
    /// SHA-256 of the cookie value; the value itself is never stored.
    pub id_hash: String,
    pub user: UserId,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    pub id_hash: String,
    pub user: UserId,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewToken {
    pub user: UserId,
    pub name: String,
    pub scope: TokenScope,
    /// SHA-256 of the token; the token itself is shown once and never stored.
    pub token_hash: String,
    pub now: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessToken {
    pub id: TokenId,
    pub user: UserId,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
}

#[derive(Clone, Debug)]
pub struct NewOrg {
    pub name: OrgName,
    pub display_name: String,
    pub default_role: Role,
    pub creator: UserId,
    pub now: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    pub id: OrgId,
    pub name: OrgName,
    pub display_name: String,
    pub default_role: Role,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub user: UserId,
    pub username: Username,
    pub display_name: String,
    pub role: Role,
    pub joined_at: Timestamp,
}

/// The owner of a namespace `/{name}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    User(UserId),
    Org(OrgId),
}

#[derive(Clone, Debug)]
pub struct NewRepo {
    pub owner: Owner,
    pub kind: RepoKind,
    pub name: RepoName,
    pub visibility: Visibility,
    pub readme: String,
    pub created_by: UserId,
    pub now: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repo {
    pub id: RepoId,
    pub owner: Owner,
    /// The owner's name, i.e. the first path segment after the kind.
    pub owner_name: String,
    pub kind: RepoKind,
    pub name: RepoName,
    pub visibility: Visibility,
    pub readme: String,
    /// `None` once the creating user is deleted.
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug)]
pub struct NewMail {
    pub to: Email,
    pub subject: String,
    pub body: String,
    pub now: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxMail {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at: Timestamp,
}
