//! Opening a database: the file is created, WAL and foreign keys are on, and
//! migrations can run again on every start.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orgsso_store::Store;
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
