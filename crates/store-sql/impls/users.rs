//! Users, their email addresses and email verification tokens.

use crate::error::{db, found};
use crate::rows;
use crate::{dialect, Backend};
use async_trait::async_trait;
use orgsso_core::{Email, EmailId, Timestamp, UserId, Username};
use orgsso_store::{EmailRecord, NewUser, StoreError, StoreResult, User, UserStore};
use orgsso_store_sql::users as sql;

#[async_trait]
impl UserStore for Backend {
    async fn create_user(&self, new: NewUser) -> StoreResult<(User, EmailRecord)> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(sql::INSERT)
            .bind(new.username.as_str())
            .bind(&new.display_name)
            .bind(&new.password_hash)
            .bind(new.now.unix())
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(sql::INSERT_NAMESPACE)
            .bind(new.username.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let email_id: i64 = sqlx::query_scalar(sql::INSERT_PRIMARY_EMAIL)
            .bind(id)
            .bind(new.email.as_str())
            .bind(new.now.unix())
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;

        let user = User {
            id: UserId(id),
            username: new.username,
            display_name: new.display_name,
            created_at: new.now,
        };
        let email = EmailRecord {
            id: EmailId(email_id),
            user: UserId(id),
            address: new.email,
            verified_at: None,
            primary: true,
            created_at: new.now,
        };
        Ok((user, email))
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<User>> {
        sqlx::query(sql::BY_ID)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::user(&row))
            .transpose()
    }

    async fn user_by_username(&self, username: &Username) -> StoreResult<Option<User>> {
        sqlx::query(sql::BY_USERNAME)
            .bind(username.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::user(&row))
            .transpose()
    }

    async fn list_users(&self) -> StoreResult<Vec<User>> {
        sqlx::query(sql::ALL)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(rows::user)
            .collect()
    }

    async fn password_hash(&self, id: UserId) -> StoreResult<Option<String>> {
        sqlx::query_scalar(sql::PASSWORD_HASH)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    async fn set_password_hash(&self, id: UserId, hash: &str) -> StoreResult<()> {
        let done = sqlx::query(sql::SET_PASSWORD_HASH)
            .bind(hash)
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }

    async fn set_display_name(&self, id: UserId, display_name: &str) -> StoreResult<()> {
        let done = sqlx::query(sql::SET_DISPLAY_NAME)
            .bind(display_name)
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }

    async fn emails_of(&self, user: UserId) -> StoreResult<Vec<EmailRecord>> {
        sqlx::query(sql::EMAILS_OF)
            .bind(user.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(rows::email)
            .collect()
    }

    async fn email_by_address(&self, address: &Email) -> StoreResult<Option<EmailRecord>> {
        sqlx::query(sql::EMAIL_BY_ADDRESS)
            .bind(address.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::email(&row))
            .transpose()
    }

    async fn add_email(
        &self,
        user: UserId,
        address: &Email,
        now: Timestamp,
    ) -> StoreResult<EmailRecord> {
        let row = sqlx::query(sql::INSERT_EMAIL)
            .bind(user.0)
            .bind(address.as_str())
            .bind(now.unix())
            .fetch_one(&self.pool)
            .await
            .map_err(db)?;
        rows::email(&row)
    }

    async fn remove_email(&self, user: UserId, email: EmailId) -> StoreResult<()> {
        let done = sqlx::query(sql::DELETE_EMAIL)
            .bind(email.0)
            .bind(user.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }

    async fn mark_email_verified(&self, email: EmailId, now: Timestamp) -> StoreResult<()> {
        let done = sqlx::query(sql::MARK_EMAIL_VERIFIED)
            .bind(now.unix())
            .bind(email.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }

    async fn set_primary_email(&self, user: UserId, email: EmailId) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        dialect::lock_user(&mut tx, user).await?;
        let is_primary: Option<bool> = sqlx::query_scalar(sql::VERIFIED_EMAIL_IS_PRIMARY)
            .bind(email.0)
            .bind(user.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?;
        match is_primary {
            None => return Err(StoreError::NotFound),
            Some(true) => return Ok(()),
            Some(false) => {}
        }
        // Two statements: the one-primary index is checked after each.
        sqlx::query(sql::CLEAR_PRIMARY)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(sql::SET_PRIMARY)
            .bind(email.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn create_email_verification(
        &self,
        email: EmailId,
        token_hash: &str,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(sql::INSERT_VERIFICATION)
            .bind(token_hash)
            .bind(email.0)
            .bind(expires_at.unix())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn take_email_verification(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<EmailId>> {
        // Deleted whether or not it has expired: an expired token is useless.
        let taken: Option<(i64, i64)> = sqlx::query_as(sql::TAKE_VERIFICATION)
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?;
        Ok(taken
            .filter(|&(_, expires_at)| now.unix() < expires_at)
            .map(|(email, _)| EmailId(email)))
    }
}
