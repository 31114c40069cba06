//! The SSO audit log: appends, and filtered pages in id order. The
//! database itself refuses to change or delete an entry (see the migration).

use crate::rows::{get, parsed, SqlRow};
use orgsso_core::{OrgId, Timestamp, UserId};
use orgsso_store::{ActorKind, AuditEntry, AuditOutcome, StoreResult};

/// Binds every column of a new entry, in the order written.
pub const APPEND_AUDIT: &str = "INSERT INTO sso_audit \
     (org_id, at, actor_kind, actor_id, event, target, outcome, detail, details) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Every filter is a parameter that, when NULL, lets every row through.
macro_rules! audit_page {
    ($order:literal, $cursor:literal) => {
        concat!(
            "SELECT id, org_id, at, actor_kind, actor_id, event, target, outcome, detail, details \
             FROM sso_audit WHERE org_id = $1 \
             AND (CAST($2 AS TEXT) IS NULL OR event = $2) \
             AND (CAST($3 AS BIGINT) IS NULL OR actor_id = $3 OR target = $4) \
             AND (CAST($5 AS TEXT) IS NULL OR outcome = $5) \
             AND (CAST($6 AS BIGINT) IS NULL OR at >= $6) \
             AND (CAST($7 AS BIGINT) IS NULL OR at < $7) \
             AND (CAST($8 AS BIGINT) IS NULL OR id ",
            $cursor,
            " $8) ORDER BY id ",
            $order,
            " LIMIT $9"
        )
    };
}
/// Binds the org, the filters (event, user id, username, outcome, since,
/// until), the cursor and the limit.
pub const AUDIT_PAGE_OLDEST_FIRST: &str = audit_page!("ASC", ">");
/// As [`AUDIT_PAGE_OLDEST_FIRST`], newest first, before the cursor.
pub const AUDIT_PAGE_NEWEST_FIRST: &str = audit_page!("DESC", "<");

/// Expects every column of `sso_audit`.
pub fn audit_entry(row: &impl SqlRow) -> StoreResult<AuditEntry> {
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
