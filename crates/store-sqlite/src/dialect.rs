//! What SQLite does differently in the trait implementations shared with
//! PostgreSQL (`orgsso-store-sql/impls`): finding non-ASCII text, an index
//! hint in the SSO gate, and no row locks, since every write transaction
//! starts with `BEGIN IMMEDIATE` and so runs alone.

use orgsso_core::{OrgId, UserId};
use orgsso_store::StoreResult;
use sqlx::SqliteConnection;

/// Emails with a non-ASCII character: the only ones an older, laxer parser
/// may have stored in another form than the canonical one.
pub(crate) const NON_ASCII_EMAILS: &str =
    "SELECT id, address FROM emails WHERE length(CAST(address AS BLOB)) <> length(address)";

/// `+ss.config_id` keeps SQLite on `sso_sessions_user_org` (the viewer's few
/// sessions) rather than walking every session of the org.
pub(crate) const VIEWER_IN_ORG: &str = orgsso_store_sql::viewer_in_org!("+ss.config_id");
/// Same index rule as [`VIEWER_IN_ORG`].
pub(crate) const SSO_PROMPTS: &str = orgsso_store_sql::sso_prompts!("+ss.config_id");
/// No row lock: SQLite's one writer already orders the insert with a disable.
pub(crate) const PUT_SSO_SESSION: &str = orgsso_store_sql::put_sso_session!("");
/// No row lock: the rotation's `BEGIN IMMEDIATE` keeps other writers out.
pub(crate) const SP_KEY_USES: &str = orgsso_store_sql::sp_key_uses!("");

/// The tokens of a set of users, the set given as by [`user_set`].
pub(crate) const TOKENS_OF_USERS: &str =
    orgsso_store_sql::tokens_of_users!("IN (SELECT value FROM json_each($1))");

/// A set of users as one parameter: a JSON array of their ids, since
/// SQLite has no array parameters.
pub(crate) fn user_set(users: &[UserId]) -> String {
    let ids: Vec<String> = users.iter().map(|u| u.0.to_string()).collect();
    format!("[{}]", ids.join(","))
}

/// Nothing to lock: the write lock taken by `BEGIN IMMEDIATE` serializes a
/// demotion or removal with every other change to memberships, so the admin
/// count cannot go stale.
pub(crate) async fn lock_org(_conn: &mut SqliteConnection, _org: OrgId) -> StoreResult<()> {
    Ok(())
}

/// Nothing to lock: `BEGIN IMMEDIATE` keeps a concurrent primary swap out.
pub(crate) async fn lock_user(_conn: &mut SqliteConnection, _user: UserId) -> StoreResult<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::{SSO_PROMPTS, VIEWER_IN_ORG};
    use crate::SqliteStore;

    /// The plan SQLite chooses for `sql` with these binds, one line per step.
    async fn plan(store: &SqliteStore, sql: &str, binds: &[Option<&str>]) -> String {
        use sqlx::Row;
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut query = sqlx::query(&explain);
        for bind in binds {
            query = query.bind(*bind);
        }
        // EXPLAIN QUERY PLAN rows are (id, parent, notused, detail).
        query
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("detail"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// An org with many members' sessions must not make one viewer's gate
    /// walk them all: the session check looks up the viewer's own rows.
    #[tokio::test]
    async fn the_gate_reads_only_the_viewers_sessions() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("plan.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        for (sql, binds) in [
            (
                VIEWER_IN_ORG,
                vec![Some("1"), Some("2"), Some("hash"), Some("3")],
            ),
            (VIEWER_IN_ORG, vec![Some("1"), Some("2"), None, Some("3")]),
            (SSO_PROMPTS, vec![Some("2"), Some("hash"), Some("3")]),
            (SSO_PROMPTS, vec![Some("2"), None, Some("3")]),
        ] {
            let plan = plan(&store, sql, &binds).await;
            assert!(!plan.contains("sso_sessions_org_config"), "{plan}");
            assert!(
                plan.contains("sso_sessions_user_org")
                    || plan.contains("sqlite_autoindex_sso_sessions_1"),
                "{plan}"
            );
        }
    }
}
