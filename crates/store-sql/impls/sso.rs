//! Organization SSO: configurations, the org's SSO state, SSO sessions,
//! pending sign-in requests, the SAML replay cache, the audit log and the
//! last refused SAML response. Each method is one statement, except enabling
//! and disabling, which end the org's sessions and pending sign-ins in the
//! same write transaction. The upserts lean on `ON CONFLICT`, which stays
//! atomic between PostgreSQL instances under READ COMMITTED and which
//! SQLite's single writer makes atomic, so no method reads before it writes.

use crate::dialect::{PUT_SSO_SESSION, SP_KEY_USES, SSO_PROMPTS, VIEWER_IN_ORG};
use crate::error::{db, found};
use crate::rows;
use crate::{Backend, Db};
use async_trait::async_trait;
use orgsso_core::{OrgId, OrgName, SsoMode, Timestamp, UserId};
use orgsso_store::{
    NewSpKey, NewSsoConfig, OrgSso, SpKey, SsoConfig, SsoConfigId, SsoDomain, SsoOptions,
    SsoPrompt, SsoRequest, SsoSession, SsoStore, SsoTestOutcome, StoreError, StoreResult,
    ViewerInOrg,
};
use orgsso_store::{SsoIdentityRecord, SsoSignIn, SsoUserEntry, StoredRoleMapping};
use orgsso_store_sql::sso as sql;

#[async_trait]
impl SsoStore for Backend {
    async fn create_sso_config(&self, new: NewSsoConfig) -> StoreResult<SsoConfig> {
        let row = sqlx::query(sql::INSERT_CONFIG)
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
        sqlx::query(sql::CONFIG_BY_ID)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::sso_config(&row))
            .transpose()
    }

    async fn latest_sso_config(&self, org: OrgId) -> StoreResult<Option<SsoConfig>> {
        sqlx::query(sql::LATEST_CONFIG)
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
        let done = sqlx::query(sql::MARK_CONFIG_TESTED)
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
        let row = sqlx::query(sql::ORG_SSO)
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
        let row = sqlx::query(VIEWER_IN_ORG)
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
        let done = sqlx::query(sql::ENABLE)
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
        sqlx::query(sql::DISABLE)
            .bind(org.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let ended = end_sessions_and_sign_ins(&mut tx, org).await?;
        tx.commit().await.map_err(db)?;
        Ok(ended)
    }

    async fn set_sso_options(&self, org: OrgId, options: SsoOptions) -> StoreResult<()> {
        sqlx::query(sql::SET_OPTIONS)
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
        sqlx::query(sql::DOMAINS)
            .bind(org.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(rows::sso_domain)
            .collect()
    }

    async fn add_sso_domain(&self, org: OrgId, domain: &str, now: Timestamp) -> StoreResult<()> {
        sqlx::query(sql::INSERT_DOMAIN)
            .bind(org.0)
            .bind(domain)
            .bind(now.unix())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn remove_sso_domain(&self, org: OrgId, domain: &str) -> StoreResult<()> {
        let done = sqlx::query(sql::DELETE_DOMAIN)
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
        sqlx::query(sql::ENABLED_ORGS_WITH_DOMAIN)
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
        sqlx::query(SSO_PROMPTS)
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
        let done = sqlx::query(PUT_SSO_SESSION)
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
        sqlx::query(sql::SESSIONS_OF_ORG)
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
        let done = sqlx::query(sql::REVOKE_SESSIONS)
            .bind(org.0)
            .bind(user.map(|u| u.0))
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn delete_sso_sessions_of_user(&self, user: UserId) -> StoreResult<u64> {
        let done = sqlx::query(sql::DELETE_SESSIONS_OF_USER)
            .bind(user.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn create_sso_request(&self, request: SsoRequest) -> StoreResult<()> {
        sqlx::query(sql::INSERT_REQUEST)
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
        let taken = sqlx::query(sql::TAKE_REQUEST)
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
        let found = sqlx::query(sql::REQUEST_PENDING)
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
        // On PostgreSQL a concurrent insert of the same key waits for the
        // first to commit, then re-checks `WHERE` against the row it wrote.
        let done = sqlx::query(sql::REMEMBER_ASSERTION)
            .bind(issuer)
            .bind(assertion_id)
            .bind(expires_at.unix())
            .bind(now.unix())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected() == 1)
    }

    async fn put_failed_response(
        &self,
        org: OrgId,
        response: &str,
        at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(sql::PUT_FAILED_RESPONSE)
            .bind(org.0)
            .bind(response)
            .bind(at.unix())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn failed_response(&self, org: OrgId) -> StoreResult<Option<(String, Timestamp)>> {
        sqlx::query(sql::FAILED_RESPONSE)
            .bind(org.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::failed_response(&row))
            .transpose()
    }

    async fn sp_keys(&self, org: OrgId) -> StoreResult<Vec<SpKey>> {
        sqlx::query(sql::SP_KEYS)
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
            let done = sqlx::query(sql::INSERT_SP_KEY_IF_NONE)
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
        let mut tx = self.write_tx().await?;
        let existing: Vec<(String, bool)> = sqlx::query_as(SP_KEY_USES)
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
            sqlx::query(sql::RETIRE_SP_KEY)
                .bind(org.0)
                .bind(key.usage.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
            sqlx::query(sql::INSERT_SP_KEY)
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
        let done = sqlx::query(sql::DELETE_RETIRED_SP_KEYS)
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
        sqlx::query(sql::IDENTITY)
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
        sqlx::query(sql::IDENTITY_BY_SUBJECT)
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
        sqlx::query(sql::IDENTITIES_OF_ORG)
            .bind(org.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(rows::sso_identity)
            .collect()
    }

    async fn sso_users_of_org(&self, org: OrgId) -> StoreResult<Vec<SsoUserEntry>> {
        sqlx::query(sql::USERS_OF_ORG)
            .bind(org.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(rows::sso_user)
            .collect()
    }

    async fn record_sso_sign_in(&self, sign_in: SsoSignIn) -> StoreResult<bool> {
        let done = sqlx::query(sql::RECORD_SIGN_IN)
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
        let done = sqlx::query(sql::UNLINK_IDENTITY)
            .bind(org.0)
            .bind(user.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }

    async fn role_mapping(&self, org: OrgId) -> StoreResult<Option<StoredRoleMapping>> {
        sqlx::query(sql::ROLE_MAPPING)
            .bind(org.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::role_mapping(&row))
            .transpose()
    }

    async fn set_role_mapping(
        &self,
        org: OrgId,
        mapping: Option<&StoredRoleMapping>,
    ) -> StoreResult<()> {
        let Some(mapping) = mapping else {
            sqlx::query(sql::DELETE_ROLE_MAPPING)
                .bind(org.0)
                .execute(&self.pool)
                .await
                .map_err(db)?;
            return Ok(());
        };
        sqlx::query(sql::PUT_ROLE_MAPPING)
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
        for statement in sql::PURGE_EXPIRED {
            let done = sqlx::query(statement)
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
    tx: &mut sqlx::Transaction<'static, Db>,
    org: OrgId,
) -> StoreResult<u64> {
    let ended = sqlx::query(sql::END_SESSIONS)
        .bind(org.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?
        .rows_affected();
    sqlx::query(sql::CANCEL_SIGN_INS)
        .bind(org.0)
        .execute(&mut **tx)
        .await
        .map_err(db)?;
    Ok(ended)
}
