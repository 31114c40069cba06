//! Rows to records, for either backend's row type: every text column is
//! parsed with the domain parser, and a value that does not parse is
//! reported as corrupt data, never a panic.

use crate::error::{backend, corrupt};
use orgsso_core::{
    Email, EmailId, OrgId, OrgName, RepoId, RepoKind, RepoName, Role, SsoMode, Timestamp, TokenId,
    TokenScope, UserId, Username, Visibility,
};
use orgsso_store::{
    AccessToken, EmailRecord, Member, Org, OrgSso, OutboxMail, Owner, Repo, RoleSource,
    SessionRecord, SpKey, SpKeyUse, SsoConfig, SsoConfigId, SsoDomain, SsoIdentityRecord,
    SsoPrompt, SsoProtocol, SsoPurpose, SsoRequest, SsoSession, SsoUserEntry, StoreResult,
    StoredRoleMapping, User, ViewerInOrg,
};
use sqlx::{ColumnIndex, Decode, Row, Type};

/// A row that yields a `T` from a named column.
pub trait Decodes<T> {
    fn decode(&self, column: &'static str) -> Result<T, sqlx::Error>;
}

impl<R, T> Decodes<T> for R
where
    R: Row,
    &'static str: ColumnIndex<R>,
    T: for<'r> Decode<'r, R::Database> + Type<R::Database>,
{
    fn decode(&self, column: &'static str) -> Result<T, sqlx::Error> {
        self.try_get(column)
    }
}

/// A row of either backend: it decodes every column type the store keeps.
pub trait SqlRow:
    Decodes<i64>
    + Decodes<Option<i64>>
    + Decodes<String>
    + Decodes<Option<String>>
    + Decodes<bool>
    + Decodes<Vec<u8>>
    + Decodes<Option<Vec<u8>>>
{
}

impl<R> SqlRow for R where
    R: Decodes<i64>
        + Decodes<Option<i64>>
        + Decodes<String>
        + Decodes<Option<String>>
        + Decodes<bool>
        + Decodes<Vec<u8>>
        + Decodes<Option<Vec<u8>>>
{
}

pub fn get<T>(row: &impl Decodes<T>, column: &'static str) -> StoreResult<T> {
    row.decode(column).map_err(backend)
}

pub fn parsed<T, E>(
    row: &impl SqlRow,
    column: &'static str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> StoreResult<T> {
    let raw: String = get(row, column)?;
    parse(&raw).map_err(|_| corrupt(column, raw))
}

fn time(row: &impl SqlRow, column: &'static str) -> StoreResult<Timestamp> {
    Ok(Timestamp::from_unix(get(row, column)?))
}

fn maybe_time(row: &impl SqlRow, column: &'static str) -> StoreResult<Option<Timestamp>> {
    Ok(get::<Option<i64>>(row, column)?.map(Timestamp::from_unix))
}

pub fn role(row: &impl SqlRow, column: &'static str) -> StoreResult<Role> {
    parsed(row, column, str::parse::<Role>)
}

macro_rules! user_columns {
    () => {
        "id, username, display_name, created_at"
    };
}
pub(crate) use user_columns;

pub fn user(row: &impl SqlRow) -> StoreResult<User> {
    Ok(User {
        id: UserId(get(row, "id")?),
        username: parsed(row, "username", Username::parse)?,
        display_name: get(row, "display_name")?,
        created_at: time(row, "created_at")?,
    })
}

macro_rules! email_columns {
    () => {
        "id, user_id, address, verified_at, is_primary, created_at"
    };
}
pub(crate) use email_columns;

pub fn email(row: &impl SqlRow) -> StoreResult<EmailRecord> {
    Ok(EmailRecord {
        id: EmailId(get(row, "id")?),
        user: UserId(get(row, "user_id")?),
        address: parsed(row, "address", Email::parse)?,
        verified_at: maybe_time(row, "verified_at")?,
        primary: get(row, "is_primary")?,
        created_at: time(row, "created_at")?,
    })
}

macro_rules! session_columns {
    () => {
        "id_hash, user_id, csrf_token, created_at, expires_at"
    };
}
pub(crate) use session_columns;

pub fn session(row: &impl SqlRow) -> StoreResult<SessionRecord> {
    Ok(SessionRecord {
        id_hash: get(row, "id_hash")?,
        user: UserId(get(row, "user_id")?),
        csrf_token: get(row, "csrf_token")?,
        created_at: time(row, "created_at")?,
        expires_at: time(row, "expires_at")?,
    })
}

macro_rules! token_columns {
    () => {
        "id, user_id, name, scope, created_at, last_used_at"
    };
}
pub(crate) use token_columns;

pub fn token(row: &impl SqlRow) -> StoreResult<AccessToken> {
    Ok(AccessToken {
        id: TokenId(get(row, "id")?),
        user: UserId(get(row, "user_id")?),
        name: get(row, "name")?,
        scope: parsed(row, "scope", TokenScope::parse)?,
        created_at: time(row, "created_at")?,
        last_used_at: maybe_time(row, "last_used_at")?,
    })
}

macro_rules! org_columns {
    () => {
        "id, name, display_name, default_role, created_at"
    };
}
pub(crate) use org_columns;

pub fn org(row: &impl SqlRow) -> StoreResult<Org> {
    Ok(Org {
        id: OrgId(get(row, "id")?),
        name: parsed(row, "name", OrgName::parse)?,
        display_name: get(row, "display_name")?,
        default_role: role(row, "default_role")?,
        created_at: time(row, "created_at")?,
    })
}

/// Expects `user_id, username, display_name, role, created_at`.
pub fn member(row: &impl SqlRow) -> StoreResult<Member> {
    Ok(Member {
        user: UserId(get(row, "user_id")?),
        username: parsed(row, "username", Username::parse)?,
        display_name: get(row, "display_name")?,
        role: role(row, "role")?,
        joined_at: time(row, "created_at")?,
    })
}

/// Expects `user_id, org_id` of a namespace or `owner_user_id, owner_org_id` of a repo.
pub fn owner(
    row: &impl SqlRow,
    user_column: &'static str,
    org_column: &'static str,
) -> StoreResult<Owner> {
    match (
        get::<Option<i64>>(row, user_column)?,
        get::<Option<i64>>(row, org_column)?,
    ) {
        (Some(user), None) => Ok(Owner::User(UserId(user))),
        (None, Some(org)) => Ok(Owner::Org(OrgId(org))),
        (user, org) => Err(corrupt(user_column, format!("user {user:?}, org {org:?}"))),
    }
}

macro_rules! repo_columns {
    () => {
        "id, owner_name, owner_user_id, owner_org_id, kind, name, \
     visibility, readme, created_by, created_at, updated_at"
    };
}
pub(crate) use repo_columns;

pub fn repo(row: &impl SqlRow) -> StoreResult<Repo> {
    Ok(Repo {
        id: RepoId(get(row, "id")?),
        owner: owner(row, "owner_user_id", "owner_org_id")?,
        owner_name: get(row, "owner_name")?,
        kind: parsed(row, "kind", RepoKind::parse)?,
        name: parsed(row, "name", RepoName::parse)?,
        visibility: parsed(row, "visibility", Visibility::parse)?,
        readme: get(row, "readme")?,
        created_by: get::<Option<i64>>(row, "created_by")?.map(UserId),
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

macro_rules! mail_columns {
    () => {
        "id, to_addr, subject, body, created_at"
    };
}
pub(crate) use mail_columns;

pub fn mail(row: &impl SqlRow) -> StoreResult<OutboxMail> {
    Ok(OutboxMail {
        id: get(row, "id")?,
        to: get(row, "to_addr")?,
        subject: get(row, "subject")?,
        body: get(row, "body")?,
        created_at: time(row, "created_at")?,
    })
}

macro_rules! sso_config_columns {
    () => {
        "id, org_id, protocol, settings, secret_ciphertext, created_by, created_at, \
     tested_at, test_result, tested_by, tested_identity_matches"
    };
}
pub(crate) use sso_config_columns;

pub fn sso_config(row: &impl SqlRow) -> StoreResult<SsoConfig> {
    Ok(SsoConfig {
        id: SsoConfigId(get(row, "id")?),
        org: OrgId(get(row, "org_id")?),
        protocol: parsed(row, "protocol", |raw| SsoProtocol::parse(raw).ok_or(()))?,
        settings: get(row, "settings")?,
        secret_ciphertext: get(row, "secret_ciphertext")?,
        created_by: get::<Option<i64>>(row, "created_by")?.map(UserId),
        created_at: time(row, "created_at")?,
        tested_at: maybe_time(row, "tested_at")?,
        test_result: get(row, "test_result")?,
        tested_by: get::<Option<i64>>(row, "tested_by")?.map(UserId),
        tested_identity_matches: get(row, "tested_identity_matches")?,
    })
}

macro_rules! org_sso_columns {
    () => {
        "org_id, enabled, enforced, active_config_id, session_ttl_s, allow_idp_initiated, \
     jit_membership"
    };
}
pub(crate) use org_sso_columns;

pub fn org_sso(row: &impl SqlRow) -> StoreResult<OrgSso> {
    Ok(OrgSso {
        org: OrgId(get(row, "org_id")?),
        mode: sso_mode(get(row, "enabled")?, get(row, "enforced")?),
        active_config: get::<Option<i64>>(row, "active_config_id")?.map(SsoConfigId),
        session_ttl_s: get(row, "session_ttl_s")?,
        allow_idp_initiated: get(row, "allow_idp_initiated")?,
        jit_membership: get(row, "jit_membership")?,
    })
}

/// The mode from its two columns: `enabled` switches SSO on, `enforced` says how.
pub fn sso_mode(enabled: bool, enforced: bool) -> SsoMode {
    match (enabled, enforced) {
        (false, _) => SsoMode::Off,
        (true, false) => SsoMode::Optional,
        (true, true) => SsoMode::Enforced,
    }
}

pub fn sso_session(row: &impl SqlRow) -> StoreResult<SsoSession> {
    Ok(SsoSession {
        hub_session_hash: get(row, "hub_session_hash")?,
        user: UserId(get(row, "user_id")?),
        org: OrgId(get(row, "org_id")?),
        config: SsoConfigId(get(row, "config_id")?),
        subject: get(row, "subject")?,
        email: get(row, "email")?,
        created_at: time(row, "created_at")?,
        expires_at: time(row, "expires_at")?,
    })
}

macro_rules! sso_request_columns {
    () => {
        "handle_hash, hub_session_hash, user_id, org_id, config_id, purpose, return_to, \
     nonce, pkce_verifier, saml_request_id, created_at, expires_at, cancelled"
    };
}
pub(crate) use sso_request_columns;

pub fn sso_request(row: &impl SqlRow) -> StoreResult<SsoRequest> {
    Ok(SsoRequest {
        handle_hash: get(row, "handle_hash")?,
        hub_session_hash: get(row, "hub_session_hash")?,
        user: UserId(get(row, "user_id")?),
        org: OrgId(get(row, "org_id")?),
        config: SsoConfigId(get(row, "config_id")?),
        purpose: parsed(row, "purpose", |raw| SsoPurpose::parse(raw).ok_or(()))?,
        return_to: get(row, "return_to")?,
        nonce: get(row, "nonce")?,
        pkce_verifier: get(row, "pkce_verifier")?,
        saml_request_id: get(row, "saml_request_id")?,
        created_at: time(row, "created_at")?,
        expires_at: time(row, "expires_at")?,
        cancelled: get(row, "cancelled")?,
    })
}

/// Expects `response, at`.
pub fn failed_response(row: &impl SqlRow) -> StoreResult<(String, Timestamp)> {
    Ok((get(row, "response")?, time(row, "at")?))
}

pub fn viewer_in_org(row: &impl SqlRow) -> StoreResult<ViewerInOrg> {
    let role = match get::<Option<String>>(row, "role")? {
        Some(raw) => Some(
            raw.parse::<Role>()
                .map_err(|_| corrupt("memberships.role", raw))?,
        ),
        None => None,
    };
    Ok(ViewerInOrg {
        role,
        mode: sso_mode(get(row, "enabled")?, get(row, "enforced")?),
        in_domain: get(row, "in_domain")?,
        live_session: get(row, "live_session")?,
    })
}

pub fn sso_domain(row: &impl SqlRow) -> StoreResult<SsoDomain> {
    Ok(SsoDomain {
        domain: get(row, "domain")?,
        verified_accounts: get(row, "verified_accounts")?,
    })
}

pub fn sso_prompt(row: &impl SqlRow) -> StoreResult<SsoPrompt> {
    Ok(SsoPrompt {
        org: parsed(row, "name", OrgName::parse)?,
        mode: sso_mode(true, get(row, "enforced")?),
    })
}

macro_rules! sso_identity_columns {
    () => {
        "org_id, user_id, issuer, subject, email, first_login_at, last_login_at, role, role_source"
    };
}
pub(crate) use sso_identity_columns;

pub fn sso_identity(row: &impl SqlRow) -> StoreResult<SsoIdentityRecord> {
    Ok(SsoIdentityRecord {
        org: OrgId(get(row, "org_id")?),
        user: UserId(get(row, "user_id")?),
        issuer: get(row, "issuer")?,
        subject: get(row, "subject")?,
        email: get(row, "email")?,
        first_login_at: time(row, "first_login_at")?,
        last_login_at: time(row, "last_login_at")?,
        role: role(row, "role")?,
        role_source: parsed(row, "role_source", |raw| RoleSource::parse(raw).ok_or(()))?,
    })
}

/// A row of `sso_users_of_org`: the user, their membership role if any,
/// and the identity columns, all `NULL` without an identity.
pub fn sso_user(row: &impl SqlRow) -> StoreResult<SsoUserEntry> {
    let linked = get::<Option<i64>>(row, "user_id")?.is_some();
    let member_role = match get::<Option<String>>(row, "member_role")? {
        Some(_) => Some(role(row, "member_role")?),
        None => None,
    };
    Ok(SsoUserEntry {
        user: UserId(get(row, "uid")?),
        username: parsed(row, "username", Username::parse)?,
        member_role,
        identity: if linked {
            Some(sso_identity(row)?)
        } else {
            None
        },
    })
}

/// Expects `path, roles, updated_at`.
pub fn role_mapping(row: &impl SqlRow) -> StoreResult<StoredRoleMapping> {
    Ok(StoredRoleMapping {
        path: get(row, "path")?,
        roles_json: get(row, "roles")?,
        updated_at: time(row, "updated_at")?,
    })
}

macro_rules! sp_key_columns {
    () => {
        "org_id, usage, current, private_key_ciphertext, certificate_pem, created_at"
    };
}
pub(crate) use sp_key_columns;

pub fn sp_key(row: &impl SqlRow) -> StoreResult<SpKey> {
    let usage: String = get(row, "usage")?;
    Ok(SpKey {
        org: OrgId(get(row, "org_id")?),
        usage: SpKeyUse::parse(&usage).ok_or_else(|| corrupt("sp_keys.usage", usage))?,
        current: get(row, "current")?,
        private_key_ciphertext: get(row, "private_key_ciphertext")?,
        certificate_pem: get(row, "certificate_pem")?,
        created_at: time(row, "created_at")?,
    })
}
