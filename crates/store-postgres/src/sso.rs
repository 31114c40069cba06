//! Organization SSO: configurations, the org's SSO state, SSO sessions,
//! pending sign-in requests, the SAML replay cache, the audit log and the
//! last refused SAML response. Each method is one statement (enabling and
//! disabling: one transaction that also ends sessions); the upserts
//! lean on `ON CONFLICT`, which stays atomic between instances under READ
//! COMMITTED, so no method reads before it writes.

use crate::error::db;
use crate::error::found;
use crate::rows::{self, audit_columns, org_sso_columns, sso_config_columns, sso_request_columns};
use crate::PostgresStore;
use async_trait::async_trait;
use orgsso_core::{OrgId, OrgName, SsoMode, Timestamp, UserId};
use orgsso_store::{
    AuditEntry, NewAuditEntry, NewSpKey, NewSsoConfig, OrgSso, SpKey, SsoConfig, SsoConfigId,
    SsoDomain, SsoOptions, SsoPrompt, SsoRequest, SsoSession, SsoStore, SsoTestOutcome, StoreError,
    StoreResult, ViewerInOrg,
};
use orgsso_store::{SsoIdentityRecord, SsoSignIn, SsoUserEntry, StoredRoleMapping};

macro_rules! sso_identity_columns {
    () => {
        "org_id, user_id, issuer, subject, email, first_login_at, last_login_at, role, role_source"
    };
}

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
        outcome: SsoTestOutcome,
    ) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE sso_configs SET tested_at = $1, test_result = $2, tested_by = $3, \
             tested_identity_matches = $4 WHERE id = $5",
        )
        .bind(outcome.at.unix())
        .bind(&outcome.result)
        .bind(outcome.by.0)
        .bind(outcome.identity_matches)
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

    async fn viewer_in_org(
        &self,
        org: OrgId,
        user: UserId,
        hub_session_hash: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<ViewerInOrg> {
        // One row per org: the membership and the SSO state by primary key;
        // the domain and session checks only run while SSO is on.
        let row = sqlx::query(
            "SELECT m.role AS role, COALESCE(s.enabled, FALSE) AS enabled, \
             COALESCE(s.enforced, TRUE) AS enforced, \
             CASE WHEN s.enabled THEN EXISTS (SELECT 1 FROM emails e \
               JOIN org_sso_domains d ON d.org_id = o.id \
               WHERE e.user_id = $2 AND e.verified_at IS NOT NULL \
               AND substr(e.address, length(e.address) - length(d.domain)) = '@' || d.domain) \
             ELSE FALSE END AS in_domain, \
             CASE WHEN s.enabled THEN EXISTS (SELECT 1 FROM sso_sessions ss \
               WHERE ss.user_id = $2 AND ss.org_id = o.id AND ss.config_id = s.active_config_id \
               AND ss.expires_at > $4 AND ss.created_at + s.session_ttl_s > $4 \
               AND ($3::text IS NULL OR ss.hub_session_hash = $3)) \
             ELSE FALSE END AS live_session \
             FROM orgs o \
             LEFT JOIN memberships m ON m.org_id = o.id AND m.user_id = $2 \
             LEFT JOIN org_sso s ON s.org_id = o.id \
             WHERE o.id = $1",
        )
        .bind(org.0)
        .bind(user.0)
        .bind(hub_session_hash)
        .bind(now.unix())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
        rows::viewer_in_org(&row)
    }

    async fn enable_sso(
        &self,
        org: OrgId,
        config: SsoConfigId,
        mode: SsoMode,
        admin: UserId,
        tested_since: Timestamp,
    ) -> StoreResult<()> {
        if mode == SsoMode::Off {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.write_tx().await?;
        // The SELECT yields a row only for a configuration of this org that
        // this admin tested recently with their own identity.
        let done = sqlx::query(
            "INSERT INTO org_sso (org_id, enabled, enforced, active_config_id) \
             SELECT org_id, TRUE, $1, id FROM sso_configs \
             WHERE id = $2 AND org_id = $3 AND tested_by = $4 AND tested_at >= $5 \
             AND tested_identity_matches \
             ON CONFLICT (org_id) DO UPDATE \
             SET enabled = TRUE, enforced = excluded.enforced, \
             active_config_id = excluded.active_config_id",
        )
        .bind(mode == SsoMode::Enforced)
        .bind(config.0)
        .bind(org.0)
        .bind(admin.0)
        .bind(tested_since.unix())
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        found(done.rows_affected())?;
        end_sessions_and_sign_ins(&mut tx, org).await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn disable_sso(&self, org: OrgId) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        // An upsert, so a missing org fails its foreign key (`NotFound`)
        // while disabling twice is harmless.
        sqlx::query(
            "INSERT INTO org_sso (org_id, enabled, active_config_id) VALUES ($1, FALSE, NULL) \
             ON CONFLICT (org_id) DO UPDATE SET enabled = FALSE, active_config_id = NULL",
        )
        .bind(org.0)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
        let ended = end_sessions_and_sign_ins(&mut tx, org).await?;
        tx.commit().await.map_err(db)?;
        Ok(ended)
    }

    async fn set_sso_options(&self, org: OrgId, options: SsoOptions) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO org_sso (org_id, session_ttl_s, allow_idp_initiated, jit_membership) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (org_id) DO UPDATE SET session_ttl_s = excluded.session_ttl_s, \
             allow_idp_initiated = excluded.allow_idp_initiated, \
             jit_membership = excluded.jit_membership",
        )
        .bind(org.0)
        .bind(options.session_ttl_s)
        .bind(options.allow_idp_initiated)
        .bind(options.jit_membership)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn sso_domains(&self, org: OrgId) -> StoreResult<Vec<SsoDomain>> {
        sqlx::query(
            "SELECT d.domain AS domain, (SELECT COUNT(DISTINCT e.user_id)::BIGINT FROM emails e \
               WHERE e.verified_at IS NOT NULL \
               AND substr(e.address, length(e.address) - length(d.domain)) = '@' || d.domain) \
               AS verified_accounts \
             FROM org_sso_domains d WHERE d.org_id = $1 ORDER BY d.domain",
        )
        .bind(org.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(rows::sso_domain)
        .collect()
    }

    async fn add_sso_domain(&self, org: OrgId, domain: &str, now: Timestamp) -> StoreResult<()> {
        sqlx::query("INSERT INTO org_sso_domains (org_id, domain, created_at) VALUES ($1, $2, $3)")
            .bind(org.0)
            .bind(domain)
            .bind(now.unix())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn remove_sso_domain(&self, org: OrgId, domain: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM org_sso_domains WHERE org_id = $1 AND domain = $2")
            .bind(org.0)
            .bind(domain)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }

    async fn enabled_orgs_with_domain(
        &self,
        domain: &str,
        except: OrgId,
    ) -> StoreResult<Vec<OrgName>> {
        sqlx::query(
            "SELECT o.name AS name FROM org_sso_domains d \
             JOIN org_sso s ON s.org_id = d.org_id AND s.enabled \
             JOIN orgs o ON o.id = d.org_id \
             WHERE d.domain = $1 AND d.org_id <> $2 ORDER BY o.name",
        )
        .bind(domain)
        .bind(except.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(|row| rows::parsed(row, "name", OrgName::parse))
        .collect()
    }

    async fn sso_prompts(
        &self,
        user: UserId,
        hub_session_hash: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Vec<SsoPrompt>> {
        sqlx::query(
            "SELECT o.name AS name, s.enforced AS enforced FROM org_sso s \
             JOIN orgs o ON o.id = s.org_id \
             WHERE s.enabled \
             AND (EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = s.org_id AND m.user_id = $1) \
               OR EXISTS (SELECT 1 FROM emails e JOIN org_sso_domains d ON d.org_id = s.org_id \
                 WHERE e.user_id = $1 AND e.verified_at IS NOT NULL \
                 AND substr(e.address, length(e.address) - length(d.domain)) = '@' || d.domain)) \
             AND NOT EXISTS (SELECT 1 FROM sso_sessions ss \
               WHERE ss.user_id = $1 AND ss.org_id = s.org_id AND ss.config_id = s.active_config_id \
               AND ss.expires_at > $3 AND ss.created_at + s.session_ttl_s > $3 \
               AND ($2::text IS NULL OR ss.hub_session_hash = $2)) \
             ORDER BY o.name",
        )
        .bind(user.0)
        .bind(hub_session_hash)
        .bind(now.unix())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(rows::sso_prompt)
        .collect()
    }

    async fn put_sso_session(&self, session: SsoSession) -> StoreResult<()> {
        // Inserted only while `config` is the org's active configuration:
        // a sign-in that outlived a disable or a new configuration opens
        // nothing. `FOR SHARE` orders it with a concurrent disable, whose
        // update of the org's row then either waits for this session (and
        // deletes it) or is seen by it.
        let done = sqlx::query(
            "INSERT INTO sso_sessions \
             (hub_session_hash, org_id, user_id, config_id, subject, email, created_at, expires_at) \
             SELECT $1, org_id, $2, active_config_id, $3, $4, $5, $6 FROM org_sso \
             WHERE org_id = $7 AND enabled AND active_config_id = $8 FOR SHARE \
             ON CONFLICT (hub_session_hash, org_id) DO UPDATE SET user_id = excluded.user_id, \
             config_id = excluded.config_id, subject = excluded.subject, email = excluded.email, \
             created_at = excluded.created_at, expires_at = excluded.expires_at",
        )
        .bind(&session.hub_session_hash)
        .bind(session.user.0)
        .bind(&session.subject)
        .bind(&session.email)
        .bind(session.created_at.unix())
        .bind(session.expires_at.unix())
        .bind(session.org.0)
        .bind(session.config.0)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        found(done.rows_affected())
    }

    async fn sso_sessions_of_org(
        &self,
        org: OrgId,
        now: Timestamp,
    ) -> StoreResult<Vec<SsoSession>> {
        // The org's timeout as it is now applies to sessions already open.
        sqlx::query(
            "SELECT ss.hub_session_hash, ss.user_id, ss.org_id, ss.config_id, ss.subject, \
             ss.email, ss.created_at, LEAST(ss.expires_at, ss.created_at + s.session_ttl_s) \
             AS expires_at \
             FROM sso_sessions ss JOIN org_sso s ON s.org_id = ss.org_id \
             AND s.enabled AND s.active_config_id = ss.config_id \
             WHERE ss.org_id = $1 AND ss.expires_at > $2 AND ss.created_at + s.session_ttl_s > $3 \
             ORDER BY ss.email, ss.user_id, ss.created_at",
        )
        .bind(org.0)
        .bind(now.unix())
        .bind(now.unix())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(rows::sso_session)
        .collect()
    }

    async fn revoke_sso_sessions(&self, org: OrgId, user: Option<UserId>) -> StoreResult<u64> {
        let done = sqlx::query(
            "DELETE FROM sso_sessions WHERE org_id = $1 AND ($2::bigint IS NULL OR user_id = $2)",
        )
        .bind(org.0)
        .bind(user.map(|u| u.0))
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn delete_sso_sessions_of_user(&self, user: UserId) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sso_sessions WHERE user_id = $1")
            .bind(user.0)
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

    async fn sp_keys(&self, org: OrgId) -> StoreResult<Vec<SpKey>> {
        sqlx::query(
            "SELECT org_id, usage, current, private_key_ciphertext, certificate_pem, created_at \
             FROM sp_keys WHERE org_id = $1 ORDER BY usage DESC, current DESC",
        )
        .bind(org.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(rows::sp_key)
        .collect()
    }

    async fn create_sp_keys(
        &self,
        org: OrgId,
        keys: &[NewSpKey],
        now: Timestamp,
    ) -> StoreResult<u64> {
        let mut created = 0;
        for key in keys {
            let done = sqlx::query(
                "INSERT INTO sp_keys \
                 (org_id, usage, current, private_key_ciphertext, certificate_pem, created_at) \
                 VALUES ($1, $2, TRUE, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(org.0)
            .bind(key.usage.as_str())
            .bind(&key.private_key_ciphertext)
            .bind(&key.certificate_pem)
            .bind(now.unix())
            .execute(&self.pool)
            .await
            .map_err(db)?;
            created += done.rows_affected();
        }
        Ok(created)
    }

    async fn rotate_sp_keys(
        &self,
        org: OrgId,
        keys: &[NewSpKey],
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        // Locks the org's keys, so a concurrent rotation waits and then sees this one.
        let existing: Vec<(String, bool)> =
            sqlx::query_as("SELECT usage, current FROM sp_keys WHERE org_id = $1 FOR UPDATE")
                .bind(org.0)
                .fetch_all(&mut *tx)
                .await
                .map_err(db)?;
        let rotating = existing.iter().all(|(_, current)| *current)
            && keys
                .iter()
                .all(|k| existing.iter().any(|(usage, _)| usage == k.usage.as_str()));
        if !rotating {
            return Ok(false);
        }
        for key in keys {
            sqlx::query("UPDATE sp_keys SET current = FALSE WHERE org_id = $1 AND usage = $2")
                .bind(org.0)
                .bind(key.usage.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::query(
                "INSERT INTO sp_keys \
                 (org_id, usage, current, private_key_ciphertext, certificate_pem, created_at) \
                 VALUES ($1, $2, TRUE, $3, $4, $5)",
            )
            .bind(org.0)
            .bind(key.usage.as_str())
            .bind(&key.private_key_ciphertext)
            .bind(&key.certificate_pem)
            .bind(now.unix())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(true)
    }

    async fn retire_sp_keys(&self, org: OrgId) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sp_keys WHERE org_id = $1 AND NOT current")
            .bind(org.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn sso_identity(
        &self,
        org: OrgId,
        user: UserId,
    ) -> StoreResult<Option<SsoIdentityRecord>> {
        sqlx::query(concat!(
            "SELECT ",
            sso_identity_columns!(),
            " FROM sso_identities WHERE org_id = $1 AND user_id = $2"
        ))
        .bind(org.0)
        .bind(user.0)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .map(|row| rows::sso_identity(&row))
        .transpose()
    }

    async fn sso_identity_by_subject(
        &self,
        org: OrgId,
        issuer: &str,
        subject: &str,
    ) -> StoreResult<Option<SsoIdentityRecord>> {
        sqlx::query(concat!(
            "SELECT ",
            sso_identity_columns!(),
            " FROM sso_identities WHERE org_id = $1 AND issuer = $2 AND subject = $3"
        ))
        .bind(org.0)
        .bind(issuer)
        .bind(subject)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .map(|row| rows::sso_identity(&row))
        .transpose()
    }

    async fn sso_identities_of_org(&self, org: OrgId) -> StoreResult<Vec<SsoIdentityRecord>> {
        sqlx::query(concat!(
            "SELECT ",
            sso_identity_columns!(),
            " FROM sso_identities WHERE org_id = $1 ORDER BY user_id"
        ))
        .bind(org.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(rows::sso_identity)
        .collect()
    }

    async fn sso_users_of_org(&self, org: OrgId) -> StoreResult<Vec<SsoUserEntry>> {
        sqlx::query(
            "SELECT u.id AS uid, u.username, m.role AS member_role, \
             i.org_id, i.user_id, i.issuer, i.subject, i.email, i.first_login_at, \
             i.last_login_at, i.role, i.role_source \
             FROM users u \
             LEFT JOIN memberships m ON m.org_id = $1 AND m.user_id = u.id \
             LEFT JOIN sso_identities i ON i.org_id = $1 AND i.user_id = u.id \
             WHERE u.id IN (SELECT user_id FROM memberships WHERE org_id = $1 \
             UNION SELECT user_id FROM sso_identities WHERE org_id = $1) \
             ORDER BY u.username",
        )
        .bind(org.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(rows::sso_user)
        .collect()
    }

    async fn record_sso_sign_in(&self, sign_in: SsoSignIn) -> StoreResult<bool> {
        // The upsert only touches the member's row while it names the same
        // subject; another subject leaves it as it is (0 rows).
        let done = sqlx::query(
            "INSERT INTO sso_identities (org_id, user_id, issuer, subject, email, \
             first_login_at, last_login_at, role, role_source) \
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) \
             ON CONFLICT (org_id, user_id) DO UPDATE SET email = excluded.email, \
             last_login_at = excluded.last_login_at, role = excluded.role, \
             role_source = excluded.role_source \
             WHERE sso_identities.issuer = excluded.issuer \
             AND sso_identities.subject = excluded.subject",
        )
        .bind(sign_in.org.0)
        .bind(sign_in.user.0)
        .bind(&sign_in.issuer)
        .bind(&sign_in.subject)
        .bind(&sign_in.email)
        .bind(sign_in.now.unix())
        .bind(sign_in.role.as_str())
        .bind(sign_in.role_source.as_str())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn unlink_sso_identity(&self, org: OrgId, user: UserId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM sso_identities WHERE org_id = $1 AND user_id = $2")
            .bind(org.0)
            .bind(user.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }

    async fn role_mapping(&self, org: OrgId) -> StoreResult<Option<StoredRoleMapping>> {
        sqlx::query("SELECT path, roles, updated_at FROM sso_role_mappings WHERE org_id = $1")
            .bind(org.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| {
                Ok(StoredRoleMapping {
                    path: rows::get(&row, "path")?,
                    roles_json: rows::get(&row, "roles")?,
                    updated_at: Timestamp::from_unix(rows::get(&row, "updated_at")?),
                })
            })
            .transpose()
    }

    async fn set_role_mapping(
        &self,
        org: OrgId,
        mapping: Option<&StoredRoleMapping>,
    ) -> StoreResult<()> {
        let Some(mapping) = mapping else {
            sqlx::query("DELETE FROM sso_role_mappings WHERE org_id = $1")
                .bind(org.0)
                .execute(&self.pool)
                .await
                .map_err(db)?;
            return Ok(());
        };
        sqlx::query(
            "INSERT INTO sso_role_mappings (org_id, path, roles, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (org_id) DO UPDATE SET \
             path = excluded.path, roles = excluded.roles, updated_at = excluded.updated_at",
        )
        .bind(org.0)
        .bind(&mapping.path)
        .bind(&mapping.roles_json)
        .bind(mapping.updated_at.unix())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
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

/// Ends the org's SSO sessions and cancels its pending sign-ins: what
/// started under the old SSO state cannot finish under the new one.
async fn end_sessions_and_sign_ins(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    org: OrgId,
) -> StoreResult<u64> {
    let ended = sqlx::query("DELETE FROM sso_sessions WHERE org_id = $1")
        .bind(org.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?
        .rows_affected();
    sqlx::query("UPDATE sso_requests SET cancelled = TRUE WHERE org_id = $1 AND purpose = 'login'")
        .bind(org.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(ended)
}
