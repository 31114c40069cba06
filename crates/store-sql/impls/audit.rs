//! The SSO audit log: appends, and filtered pages in id order.

use crate::error::db;
use crate::Backend;
use async_trait::async_trait;
use orgsso_core::{OrgId, Timestamp};
use orgsso_store::{AuditEntry, AuditOutcome, AuditQuery, AuditStore, NewAuditEntry, StoreResult};
use orgsso_store_sql::audit as sql;

#[async_trait]
impl AuditStore for Backend {
    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()> {
        sqlx::query(sql::APPEND_AUDIT)
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
            sql::AUDIT_PAGE_NEWEST_FIRST
        } else {
            sql::AUDIT_PAGE_OLDEST_FIRST
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
            .map(sql::audit_entry)
            .collect()
    }
}
