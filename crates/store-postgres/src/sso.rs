//! Organization SSO: configurations, the org's SSO state, SSO sessions,
//! pending sign-in requests, the SAML replay cache, the audit log and the
//! last refused SAML response. Each method is one statement; the upserts
//! lean on `ON CONFLICT`, which stays atomic between instances under READ
//! COMMITTED, so no method reads before it writes.

use crate::error::db;
use crate::rows::{
    self, audit_columns, org_sso_columns, sso_config_columns, sso_request_columns,
    sso_session_columns,
};
use crate::users::found;
use crate::PostgresStore;
use async_trait::async_trait;
use orgsso_core::{OrgId, Timestamp, UserId};
use orgsso_store::{
    AuditEntry, NewAuditEntry, NewSsoConfig, OrgSso, SsoConfig, SsoConfigId, SsoRequest,
    SsoSession, SsoStore, StoreResult,
};

#[async_trait]
impl SsoStore for PostgresStore {
    async fn create_sso_config(&self, new: NewSsoConfig) -> StoreResult<SsoConfig> {
        let row = sqlx::query(concat!(
            "INSERT INTO sso_configs \
             (org_id, protocol, settings, secret_ciphertext, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
            sso_config_columns!()
        ))
        .bind(new.org.0)
        .bind(new.protocol.as_str())
        .bind(&new.settings)
        .bind(new.secret_ciphertext.as_deref())
        .bind(new.created_by.0)
        .bind(new.now.unix())
        .fetch_one(&self.pool)
        .await
        .map_err(db)?;
        rows::sso_config(&row)
    }

    async fn sso_config(&self, id: SsoConfigId) -> StoreResult<Option<SsoConfig>> {
        sqlx::query(concat!(
            "SELECT ",
            sso_config_columns!(),
            " FROM sso_configs WHERE id = $1"
        ))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .map(|row| rows::sso_config(&row))
        .transpose()
    }

