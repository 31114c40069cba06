//! The SSO audit log: appends, and filtered pages in id order. The
//! database itself refuses to change or delete an entry (see the migration).

use crate::error::db;
use crate::rows::{get, parsed};
use crate::PostgresStore;
use async_trait::async_trait;
use orgsso_core::{OrgId, Timestamp, UserId};
use orgsso_store::{
    ActorKind, AuditEntry, AuditOutcome, AuditQuery, AuditStore, NewAuditEntry, StoreResult,
};
use sqlx::postgres::PgRow;

const APPEND_AUDIT: &str = "INSERT INTO sso_audit \
     (org_id, at, actor_kind, actor_id, event, target, outcome, detail, details) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Every filter is a parameter that, when NULL, lets every row through.
macro_rules! audit_page {
    ($order:literal, $cursor:literal) => {
        concat!(
            "SELECT id, org_id, at, actor_kind, actor_id, event, target, outcome, detail, details \
             FROM sso_audit WHERE org_id = $1 \
             AND ($2 IS NULL OR event = $2) \
             AND ($3 IS NULL OR actor_id = $3 OR target = $4) \
             AND ($5 IS NULL OR outcome = $5) \
             AND ($6 IS NULL OR at >= $6) \
             AND ($7 IS NULL OR at < $7) \
             AND ($8 IS NULL OR id ",
            $cursor,
            " $8) ORDER BY id ",
            $order,
            " LIMIT $9"
        )
    };
}
const AUDIT_PAGE_OLDEST_FIRST: &str = audit_page!("ASC", ">");
const AUDIT_PAGE_NEWEST_FIRST: &str = audit_page!("DESC", "<");

#[async_trait]
impl AuditStore for PostgresStore {
    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()> {
        sqlx::query(APPEND_AUDIT)
            .bind(entry.org.0)
            .bind(entry.at.unix())
            .bind(entry.actor_kind.as_str())
            .bind(entry.actor.map(|user| user.0))
            .bind(&entry.event)
            .bind(&entry.target)
            .bind(entry.outcome.as_str())
            .bind(&entry.detail)
            .bind(&entry.details)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn audit_page(&self, org: OrgId, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>> {
        let sql = if query.newest_first {
            AUDIT_PAGE_NEWEST_FIRST
        } else {
            AUDIT_PAGE_OLDEST_FIRST
        };
        sqlx::query(sql)
            .bind(org.0)
            .bind(query.event.as_deref())
            .bind(query.user.as_ref().map(|(id, _)| id.0))
            .bind(query.user.as_ref().map(|(_, name)| name.as_str()))
            .bind(query.outcome.map(AuditOutcome::as_str))
            .bind(query.since.map(Timestamp::unix))
            .bind(query.until.map(Timestamp::unix))
            .bind(query.cursor)
            .bind(i64::from(query.limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(audit_entry)
            .collect()
    }
}

fn audit_entry(row: &PgRow) -> StoreResult<AuditEntry> {
    Ok(AuditEntry {
        id: get(row, "id")?,
        org: OrgId(get(row, "org_id")?),
        at: Timestamp::from_unix(get(row, "at")?),
        actor_kind: parsed(row, "actor_kind", |t: &str| ActorKind::parse(t).ok_or(()))?,
        actor: get::<Option<i64>>(row, "actor_id")?.map(UserId),
        event: get(row, "event")?,
        target: get(row, "target")?,
        outcome: parsed(row, "outcome", |t: &str| AuditOutcome::parse(t).ok_or(()))?,
        detail: get(row, "detail")?,
        details: get(row, "details")?,
    })
}
