//! The SSO audit log is append-only in the database itself: not even SQL
//! that bypasses the store can change or delete an entry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use orgsso_core::{Email, OrgName, Role, Timestamp, Username};
use orgsso_store::{
    ActorKind, AuditOutcome, AuditStore, NewAuditEntry, NewOrg, NewUser, OrgStore, UserStore,
};
use orgsso_store_postgres::PostgresStore;

#[tokio::test]
async fn audit_entries_cannot_be_changed_or_deleted() {
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
    let (alice, _) = store
        .create_user(NewUser {
            username: Username::parse("alice").unwrap(),
            display_name: "Alice".into(),
            password_hash: "x".into(),
            email: Email::parse("alice@example.com").unwrap(),
            now: Timestamp::from_unix(1),
        })
        .await
        .unwrap();
    let org = store
        .create_org(NewOrg {
            name: OrgName::parse("acme").unwrap(),
            display_name: "Acme".into(),
            creator: alice.id,
            default_role: Role::Read,
            now: Timestamp::from_unix(1),
        })
        .await
        .unwrap();
    store
        .append_audit(NewAuditEntry {
            org: org.id,
            at: Timestamp::from_unix(2),
            actor_kind: ActorKind::User,
            actor: Some(alice.id),
            event: "sso.enabled".into(),
            target: None,
            outcome: AuditOutcome::Success,
            detail: "SSO enforced".into(),
            details: "{}".into(),
        })
        .await
        .unwrap();

    let raw = sqlx::PgPool::connect(&url).await.unwrap();
    for sql in [
        "UPDATE sso_audit SET detail = 'nothing happened'",
        "UPDATE sso_audit SET outcome = 'failure'",
        "DELETE FROM sso_audit",
    ] {
        let err = sqlx::query(sql).execute(&raw).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    let log = store.audit_log(org.id, 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].detail, "SSO enforced");
}
