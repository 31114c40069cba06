//! Rewrites emails stored before addresses had one canonical form, when the
//! store migrates.

use crate::dialect::NON_ASCII_EMAILS;
use crate::error::db;
use crate::Backend;
use orgsso_store::StoreResult;
use sqlx::Row;

impl Backend {
    /// Rewrites emails stored before addresses had one canonical form (NFC,
    /// the domain in IDNA ASCII), so lookups and the SSO domain match see it.
    /// Only an address with a non-ASCII character can differ from its form;
    /// one whose form another account already has, or that no longer parses,
    /// is left as it is and logged for the operator.
    pub(crate) async fn canonicalize_emails(&self) -> StoreResult<()> {
        let rows = sqlx::query(NON_ASCII_EMAILS)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?;
        for row in rows {
            let id: i64 = row.try_get("id").map_err(db)?;
            let address: String = row.try_get("address").map_err(db)?;
            let Some(canonical) = orgsso_store::canonical_rewrite(id, &address) else {
                continue;
            };
            let updated = sqlx::query(orgsso_store_sql::users::SET_EMAIL_ADDRESS)
                .bind(canonical.as_str())
                .bind(id)
                .execute(&self.pool)
                .await
                .map(|_| ())
                .map_err(db);
            orgsso_store::rewrite_outcome(id, &canonical, updated)?;
        }
        Ok(())
    }
}
