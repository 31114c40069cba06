//! What the server operator does from the command line (`orgsso user …`,
//! `orgsso org …`, `orgsso outbox`). The operator owns the server, so these
//! methods ask no policy and need no session; they are the only way the CLI
//! reaches the store, and those that change something log the operator as
//! the actor (`by = "operator"`). The SSO break-glass methods live with SSO
//! (`operator_disable_sso`, `operator_sso_status`).
//!
//! A lookup by a name the operator typed answers `None` when nothing has that
//! name, so the CLI words the message itself.

use crate::{Entity, Hub, ServiceError, ServiceResult, SignupRequest};
use orgsso_core::{Email, OrgName, Role, Username};
use orgsso_store::{EmailRecord, Member, NewOrg, Org, OutboxMail, User};

impl Hub {
    /// The storage backend's name (`sqlite`, `postgres`), for the startup log.
    pub fn backend(&self) -> &'static str {
        self.store.backend()
    }

    /// Every user, each with its email addresses.
    pub async fn operator_users(&self) -> ServiceResult<Vec<(User, Vec<EmailRecord>)>> {
        let mut users = Vec::new();
        for user in self.store.list_users().await? {
            let emails = self.store.emails_of(user.id).await?;
            users.push((user, emails));
        }
        Ok(users)
    }

    /// Signs the user up as the web form does (a verification link is mailed),
    /// then, when `verified`, marks the email verified right away.
    pub async fn operator_create_user(
        &self,
        request: SignupRequest,
        verified: bool,
    ) -> ServiceResult<User> {
        let address = request.email.clone();
        let user = self.signup(request).await?;
        tracing::info!(user = %user.username, by = "operator", "user created");
        if verified && !self.operator_verify_email(&address).await? {
            return Err(ServiceError::NotFound(Entity::Email));
        }
        Ok(user)
    }

    /// Marks an email address verified; `false` when no account has it.
    pub async fn operator_verify_email(&self, address: &Email) -> ServiceResult<bool> {
        let Some(record) = self.store.email_by_address(address).await? else {
            return Ok(false);
        };
        self.store
            .mark_email_verified(record.id, self.clock.now())
            .await?;
        tracing::info!(email = %record.id, by = "operator", "email verified");
        Ok(true)
    }

    /// Every organization.
    pub async fn operator_orgs(&self) -> ServiceResult<Vec<Org>> {
        Ok(self.store.list_orgs().await?)
    }

    /// Creates an organization (default role `read`) with an existing user as
    /// its admin; `None` when no user is named `admin`. `display_name` is the
    /// name as the operator typed it, before normalization.
    pub async fn operator_create_org(
        &self,
        name: OrgName,
        display_name: &str,
        admin: &Username,
    ) -> ServiceResult<Option<(Org, User)>> {
        let Some(admin) = self.store.user_by_username(admin).await? else {
            return Ok(None);
        };
        let org = self
            .store
            .create_org(NewOrg {
                name,
                display_name: display_name.to_owned(),
                default_role: Role::Read,
                creator: admin.id,
                now: self.clock.now(),
            })
            .await?;
        tracing::info!(org = %org.name, admin = %admin.username, by = "operator", "organization created");
        Ok(Some((org, admin)))
    }

    /// The members of an organization; `None` when no organization has this name.
    pub async fn operator_members(&self, org: &OrgName) -> ServiceResult<Option<Vec<Member>>> {
        let Some(org) = self.store.org_by_name(org).await? else {
            return Ok(None);
        };
        Ok(Some(self.store.members(org.id).await?))
    }

    /// The newest `limit` messages of the local outbox.
    pub async fn operator_outbox(&self, limit: u32) -> ServiceResult<Vec<OutboxMail>> {
        Ok(self.store.outbox(limit).await?)
    }
}
