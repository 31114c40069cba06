//! What the admin's SSO preview reads: users of an email domain, the tokens
//! of a set of users, and members' last sign-in claims.

use crate::dialect;
use crate::error::{db, found};
use crate::rows;
use crate::Backend;
use async_trait::async_trait;
use orgsso_core::{OrgId, Timestamp, UserId};
use orgsso_store::{AccessToken, DomainUser, SignInClaims, SsoInsightStore, StoreResult};
use orgsso_store_sql::insight as sql;

#[async_trait]
impl SsoInsightStore for Backend {
    async fn users_in_email_domain(&self, domain: &str) -> StoreResult<Vec<DomainUser>> {
        sqlx::query(sql::USERS_IN_EMAIL_DOMAIN)
            .bind(domain)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(sql::domain_user)
            .collect()
    }

    async fn tokens_of_users(&self, users: &[UserId]) -> StoreResult<Vec<AccessToken>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        sqlx::query(dialect::TOKENS_OF_USERS)
            .bind(dialect::user_set(users))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(rows::token)
            .collect()
    }

    async fn record_sign_in_claims(
        &self,
        org: OrgId,
        user: UserId,
        claims: Option<&str>,
        at: Timestamp,
    ) -> StoreResult<()> {
        let done = sqlx::query(sql::RECORD_SIGN_IN_CLAIMS)
            .bind(org.0)
            .bind(user.0)
            .bind(claims)
            .bind(at.unix())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }

    async fn sign_in_claims_of_org(&self, org: OrgId) -> StoreResult<Vec<SignInClaims>> {
        sqlx::query(sql::SIGN_IN_CLAIMS_OF_ORG)
            .bind(org.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(sql::sign_in_claims)
            .collect()
    }
}
