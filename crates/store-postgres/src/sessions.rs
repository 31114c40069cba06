//! Hub sessions, looked up by the SHA-256 of the cookie value.

use crate::error::db;
use crate::rows::{self, session_columns};
use crate::PostgresStore;
use async_trait::async_trait;
use orgsso_core::{Timestamp, UserId};
use orgsso_store::{NewSession, SessionRecord, SessionStore, StoreResult};

#[async_trait]
impl SessionStore for PostgresStore {
    async fn create_session(&self, new: NewSession) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
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
        sqlx::query(concat!(
            "SELECT ",
            session_columns!(),
            " FROM sessions WHERE id_hash = $1 AND expires_at > $2"
        ))
        .bind(id_hash)
        .bind(now.unix())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .map(|row| rows::session(&row))
        .transpose()
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn delete_sessions_of_user(&self, user: UserId, keep: Option<&str>) -> StoreResult<u64> {
        let done = match keep {
            Some(keep) => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                .bind(user.0)
                .bind(keep),
            None => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.0),
        }
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(done.rows_affected())
    }

    async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now.unix())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(done.rows_affected())
    }
}
