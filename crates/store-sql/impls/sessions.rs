//! Hub sessions, looked up by the SHA-256 of the cookie value.

use crate::error::db;
use crate::rows;
use crate::Backend;
use async_trait::async_trait;
use orgsso_core::{Timestamp, UserId};
use orgsso_store::{NewSession, SessionRecord, SessionStore, StoreResult};
use orgsso_store_sql::sessions as sql;

#[async_trait]
impl SessionStore for Backend {
    async fn create_session(&self, new: NewSession) -> StoreResult<()> {
        sqlx::query(sql::INSERT)
            .bind(&new.id_hash)
            .bind(new.user.0)
            .bind(&new.csrf_token)
            .bind(new.created_at.unix())
            .bind(new.expires_at.unix())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn session(&self, id_hash: &str, now: Timestamp) -> StoreResult<Option<SessionRecord>> {
        sqlx::query(sql::LIVE_BY_HASH)
            .bind(id_hash)
            .bind(now.unix())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::session(&row))
            .transpose()
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query(sql::DELETE)
            .bind(id_hash)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_sessions_of_user(&self, user: UserId, keep: Option<&str>) -> StoreResult<u64> {
        let done = match keep {
            Some(keep) => sqlx::query(sql::DELETE_OF_USER_EXCEPT)
                .bind(user.0)
                .bind(keep),
            None => sqlx::query(sql::DELETE_OF_USER).bind(user.0),
        }
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query(sql::DELETE_EXPIRED)
            .bind(now.unix())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }
}
