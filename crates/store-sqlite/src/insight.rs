//! What the admin's SSO preview reads: users of an email domain, the tokens
//! of a set of users, and members' last sign-in claims.

use crate::error::db;
use crate::rows::{self, get, parsed, token_columns};
use crate::users::found;
use crate::SqliteStore;
use async_trait::async_trait;
use orgsso_core::{OrgId, Timestamp, UserId, Username};
use orgsso_store::{AccessToken, DomainUser, SignInClaims, SsoInsightStore, StoreResult};
use sqlx::sqlite::SqliteRow;

/// The same domain test the policy's queries use: the address ends in
/// exactly `@domain`.
const USERS_IN_EMAIL_DOMAIN: &str =
    "SELECT u.id AS id, u.username AS username, e.address AS address \
     FROM emails e JOIN users u ON u.id = e.user_id \
     WHERE e.verified_at IS NOT NULL \
     AND substr(e.address, length(e.address) - length($1)) = '@' || $1 \
     ORDER BY u.username, e.address";

const RECORD_SIGN_IN_CLAIMS: &str =
    "INSERT INTO sso_sign_in_claims (org_id, user_id, claims, recorded_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, user_id) \
     DO UPDATE SET claims = excluded.claims, recorded_at = excluded.recorded_at";

/// Current members only: a former member's claims preview nothing.
const SIGN_IN_CLAIMS_OF_ORG: &str = "SELECT c.user_id AS user_id, u.username AS username, \
     c.claims AS claims, c.recorded_at AS recorded_at \
     FROM sso_sign_in_claims c \
     JOIN memberships m ON m.org_id = c.org_id AND m.user_id = c.user_id \
     JOIN users u ON u.id = c.user_id \
     WHERE c.org_id = $1 ORDER BY u.username";

#[async_trait]
impl SsoInsightStore for SqliteStore {
    async fn users_in_email_domain(&self, domain: &str) -> StoreResult<Vec<DomainUser>> {
        sqlx::query(USERS_IN_EMAIL_DOMAIN)
            .bind(domain)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(domain_user)
            .collect()
    }

    async fn tokens_of_users(&self, users: &[UserId]) -> StoreResult<Vec<AccessToken>> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        // One JSON array of integers: SQLite has no array parameters.
        let ids: Vec<String> = users.iter().map(|u| u.0.to_string()).collect();
        let ids = format!("[{}]", ids.join(","));
        sqlx::query(concat!(
            "SELECT ",
            token_columns!(),
            " FROM access_tokens WHERE user_id IN (SELECT value FROM json_each($1)) \
             ORDER BY (SELECT username FROM users WHERE users.id = access_tokens.user_id), name"
        ))
        .bind(ids)
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
        let done = sqlx::query(RECORD_SIGN_IN_CLAIMS)
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
        sqlx::query(SIGN_IN_CLAIMS_OF_ORG)
            .bind(org.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(sign_in_claims)
            .collect()
    }
}

fn sign_in_claims(row: &SqliteRow) -> StoreResult<SignInClaims> {
    Ok(SignInClaims {
        user: UserId(get(row, "user_id")?),
        username: parsed(row, "username", Username::parse)?,
        claims: get(row, "claims")?,
        recorded_at: Timestamp::from_unix(get(row, "recorded_at")?),
    })
}

fn domain_user(row: &SqliteRow) -> StoreResult<DomainUser> {
    Ok(DomainUser {
        user: UserId(get(row, "id")?),
        username: parsed(row, "username", Username::parse)?,
        address: get(row, "address")?,
    })
}
