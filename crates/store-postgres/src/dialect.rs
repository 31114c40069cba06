//! What PostgreSQL does differently in the trait implementations shared with
//! SQLite (`orgsso-store-sql/impls`): finding non-ASCII text, the SSO gate's
//! text as its planner takes it, and the row locks that order writers
//! between instances under READ COMMITTED.

use crate::error::db;
use orgsso_core::{OrgId, UserId};
use orgsso_store::{StoreError, StoreResult};
use sqlx::PgConnection;

/// Emails with a non-ASCII character: the only ones an older, laxer parser
/// may have stored in another form than the canonical one.
pub(crate) const NON_ASCII_EMAILS: &str =
    "SELECT id, address FROM emails WHERE octet_length(address) <> char_length(address)";

pub(crate) const VIEWER_IN_ORG: &str = orgsso_store_sql::viewer_in_org!("ss.config_id");
pub(crate) const SSO_PROMPTS: &str = orgsso_store_sql::sso_prompts!("ss.config_id");
/// `FOR SHARE` orders the insert with a concurrent disable, whose update of
/// the org's row then either waits for this session (and deletes it) or is
/// seen by it.
pub(crate) const PUT_SSO_SESSION: &str = orgsso_store_sql::put_sso_session!("FOR SHARE");
/// Locks the org's keys, so a concurrent rotation waits and then sees this one.
pub(crate) const SP_KEY_USES: &str = orgsso_store_sql::sp_key_uses!("FOR UPDATE");

/// The tokens of a set of users, the set given as by [`user_set`].
pub(crate) const TOKENS_OF_USERS: &str = orgsso_store_sql::tokens_of_users!("= ANY($1)");

/// A set of users as one parameter: an array of their ids.
pub(crate) fn user_set(users: &[UserId]) -> Vec<i64> {
    users.iter().map(|u| u.0).collect()
}

/// Demotions and removals in one organization queue behind this row lock, so
/// each counts the admins after the previous one committed: under READ
/// COMMITTED every statement sees the latest commits, and the count runs
/// only once the lock is held.
pub(crate) async fn lock_org(conn: &mut PgConnection, org: OrgId) -> StoreResult<()> {
    let locked: Option<i64> = sqlx::query_scalar("SELECT id FROM orgs WHERE id = $1 FOR UPDATE")
        .bind(org.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    locked.map(|_| ()).ok_or(StoreError::NotFound)
}

/// Locking the user serializes concurrent primary swaps of one user, which
/// would otherwise collide on the one-primary index.
pub(crate) async fn lock_user(conn: &mut PgConnection, user: UserId) -> StoreResult<()> {
    let locked: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1 FOR UPDATE")
        .bind(user.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    locked.map(|_| ()).ok_or(StoreError::NotFound)
}
