//! Opening a database: the file is created, WAL and foreign keys are on, and
//! migrations can run again on every start.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orgsso_store::{Store, UserStore};
use orgsso_store_sqlite::SqliteStore;
use sqlx::{Connection, SqliteConnection};

#[tokio::test]
async fn a_missing_database_file_is_created_in_wal_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("orgsso.db");
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::connect(&url).await.unwrap();
    assert!(path.exists());
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    store.ping().await.unwrap();

    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_malformed_url_is_an_error_not_a_panic() {
    assert!(SqliteStore::connect("postgres://nope").await.is_err());
}

#[tokio::test]
async fn emails_stored_in_an_older_form_are_rewritten_in_canonical_form_on_start() {
    use orgsso_core::Email;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("orgsso.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();

    // As an earlier release stored them: lower-cased, the domain in Unicode, not composed.
    let mut conn = SqliteConnection::connect(&url).await.unwrap();
    for (id, name, address) in [
        (1, "ueser", "üser@exämple.com"),
        (2, "nfd", "rene\u{301}e@bücher.example"),
        (3, "ascii", "alice@example.com"),
    ] {
        sqlx::query("INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, 'x', 0)")
            .bind(id)
            .bind(name)
            .bind(name)
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO emails (user_id, address, is_primary, created_at) VALUES (?, ?, 1, 0)",
        )
        .bind(id)
        .bind(address)
        .execute(&mut conn)
        .await
        .unwrap();
    }

    store.migrate().await.unwrap();
    for (spelling, user) in [
        ("üser@xn--exmple-cua.com", 1),
        ("üser@exämple.com", 1),
        ("renée@xn--bcher-kva.example", 2),
        ("alice@example.com", 3),
    ] {
        let found = store
            .email_by_address(&Email::parse(spelling).unwrap())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{spelling} not found"));
        assert_eq!(found.user.0, user, "{spelling}");
    }
    let stored: Vec<String> = sqlx::query_scalar("SELECT address FROM emails ORDER BY user_id")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        stored,
        [
            "üser@xn--exmple-cua.com",
            "renée@xn--bcher-kva.example",
            "alice@example.com"
        ]
    );
}
