//! Access tokens, stored and looked up only by their SHA-256.

use crate::error::db;
use crate::error::found;
use crate::rows::{self, token_columns};
use crate::SqliteStore;
use async_trait::async_trait;
use orgsso_core::{Timestamp, TokenId, UserId};
use orgsso_store::{AccessToken, NewToken, StoreResult, TokenStore};

#[async_trait]
impl TokenStore for SqliteStore {
    async fn create_token(&self, new: NewToken) -> StoreResult<AccessToken> {
        let row = sqlx::query(concat!(
            "INSERT INTO access_tokens (user_id, name, scope, token_hash, created_at) \
             VALUES (?, ?, ?, ?, ?) RETURNING ",
            token_columns!()
        ))
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
        sqlx::query(concat!(
            "SELECT ",
            token_columns!(),
            " FROM access_tokens WHERE user_id = ? ORDER BY name"
        ))
        .bind(user.0)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(rows::token)
        .collect()
    }

    async fn token_by_hash(&self, token_hash: &str) -> StoreResult<Option<AccessToken>> {
        sqlx::query(concat!(
            "SELECT ",
            token_columns!(),
            " FROM access_tokens WHERE token_hash = ?"
        ))
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .map(|row| rows::token(&row))
        .transpose()
    }

    async fn touch_token(&self, id: TokenId, now: Timestamp) -> StoreResult<()> {
        let done = sqlx::query("UPDATE access_tokens SET last_used_at = ? WHERE id = ?")
            .bind(now.unix())
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }

    async fn revoke_token(&self, user: UserId, id: TokenId) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM access_tokens WHERE id = ? AND user_id = ?")
            .bind(id.0)
            .bind(user.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }
}
