//! Runs the store conformance suite against a fresh SQLite file per test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orgsso_store::conformance::Fresh;
use orgsso_store_sqlite::SqliteStore;

async fn fresh_store() -> Option<Fresh> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("orgsso.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    Some(Fresh::keeping(store, dir))
}

orgsso_store::conformance_suite!(fresh_store);