    async fn latest_sso_config(&self, org: OrgId) -> StoreResult<Option<SsoConfig>> {
        // Ids grow with every save, so the highest is the latest even when
        // two saves share a second.
        sqlx::query(concat!(
            "SELECT ",
            sso_config_columns!(),
            " FROM sso_configs WHERE org_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(org.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .map(|row| rows::sso_config(&row))
        .transpose()
    }

    async fn mark_sso_config_tested(
        &self,
        id: SsoConfigId,
        now: Timestamp,
        result: &str,
    ) -> StoreResult<()> {
        let done =
            sqlx::query("UPDATE sso_configs SET tested_at = $1, test_result = $2 WHERE id = $3")
                .bind(now.unix())
                .bind(result)
                .bind(id.0)
                .execute(&self.pool)
                .await
                .map_err(db)?;
        found(done.rows_affected())
    }

    async fn org_sso(&self, org: OrgId) -> StoreResult<OrgSso> {
        let row = sqlx::query(concat!(
            "SELECT ",
            org_sso_columns!(),
            " FROM org_sso WHERE org_id = $1"
        ))
        .bind(org.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        match row {
            Some(row) => rows::org_sso(&row),
            None => Ok(OrgSso::default_for(org)),
        }
    }

    async fn enable_sso(&self, org: OrgId, config: SsoConfigId) -> StoreResult<()> {
        // The SELECT yields a row only for a tested configuration of this
        // org, so nothing is written otherwise.
        let done = sqlx::query(
            "INSERT INTO org_sso (org_id, enabled, active_config_id) \
             SELECT org_id, TRUE, id FROM sso_configs \
             WHERE id = $1 AND org_id = $2 AND tested_at IS NOT NULL \
             ON CONFLICT (org_id) DO UPDATE \
             SET enabled = TRUE, active_config_id = EXCLUDED.active_config_id",
        )
        .bind(config.0)
        .bind(org.0)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        found(done.rows_affected())
    }

    async fn disable_sso(&self, org: OrgId) -> StoreResult<()> {
        // An upsert, so a missing org fails its foreign key (`NotFound`)
        // while disabling twice is harmless.
        sqlx::query(
            "INSERT INTO org_sso (org_id, enabled, active_config_id) VALUES ($1, FALSE, NULL) \
             ON CONFLICT (org_id) DO UPDATE SET enabled = FALSE, active_config_id = NULL",
        )
        .bind(org.0)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn set_sso_options(
        &self,
        org: OrgId,
        session_ttl_s: i64,
        allow_idp_initiated: bool,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO org_sso (org_id, session_ttl_s, allow_idp_initiated) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id) DO UPDATE SET session_ttl_s = EXCLUDED.session_ttl_s, \
             allow_idp_initiated = EXCLUDED.allow_idp_initiated",
        )
        .bind(org.0)
        .bind(session_ttl_s)
        .bind(allow_idp_initiated)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn put_sso_session(&self, session: SsoSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sso_sessions \
             (user_id, org_id, config_id, subject, email, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (user_id, org_id) DO UPDATE SET config_id = EXCLUDED.config_id, \
             subject = EXCLUDED.subject, email = EXCLUDED.email, \
             created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at",
        )
        .bind(session.user.0)
        .bind(session.org.0)
        .bind(session.config.0)
        .bind(&session.subject)
        .bind(&session.email)
        .bind(session.created_at.unix())
        .bind(session.expires_at.unix())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn sso_session(
        &self,
        user: UserId,
        org: OrgId,
        now: Timestamp,
    ) -> StoreResult<Option<SsoSession>> {
        sqlx::query(concat!(
            "SELECT ",
            sso_session_columns!(),
            " FROM sso_sessions WHERE user_id = $1 AND org_id = $2 AND expires_at > $3"
        ))
        .bind(user.0)
        .bind(org.0)
        .bind(now.unix())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .map(|row| rows::sso_session(&row))
        .transpose()
    }

    async fn sso_sessions_of_org(
        &self,
        org: OrgId,
        now: Timestamp,
    ) -> StoreResult<Vec<SsoSession>> {
        sqlx::query(concat!(
            "SELECT ",
            sso_session_columns!(),
            " FROM sso_sessions WHERE org_id = $1 AND expires_at > $2 ORDER BY email, user_id"
        ))
        .bind(org.0)
        .bind(now.unix())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(rows::sso_session)
        .collect()
    }

    async fn delete_sso_sessions_of_org(&self, org: OrgId) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sso_sessions WHERE org_id = $1")
            .bind(org.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn create_sso_request(&self, request: SsoRequest) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sso_requests \
             (handle_hash, hub_session_hash, user_id, org_id, config_id, purpose, return_to, \
             nonce, pkce_verifier, saml_request_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&request.handle_hash)
        .bind(&request.hub_session_hash)
        .bind(request.user.0)
        .bind(request.org.0)
        .bind(request.config.0)
        .bind(request.purpose.as_str())
        .bind(&request.return_to)
        .bind(&request.nonce)
        .bind(&request.pkce_verifier)
        .bind(&request.saml_request_id)
        .bind(request.created_at.unix())
        .bind(request.expires_at.unix())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn take_sso_request(
        &self,
        handle_hash: &str,
        hub_session_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<SsoRequest>> {
        // Deleted whether or not it has expired: an expired request is useless.
        let taken = sqlx::query(concat!(
            "DELETE FROM sso_requests WHERE handle_hash = $1 AND hub_session_hash = $2 RETURNING ",
            sso_request_columns!()
        ))
        .bind(handle_hash)
        .bind(hub_session_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .map(|row| rows::sso_request(&row))
        .transpose()?;
        Ok(taken.filter(|request| now < request.expires_at))
    }

    async fn sso_request_pending(&self, handle_hash: &str, now: Timestamp) -> StoreResult<bool> {
        let found =
            sqlx::query("SELECT 1 FROM sso_requests WHERE handle_hash = $1 AND expires_at > $2")
                .bind(handle_hash)
                .bind(now.unix())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
        Ok(found.is_some())
    }

    async fn remember_assertion(
        &self,
        issuer: &str,
        assertion_id: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool> {
        // One statement decides: a new id is inserted, an expired record is
        // taken over, a live one is left alone and nothing changes. A
        // concurrent insert of the same key waits for the first to commit,
        // then re-checks `WHERE` against the row it wrote.
        let done = sqlx::query(
            "INSERT INTO saml_assertions (issuer, assertion_id, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (issuer, assertion_id) DO UPDATE SET expires_at = EXCLUDED.expires_at \
             WHERE saml_assertions.expires_at <= $4",
        )
        .bind(issuer)
        .bind(assertion_id)
        .bind(expires_at.unix())
        .bind(now.unix())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sso_audit (org_id, at, actor_id, event, detail) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(entry.org.0)
        .bind(entry.at.unix())
        .bind(entry.actor.map(|user| user.0))
        .bind(&entry.event)
        .bind(&entry.detail)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn audit_log(&self, org: OrgId, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        sqlx::query(concat!(
            "SELECT ",
            audit_columns!(),
            " FROM sso_audit WHERE org_id = $1 ORDER BY at DESC, id DESC LIMIT $2"
        ))
        .bind(org.0)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(rows::audit)
        .collect()
    }

    async fn put_failed_response(
        &self,
        org: OrgId,
        response: &str,
        at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sso_failed_responses (org_id, response, at) VALUES ($1, $2, $3) \
             ON CONFLICT (org_id) DO UPDATE SET response = EXCLUDED.response, at = EXCLUDED.at",
        )
        .bind(org.0)
        .bind(response)
        .bind(at.unix())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn failed_response(&self, org: OrgId) -> StoreResult<Option<(String, Timestamp)>> {
        sqlx::query("SELECT response, at FROM sso_failed_responses WHERE org_id = $1")
            .bind(org.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::failed_response(&row))
            .transpose()
    }

    async fn purge_expired_sso(&self, now: Timestamp) -> StoreResult<u64> {
        let mut purged = 0;
        for table in ["sso_sessions", "sso_requests", "saml_assertions"] {
            // Table names come from the fixed list above, never from input.
            let done = sqlx::query(&format!("DELETE FROM {table} WHERE expires_at <= $1"))
                .bind(now.unix())
                .execute(&self.pool)
                .await
                .map_err(db)?;
            purged += done.rows_affected();
        }
        Ok(purged)
    }
}
