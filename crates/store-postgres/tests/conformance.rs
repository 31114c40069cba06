//! Runs the store conformance suite against a fresh schema per test in the
//! database named by `ORGSSO_TEST_DATABASE_URL`; without it the cases skip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orgsso_store::conformance::Fresh;
use orgsso_store_postgres::PostgresStore;

async fn fresh_store() -> Option<Fresh> {
    let url = std::env::var("ORGSSO_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let store = PostgresStore::connect_fresh_schema(&url).await.unwrap();
    store.migrate().await.unwrap();
    Some(Fresh::new(store))
}

orgsso_store::conformance_suite!(fresh_store);

#[tokio::test]
async fn migrating_again_is_harmless() {
    let Some(url) = std::env::var("ORGSSO_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped migrating_again_is_harmless: ORGSSO_TEST_DATABASE_URL is not set");
        return;
    };
    let store = PostgresStore::connect_fresh_schema(&url).await.unwrap();
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
}
