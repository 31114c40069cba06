//! Organizations and their members. Every method asks the policy first,
//! with the organization's SSO gate for this caller read fresh from the
//! database on every request (a revocation holds on every instance at once).

use crate::{Caller, Entity, Hub, Precondition, ServiceError, ServiceResult};
use orgsso_core::{
    decide, Action, Denied, DisplayName, Granted, Namespace, OrgName, Role, SsoGate, Username,
    Viewer,
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

    /// Whether pages should show this viewer the SSO banner of the org.
    pub fn sso_prompt(&self) -> bool {
        matches!(self.namespace, Namespace::Org { sso, .. } if sso.prompts())
    }
}

/// Why the SSO gate refused: which organization, and the absolute URL that
/// starts its sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoRequired {
    pub org: OrgName,
    pub sso_url: String,
}

impl Hub {
    /// The namespace of `org` for the caller: their role, and the org's SSO
    /// gate for them, from one query. A browser counts its own SSO session;
    /// an access token counts its owner's session in any browser.
    pub(crate) async fn org_namespace(
        &self,
        caller: &Caller,
        org: &Org,
    ) -> ServiceResult<Namespace> {
        let Some(user) = caller.viewer.id() else {
            // Anonymous visitors are outside every organization's reach.
            return Ok(Namespace::Org {
                org: org.id,
                role: None,
                sso: SsoGate::NotEnforced,
            });
        };
        let hub_session = caller.session.as_ref().map(|s| s.id_hash.as_str());
        let facts = self
            .store
            .viewer_in_org(org.id, user, hub_session, self.clock.now())
            .await?;
        let in_reach = facts.role.is_some() || facts.in_domain;
        Ok(Namespace::Org {
            org: org.id,
            role: facts.role,
            sso: SsoGate::of(facts.mode, in_reach, facts.live_session),
        })
    }

    /// Asks the policy about `action` in `org`'s namespace. An SSO refusal
    /// names the organization and where its sign-in starts.
    pub(crate) fn decide_in(
        &self,
        viewer: Viewer,
        namespace: Namespace,
        org: &OrgName,
        action: Action,
    ) -> ServiceResult<Granted> {
        decide(viewer, namespace, action).map_err(|denied| match denied {
            Denied::SsoSessionRequired { .. } => ServiceError::SsoRequired(self.sso_required(org)),
            other => other.into(),
        })
    }

    pub(crate) fn sso_required(&self, org: &OrgName) -> SsoRequired {
        SsoRequired {
            org: org.clone(),
            sso_url: format!("{}/organizations/{org}/sso", self.config.base_url),
        }
    }

    pub(crate) async fn org_by_name(&self, name: &OrgName) -> ServiceResult<Org> {
        self.store
            .org_by_name(name)
            .await?
            .ok_or(ServiceError::NotFound(Entity::Organization))
    }

    /// The organization after asking the policy about `action` alone, not
    /// about viewing it: the way in and out (`SignInThroughSso`,
    /// `LeaveOrg`) pass the SSO gate that viewing would not.
    pub(crate) async fn org_with_permission(
        &self,
        caller: &Caller,
        name: &OrgName,
        action: Action,
    ) -> ServiceResult<OrgView> {
        let org = self.org_by_name(name).await?;
        let namespace = self.org_namespace(caller, &org).await?;
        self.decide_in(caller.viewer, namespace, &org.name, action)?;
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
        self.org_for(caller, name, Action::ViewOrg).await
    }

    pub async fn org_for(
        &self,
        caller: &Caller,
        name: &OrgName,
        action: Action,
    ) -> ServiceResult<OrgView> {
        let org = self.org_by_name(name).await?;
        let namespace = self.org_namespace(caller, &org).await?;
        self.decide_in(caller.viewer, namespace, &org.name, Action::ViewOrg)?;
        self.decide_in(caller.viewer, namespace, &org.name, action)?;
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
            .ok_or(ServiceError::NotFound(Entity::User))?;
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
            .ok_or(ServiceError::NotFound(Entity::Member))
    }

    pub async fn set_member_role(
        &self,
        caller: &Caller,
        name: &OrgName,
        username: &Username,
        role: Role,
    ) -> ServiceResult<Member> {
        let view = self.org_for(caller, name, Action::ManageMembers).await?;
        // S12: while role mapping is on, every sign-in sets the role again.
        if self.roles_managed_by_idp(&view.org).await? {
            return Err(Precondition::RolesManagedByIdp.into());
        }
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
        // Leaving is the way out, never held by the SSO gate; removing
        // someone else needs the admin's permission first, so a non-member
        // does not learn who is a member.
        let action = if &caller.writer()?.username == username {
            Action::LeaveOrg
        } else {
            Action::ManageMembers
        };
        let view = self.org_with_permission(caller, name, action).await?;
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
            .ok_or(ServiceError::NotFound(Entity::Organization))
    }
}

fn not_a_member(err: StoreError) -> ServiceError {
    match err {
        StoreError::NotFound => ServiceError::NotFound(Entity::Member),
        other => other.into(),
    }
}
