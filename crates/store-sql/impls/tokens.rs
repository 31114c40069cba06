//! Access tokens, stored and looked up only by their SHA-256.

use crate::error::{db, found};
use crate::rows;
use crate::Backend;
use async_trait::async_trait;
use orgsso_core::{Timestamp, TokenId, UserId};
use orgsso_store::{AccessToken, NewToken, StoreResult, TokenStore};
use orgsso_store_sql::tokens as sql;

#[async_trait]
impl TokenStore for Backend {
    async fn create_token(&self, new: NewToken) -> StoreResult<AccessToken> {
        let row = sqlx::query(sql::INSERT)
            .bind(new.user.0)
            .bind(&new.name)
            .bind(new.scope.as_str())
            .bind(&new.token_hash)
            .bind(new.now.unix())
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        rows::token(&row)
    }

    async fn tokens_of(&self, user: UserId) -> StoreResult<Vec<AccessToken>> {
        sqlx::query(sql::OF_USER)
            .bind(user.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(rows::token)
            .collect()
    }

    async fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<AccessToken>> {
        sqlx::query(sql::BY_HASH)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::token(&row))
            .transpose()
    }

    async fn touch_token(&self, id: TokenId, now: Timestamp) -> StoreResult<()> {
        let done = sqlx::query(sql::TOUCH)
            .bind(now.unix())
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }

    async fn revoke_token(&self, user: UserId, id: TokenId) -> StoreResult<()> {
        let done = sqlx::query(sql::DELETE)
            .bind(id.0)
            .bind(user.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }
}
