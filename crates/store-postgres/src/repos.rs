//! Repositories and the owner namespace they live in, and the mail outbox.

use crate::error::db;
use crate::error::found;
use crate::rows::{self, mail_columns, repo_columns};
use crate::PostgresStore;
use async_trait::async_trait;
use orgsso_core::{RepoId, RepoKind, RepoName, Timestamp, Visibility};
use orgsso_store::{
    NewMail, NewRepo, OutboxMail, OutboxStore, Owner, Repo, RepoStore, StoreError, StoreResult,
};

/// Copies the owner's name from the namespace, so a missing owner inserts nothing.
macro_rules! insert_repo {
    ($owner_column:literal) => {
        concat!(
            "INSERT INTO repos (owner_name, owner_user_id, owner_org_id, kind, name, visibility, \
             readme, created_by, created_at, updated_at) \
             SELECT n.name, n.user_id, n.org_id, $1, $2, $3, $4, $5, $6, $7 \
             FROM namespaces n WHERE n.",
            $owner_column,
            " = $8 RETURNING ",
            repo_columns!()
        )
    };
}

#[async_trait]
impl RepoStore for PostgresStore {
    async fn owner_by_name(&self, name: &str) -> StoreResult<Option<Owner>> {
        sqlx::query("SELECT user_id, org_id FROM namespaces WHERE name = $1")
            .bind(name.to_ascii_lowercase())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::owner(&row, "user_id", "org_id"))
            .transpose()
    }

    async fn create_repo(&self, new: NewRepo) -> StoreResult<Repo> {
        let (sql, owner_id) = match new.owner {
            Owner::User(id) => (insert_repo!("user_id"), id.0),
            Owner::Org(id) => (insert_repo!("org_id"), id.0),
        };
        let row = sqlx::query(sql)
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
        sqlx::query(concat!(
            "SELECT ",
            repo_columns!(),
            " FROM repos WHERE owner_name = $1 AND kind = $2 AND name = $3"
        ))
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
        let query = match owner {
            Owner::User(id) => sqlx::query(concat!(
                "SELECT ",
                repo_columns!(),
                " FROM repos WHERE owner_user_id = $1 ORDER BY name, kind"
            ))
            .bind(id.0),
            Owner::Org(id) => sqlx::query(concat!(
                "SELECT ",
                repo_columns!(),
                " FROM repos WHERE owner_org_id = $1 ORDER BY name, kind"
            ))
            .bind(id.0),
        };
        query
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
        let done = sqlx::query(
            "UPDATE repos SET visibility = $1, readme = $2, updated_at = $3 WHERE id = $4",
        )
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
        let done = sqlx::query("DELETE FROM repos WHERE id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }
}

#[async_trait]
impl OutboxStore for PostgresStore {
    async fn push_mail(&self, mail: NewMail) -> StoreResult<i64> {
        sqlx::query_scalar(
            "INSERT INTO outbox (to_addr, subject, body, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(mail.to.as_str())
        .bind(&mail.subject)
        .bind(&mail.body)
        .bind(mail.now.unix())
        .fetch_one(&self.pool)
        .await
        .map_err(db)
    }

    async fn outbox(&self, limit: u32) -> StoreResult<Vec<OutboxMail>> {
        sqlx::query(concat!(
            "SELECT ",
            mail_columns!(),
            " FROM outbox ORDER BY id DESC LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(rows::mail)
        .collect()
    }
}
