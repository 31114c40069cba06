//! Organizations and their members. Every method asks the policy first.

use crate::{Caller, Hub, ServiceError, ServiceResult};
use orgsso_core::{
    decide, Action, DisplayName, Namespace, OrgName, Role, SsoGate, Username, Viewer,
};
use orgsso_store::{Member, NewOrg, Org, StoreError};

/// An organization as one viewer sees it.
#[derive(Clone, Debug)]
pub struct OrgView {
    pub org: Org,
    pub role: Option<Role>,
    pub namespace: Namespace,
}

impl OrgView {
    pub fn may(&self, viewer: Viewer, action: Action) -> bool {
        decide(viewer, self.namespace, action).is_ok()
    }
}

impl Hub {
    /// The namespace of `org` for `viewer`: their role, and whether the
    /// organization's SSO gate applies to them.
    pub(crate) async fn org_namespace(
        &self,
        viewer: Viewer,
        org: &Org,
    ) -> ServiceResult<Namespace> {
        let role = match viewer.id() {
            Some(user) => self.store.role_of(org.id, user).await?,
            None => None,
        };
        // Organization SSO plugs in here: an enforced, unsatisfied session yields `Required`.
        let sso = SsoGate::NotEnforced;
        Ok(Namespace::Org {
            org: org.id,
            role,
            sso,
        })
    }

    pub async fn create_org(
        &self,
        caller: &Caller,
        name: OrgName,
        display_name: DisplayName,
    ) -> ServiceResult<Org> {
        let user = caller.writer()?;
        let display_name = if display_name.as_str().is_empty() {
            name.as_str().to_owned()
        } else {
            display_name.as_str().to_owned()
        };
        let org = self
            .store
            .create_org(NewOrg {
                name,
                display_name,
                default_role: Role::Read,
                creator: user.id,
                now: self.clock.now(),
            })
            .await?;
        tracing::info!(org = %org.name, by = %user.username, "organization created");
        Ok(org)
    }

    /// The organization if the viewer may see its page.
    pub async fn org(&self, caller: &Caller, name: &OrgName) -> ServiceResult<OrgView> {
        let org = self
            .store
            .org_by_name(name)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        let namespace = self.org_namespace(caller.viewer, &org).await?;
        decide(caller.viewer, namespace, Action::ViewOrg)?;
        let role = match namespace {
            Namespace::Org { role, .. } => role,
            Namespace::User(_) => None,
        };
        Ok(OrgView {
            org,
            role,
            namespace,
        })
    }

    async fn org_for(
        &self,
        caller: &Caller,
        name: &OrgName,
        action: Action,
    ) -> ServiceResult<OrgView> {
        let view = self.org(caller, name).await?;
        decide(caller.viewer, view.namespace, action)?;
        Ok(view)
    }

    pub async fn orgs_of(&self, caller: &Caller) -> ServiceResult<Vec<(Org, Role)>> {
        match caller.viewer.id() {
            Some(user) => Ok(self.store.orgs_of_user(user).await?),
            None => Ok(Vec::new()),
        }
    }

    pub async fn members(
        &self,
        caller: &Caller,
        name: &OrgName,
    ) -> ServiceResult<(OrgView, Vec<Member>)> {
        let view = self.org_for(caller, name, Action::ViewMembers).await?;
        let members = self.store.members(view.org.id).await?;
        Ok((view, members))
    }

    pub async fn add_member(
        &self,
        caller: &Caller,
        name: &OrgName,
        username: &Username,
        role: Option<Role>,
    ) -> ServiceResult<Member> {
        let view = self.org_for(caller, name, Action::ManageMembers).await?;
        let user = self
            .store
            .user_by_username(username)
            .await?
            .ok_or(ServiceError::NotFound("user"))?;
        let role = role.unwrap_or(view.org.default_role);
        self.store
            .add_member(view.org.id, user.id, role, self.clock.now())
            .await?;
        tracing::info!(org = %view.org.name, member = %user.username, %role, "member added");
        self.member(&view, username).await
    }

    async fn member(&self, view: &OrgView, username: &Username) -> ServiceResult<Member> {
        self.store
            .members(view.org.id)
            .await?
            .into_iter()
            .find(|m| &m.username == username)
            .ok_or(ServiceError::NotFound("member"))
    }

    pub async fn set_member_role(
        &self,
        caller: &Caller,
        name: &OrgName,
        username: &Username,
        role: Role,
    ) -> ServiceResult<Member> {
        let view = self.org_for(caller, name, Action::ManageMembers).await?;
        let member = self.member(&view, username).await?;
        self.store
            .set_member_role(view.org.id, member.user, role)
            .await
            .map_err(not_a_member)?;
        tracing::info!(org = %view.org.name, member = %username, from = %member.role, to = %role, "member role changed");
        self.member(&view, username).await
    }

    /// Admins remove anyone; every member may remove themselves (leave).
    pub async fn remove_member(
        &self,
        caller: &Caller,
        name: &OrgName,
        username: &Username,
    ) -> ServiceResult<()> {
        let view = self.org(caller, name).await?;
        // Permission first: a non-member must not learn who is a member.
        if &caller.writer()?.username != username {
            decide(caller.viewer, view.namespace, Action::ManageMembers)?;
        }
        let member = self.member(&view, username).await?;
        self.store
            .remove_member(view.org.id, member.user)
            .await
            .map_err(not_a_member)?;
        tracing::info!(org = %view.org.name, member = %username, "member removed");
        Ok(())
    }

    pub async fn update_org(
        &self,
        caller: &Caller,
        name: &OrgName,
        display_name: Option<DisplayName>,
        default_role: Option<Role>,
    ) -> ServiceResult<Org> {
        let view = self.org_for(caller, name, Action::ManageSettings).await?;
        let display_name = match display_name {
            Some(d) if !d.as_str().is_empty() => d.as_str().to_owned(),
            _ => view.org.display_name.clone(),
        };
        let default_role = default_role.unwrap_or(view.org.default_role);
        self.store
            .update_org(view.org.id, &display_name, default_role)
            .await?;
        self.store
            .org_by_id(view.org.id)
            .await?
            .ok_or(ServiceError::NotFound("organization"))
    }
}

fn not_a_member(err: StoreError) -> ServiceError {
    match err {
        StoreError::NotFound => ServiceError::NotFound("member"),
        other => other.into(),
    }
}
