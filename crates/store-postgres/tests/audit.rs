//! The SSO audit log is append-only in the database itself: not even SQL
//! that bypasses the store can change or delete an entry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orgsso_store::conformance::audit_entries_cannot_be_changed_or_deleted;
use orgsso_store_postgres::PostgresStore;

#[tokio::test]
async fn audit_entries_cannot_be_changed_or_deleted_even_by_raw_sql() {
    let Some(base) = std::env::var("ORGSSO_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: ORGSSO_TEST_DATABASE_URL is not set");
        return;
    };
    let url = PostgresStore::fresh_schema_url(&base).await.unwrap();
    let store = PostgresStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let raw = sqlx::PgPool::connect(&url).await.unwrap();
    audit_entries_cannot_be_changed_or_deleted(&store, |sql| {
        let raw = raw.clone();
        async move {
            sqlx::query(sql)
                .execute(&raw)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    })
    .await;
}
