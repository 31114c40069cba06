//! Organizations and memberships, including the rule that an organization
//! always keeps at least one admin.

use crate::error::{db, found};
use crate::rows;
use crate::{dialect, Backend, Db};
use async_trait::async_trait;
use orgsso_core::{OrgId, OrgName, Role, Timestamp, UserId};
use orgsso_store::{Member, NewOrg, Org, OrgStore, StoreError, StoreResult};
use orgsso_store_sql::orgs as sql;
use sqlx::Database;

#[async_trait]
impl OrgStore for Backend {
    async fn create_org(&self, new: NewOrg) -> StoreResult<Org> {
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(sql::INSERT)
            .bind(new.name.as_str())
            .bind(&new.display_name)
            .bind(new.default_role.as_str())
            .bind(new.now.unix())
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(sql::INSERT_NAMESPACE)
            .bind(new.name.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        sqlx::query(sql::INSERT_MEMBERSHIP)
            .bind(id)
            .bind(new.creator.0)
            .bind(Role::Admin.as_str())
            .bind(new.now.unix())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Org {
            id: OrgId(id),
            name: new.name,
            display_name: new.display_name,
            default_role: new.default_role,
            created_at: new.now,
        })
    }

    async fn org_by_id(&self, id: OrgId) -> StoreResult<Option<Org>> {
        sqlx::query(sql::BY_ID)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::org(&row))
            .transpose()
    }

    async fn org_by_name(&self, name: &OrgName) -> StoreResult<Option<Org>> {
        sqlx::query(sql::BY_NAME)
            .bind(name.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::org(&row))
            .transpose()
    }

    async fn list_orgs(&self) -> StoreResult<Vec<Org>> {
        sqlx::query(sql::ALL)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(rows::org)
            .collect()
    }

    async fn orgs_of_user(&self, user: UserId) -> StoreResult<Vec<(Org, Role)>> {
        sqlx::query(sql::OF_USER)
            .bind(user.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(|row| Ok((rows::org(row)?, rows::role(row, "role")?)))
            .collect()
    }

    async fn update_org(
        &self,
        id: OrgId,
        display_name: &str,
        default_role: Role,
    ) -> StoreResult<()> {
        let done = sqlx::query(sql::UPDATE)
            .bind(display_name)
            .bind(default_role.as_str())
            .bind(id.0)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        found(done.rows_affected())
    }

    async fn members(&self, org: OrgId) -> StoreResult<Vec<Member>> {
        sqlx::query(sql::MEMBERS)
            .bind(org.0)
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(rows::member)
            .collect()
    }

    async fn role_of(&self, org: OrgId, user: UserId) -> StoreResult<Option<Role>> {
        sqlx::query(sql::ROLE_OF)
            .bind(org.0)
            .bind(user.0)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .map(|row| rows::role(&row, "role"))
            .transpose()
    }

    async fn add_member(
        &self,
        org: OrgId,
        user: UserId,
        role: Role,
        now: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(sql::INSERT_MEMBERSHIP)
            .bind(org.0)
            .bind(user.0)
            .bind(role.as_str())
            .bind(now.unix())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn set_member_role(&self, org: OrgId, user: UserId, role: Role) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        dialect::lock_org(&mut tx, org).await?;
        let current = current_role(&mut tx, org, user).await?;
        if current == Role::Admin && role != Role::Admin {
            ensure_another_admin(&mut tx, org).await?;
        }
        sqlx::query(sql::SET_ROLE)
            .bind(role.as_str())
            .bind(org.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }

    async fn remove_member(&self, org: OrgId, user: UserId) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        dialect::lock_org(&mut tx, org).await?;
        if current_role(&mut tx, org, user).await? == Role::Admin {
            ensure_another_admin(&mut tx, org).await?;
        }
        sqlx::query(sql::DELETE_MEMBERSHIP)
            .bind(org.0)
            .bind(user.0)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)
    }
}

async fn current_role(
    conn: &mut <Db as Database>::Connection,
    org: OrgId,
    user: UserId,
) -> StoreResult<Role> {
    let row = sqlx::query(sql::ROLE_OF)
        .bind(org.0)
        .bind(user.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    rows::role(&row, "role")
}

async fn ensure_another_admin(
    conn: &mut <Db as Database>::Connection,
    org: OrgId,
) -> StoreResult<()> {
    let admins: i64 = sqlx::query_scalar(sql::COUNT_ADMINS)
        .bind(org.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    if admins > 1 {
        Ok(())
    } else {
        Err(StoreError::LastAdmin)
    }
}
