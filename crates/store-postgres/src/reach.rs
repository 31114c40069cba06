//! Who an organization's SSO reaches: users of an email domain and the
//! tokens of a set of users, for the admin's preview.

use crate::error::db;
use crate::rows::{self, get, parsed, token_columns};
use crate::PostgresStore;
use async_trait::async_trait;
use orgsso_core::{UserId, Username};
use orgsso_store::{AccessToken, DomainUser, SsoReachStore, StoreResult};
use sqlx::postgres::PgRow;

/// The same domain test the policy's queries use: the address ends in
/// exactly `@domain`.
const USERS_IN_EMAIL_DOMAIN: &str =
    "SELECT u.id AS id, u.username AS username, e.address AS address \
     FROM emails e JOIN users u ON u.id = e.user_id \
     WHERE e.verified_at IS NOT NULL \
     AND substr(e.address, length(e.address) - length($1)) = '@' || $1 \
     ORDER BY u.username, e.address";

#[async_trait]
impl SsoReachStore for PostgresStore {
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
        let ids: Vec<i64> = users.iter().map(|u| u.0).collect();
        sqlx::query(concat!(
            "SELECT ",
            token_columns!(),
            " FROM access_tokens WHERE user_id = ANY($1) \
             ORDER BY (SELECT username FROM users WHERE users.id = access_tokens.user_id), name"
        ))
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(rows::token)
        .collect()
    }
}

fn domain_user(row: &PgRow) -> StoreResult<DomainUser> {
    Ok(DomainUser {
        user: UserId(get(row, "id")?),
        username: parsed(row, "username", Username::parse)?,
        address: get(row, "address")?,
    })
}
