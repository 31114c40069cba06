//! The shared queries are written in PostgreSQL's syntax: `$N` placeholders
//! and `TRUE`/`FALSE`. These cases show SQLite reads that syntax the same
//! way, so one text serves both backends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orgsso_store_sql::{orgs, repos, sessions, sso, tokens, users};
use orgsso_store_sqlite::SqliteStore;
use sqlx::{Connection, Executor, SqliteConnection};

async fn memory() -> SqliteConnection {
    SqliteConnection::connect("sqlite::memory:").await.unwrap()
}

#[tokio::test]
async fn a_numbered_placeholder_binds_its_argument_wherever_and_however_often_it_appears() {
    let mut conn = memory().await;
    let joined: String = sqlx::query_scalar("SELECT $2 || '-' || $1 || '-' || $2")
        .bind("one")
        .bind("two")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(joined, "two-one-two");
}

#[tokio::test]
async fn a_null_cast_to_a_type_is_still_null() {
    let mut conn = memory().await;
    for (bound, is_null) in [(None, true), (Some(7_i64), false)] {
        let got: bool = sqlx::query_scalar("SELECT CAST($1 AS BIGINT) IS NULL")
            .bind(bound)
            .fetch_one(&mut conn)
            .await
            .unwrap();
        assert_eq!(got, is_null, "{bound:?}");
    }
}

#[tokio::test]
async fn boolean_keywords_are_the_zero_and_one_our_columns_hold() {
    let mut conn = memory().await;
    conn.execute(
        "CREATE TABLE flags (id INTEGER PRIMARY KEY, \
         flag INTEGER NOT NULL CHECK (flag IN (0, 1)))",
    )
    .await
    .unwrap();
    sqlx::query("INSERT INTO flags (id, flag) VALUES (1, TRUE), (2, FALSE), ($1, $2)")
        .bind(3_i64)
        .bind(true)
        .execute(&mut conn)
        .await
        .unwrap();
    let stored: Vec<(i64, i64)> = sqlx::query_as("SELECT id, flag FROM flags ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored, [(1, 1), (2, 0), (3, 1)]);
    let decoded: Vec<bool> = sqlx::query_scalar("SELECT flag FROM flags ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(decoded, [true, false, true]);
    for (filter, ids) in [
        ("flag", vec![1, 3]),
        ("NOT flag", vec![2]),
        ("flag = TRUE", vec![1, 3]),
        ("flag = FALSE", vec![2]),
    ] {
        let got: Vec<i64> =
            sqlx::query_scalar(&format!("SELECT id FROM flags WHERE {filter} ORDER BY id"))
                .fetch_all(&mut conn)
                .await
                .unwrap();
        assert_eq!(got, ids, "{filter}");
    }
}

#[tokio::test]
async fn the_shared_statements_prepare_on_the_migrated_schema() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("orgsso.db").display());
    SqliteStore::connect(&url)
        .await
        .unwrap()
        .migrate()
        .await
        .unwrap();
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let statements = [
        users::INSERT_PRIMARY_EMAIL,
        users::DELETE_EMAIL,
        users::CLEAR_PRIMARY,
        users::SET_PRIMARY,
        orgs::OF_USER,
        orgs::COUNT_ADMINS,
        repos::INSERT_FOR_USER,
        repos::INSERT_FOR_ORG,
        sessions::LIVE_BY_HASH,
        tokens::INSERT,
        sso::ENABLE,
        sso::DISABLE,
        sso::DOMAINS,
        sso::SESSIONS_OF_ORG,
        sso::REVOKE_SESSIONS,
        sso::CANCEL_SIGN_INS,
        sso::INSERT_SP_KEY_IF_NONE,
        sso::RETIRE_SP_KEY,
        sso::USERS_OF_ORG,
        sso::RECORD_SIGN_IN,
        orgsso_store_sql::viewer_in_org!("+ss.config_id"),
        orgsso_store_sql::sso_prompts!("+ss.config_id"),
        orgsso_store_sql::put_sso_session!(""),
        orgsso_store_sql::sp_key_uses!(""),
    ];
    for sql in statements.into_iter().chain(sso::PURGE_EXPIRED) {
        if let Err(err) = conn.prepare(sql).await {
            panic!("{err}\n{sql}");
        }
    }
}
