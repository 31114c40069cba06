//! The SSO audit log is append-only in the database itself: not even SQL
//! that bypasses the store can change or delete an entry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orgsso_store::conformance::audit_entries_cannot_be_changed_or_deleted;
use orgsso_store_sqlite::SqliteStore;

#[tokio::test]
async fn audit_entries_cannot_be_changed_or_deleted_even_by_raw_sql() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("orgsso.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
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
