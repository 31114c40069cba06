//! Emails stored by an earlier release in another form than the canonical one
//! (the domain in Unicode, letters not composed) are rewritten on start, in a
//! fresh schema of the database named by `ORGSSO_TEST_DATABASE_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orgsso_core::Email;
use orgsso_store::UserStore;
use orgsso_store_postgres::PostgresStore;
use sqlx::{Connection, PgConnection};

#[tokio::test]
async fn emails_stored_in_an_older_form_are_rewritten_in_canonical_form_on_start() {
    let Some(url) = std::env::var("ORGSSO_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: ORGSSO_TEST_DATABASE_URL is not set");
        return;
    };
    let url = PostgresStore::fresh_schema_url(&url).await.unwrap();
    let store = PostgresStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();

    let mut conn = PgConnection::connect(&url).await.unwrap();
    for (id, name, address) in [
        (1_i64, "ueser", "üser@exämple.com"),
        (2, "nfd", "rene\u{301}e@bücher.example"),
        (3, "ascii", "alice@example.com"),
    ] {
        sqlx::query(
            "INSERT INTO users (id, username, display_name, password_hash, created_at) OVERRIDING SYSTEM VALUE \
             VALUES ($1, $2, $2, 'x', 0)",
        )
        .bind(id)
        .bind(name)
        .execute(&mut conn)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO emails (user_id, address, is_primary, created_at) VALUES ($1, $2, TRUE, 0)",
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
}
