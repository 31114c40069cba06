//! Repositories and the owner namespace they live in, and the mail outbox.

use crate::error::{db, found};
use crate::rows;
use crate::Backend;
use async_trait::async_trait;
use orgsso_core::{RepoId, RepoKind, RepoName, Timestamp, Visibility};
use orgsso_store::{
    NewMail, NewRepo, OutboxMail, OutboxStore, Owner, Repo, RepoStore, StoreError, StoreResult,
};
use orgsso_store_sql::repos as sql;

#[async_trait]
impl RepoStore for Backend {
    async fn owner_by_name(&self, name: &str) -> StoreResult<Option<Owner>> {
        sqlx::query(sql::OWNER_BY_NAME)
            .bind(name.to_ascii_lowercase())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::owner(&row, "user_id", "org_id"))
            .transpose()
    }

    async fn create_repo(&self, new: NewRepo) -> StoreResult<Repo> {
        let (text, owner_id) = match new.owner {
            Owner::User(id) => (sql::INSERT_FOR_USER, id.0),
            Owner::Org(id) => (sql::INSERT_FOR_ORG, id.0),
        };
        let row = sqlx::query(text)
            .bind(new.kind.as_str())
            .bind(new.name.as_str())
            .bind(new.visibility.as_str())
            .bind(&new.readme)
            .bind(new.created_by.0)
            .bind(new.now.unix())
            .bind(new.now.unix())
            .bind(owner_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound)?;
        rows::repo(&row)
    }

    async fn repo(
        &self,
        owner: &str,
        kind: RepoKind,
        name: &RepoName,
    ) -> StoreResult<Option<Repo>> {
        sqlx::query(sql::BY_NAME)
            .bind(owner.to_ascii_lowercase())
            .bind(kind.as_str())
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::repo(&row))
            .transpose()
    }

    async fn repos_of(&self, owner: Owner) -> StoreResult<Vec<Repo>> {
        let (text, owner_id) = match owner {
            Owner::User(id) => (sql::OF_USER, id.0),
            Owner::Org(id) => (sql::OF_ORG, id.0),
        };
        sqlx::query(text)
            .bind(owner_id)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(rows::repo)
            .collect()
    }

    async fn update_repo(
        &self,
        id: RepoId,
        visibility: Visibility,
        readme: &str,
        now: Timestamp,
    ) -> StoreResult<()> {
        let done = sqlx::query(sql::UPDATE)
            .bind(visibility.as_str())
            .bind(readme)
            .bind(now.unix())
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }

    async fn delete_repo(&self, id: RepoId) -> StoreResult<()> {
        let done = sqlx::query(sql::DELETE)
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }
}

#[async_trait]
impl OutboxStore for Backend {
    async fn push_mail(&self, mail: NewMail) -> StoreResult<i64> {
        sqlx::query_scalar(sql::PUSH_MAIL)
            .bind(mail.to.as_str())
            .bind(&mail.subject)
            .bind(&mail.body)
            .bind(mail.now.unix())
            .fetch_one(&self.pool)
            .await
            .map_err(db)
    }

    async fn outbox(&self, limit: u32) -> StoreResult<Vec<OutboxMail>> {
        sqlx::query(sql::LATEST_MAILS)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(rows::mail)
            .collect()
    }
}
