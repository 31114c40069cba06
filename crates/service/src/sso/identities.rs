//! Members' lasting SSO identities (which IdP subject signs each member in)
//! and the organization's role mapping: the checks and role sync a login
//! sign-in runs, and the admin's unlink and mapping settings.

use super::role_mapping::RoleMapping;
use super::AuditEvent;
use super::{saml, AssertedSubject, OrgAdmin, SignInError, SsoIdentity, SsoRefusal};
use crate::{Entity, Hub, Precondition, ServiceError, ServiceResult};
use orgsso_core::{Role, Timestamp, Username};
use orgsso_store::{Org, RoleSource, SsoConfig, SsoUserEntry, StoreError, StoredRoleMapping, User};
use serde_json::{json, Value};
use std::collections::HashMap;

/// A role the mapping gave: the role, whether a value matched or the
/// default applied, and the cause the audit log states.
pub(crate) type MappedRole = (Role, RoleSource, String);

/// One row of the organization's SSO users list (S10).
#[derive(Clone, Debug)]
pub struct SsoUserRow {
    pub entry: SsoUserEntry,
    /// The expiry of the member's latest live SSO session, if any.
    pub session_expires_at: Option<Timestamp>,
}

impl SsoUserRow {
    /// The role the member holds now (`None`: no longer a member).
    pub fn role(&self) -> Option<Role> {
        self.entry.member_role
    }

    /// Where the role came from as recorded at the last sign-in; `Manual`
    /// when it was changed in the hub since. `None` without an identity.
    pub fn role_source(&self) -> Option<RoleSource> {
        let identity = self.entry.identity.as_ref()?;
        Some(match self.entry.member_role {
            Some(role) if role == identity.role => identity.role_source,
            _ => RoleSource::Manual,
        })
    }

    pub fn never_signed_in(&self) -> bool {
        self.entry.identity.is_none()
    }
}

impl Hub {
    /// The org's SSO users for its admins: every member and every linked
    /// identity, with live session expiry, in two queries.
    pub async fn sso_users(&self, admin: &OrgAdmin) -> ServiceResult<Vec<SsoUserRow>> {
        let org = admin.org();
        let entries = self.store.sso_users_of_org(org.id).await?;
        let mut expiry: HashMap<_, Timestamp> = HashMap::new();
        for session in self
            .store
            .sso_sessions_of_org(org.id, self.clock.now())
            .await?
        {
            let latest = expiry.entry(session.user).or_insert(session.expires_at);
            if session.expires_at > *latest {
                *latest = session.expires_at;
            }
        }
        Ok(entries
            .into_iter()
            .map(|entry| SsoUserRow {
                session_expires_at: expiry.get(&entry.user).copied(),
                entry,
            })
            .collect())
    }

    /// A member keeps the IdP subject of their first sign-in: another one
    /// (an IdP account reassigned to someone else) is refused until an admin
    /// unlinks the identity, and a subject already tied to another member
    /// of the organization cannot sign in as this one.
    pub(crate) async fn check_sso_subject(
        &self,
        org: &Org,
        user: &User,
        issuer: &str,
        identity: &SsoIdentity,
    ) -> Result<(), SignInError> {
        if let Some(linked) = self.store.sso_identity(org.id, user.id).await? {
            if linked.issuer != issuer || linked.subject != identity.subject {
                return Err(SsoRefusal::SubjectChanged {
                    asserted: asserted_subject(user, issuer, identity),
                    linked: Some((linked.subject, linked.issuer)),
                }
                .into());
            }
        }
        if let Some(other) = self
            .store
            .sso_identity_by_subject(org.id, issuer, &identity.subject)
            .await?
        {
            if other.user != user.id {
                let owner = self.store.user_by_id(other.user).await?;
                return Err(SsoRefusal::SubjectLinkedElsewhere {
                    asserted: asserted_subject(user, issuer, identity),
                    owner: owner.map(|u| u.username.to_string()),
                }
                .into());
            }
        }
        Ok(())
    }

    /// The role the org's mapping gives this sign-in, or `None` when the
    /// org has no mapping. A stored mapping that no longer parses is an
    /// error, never "no mapping".
    pub(crate) async fn mapped_role(
        &self,
        org: &Org,
        config: &SsoConfig,
        claims: &Value,
    ) -> ServiceResult<Option<MappedRole>> {
        let Some(mapping) = self.role_mapping_of(org).await? else {
            return Ok(None);
        };
        let input = mapping_input(config, claims);
        Ok(Some(match mapping.evaluate(&input) {
            Some(found) => (
                found.role,
                RoleSource::Mapping,
                format!("role mapping matched {}", found.values.join(", ")),
            ),
            None => (
                org.default_role,
                RoleSource::Default,
                format!(
                    "role mapping matched no value of {}; the default role applies",
                    mapping.path()
                ),
            ),
        }))
    }

    /// Sets a member's role from the mapping. The org's last admin keeps
    /// the role (the sign-in goes on); the audit log says why. Returns the
    /// source of the role the member now holds.
    pub(crate) async fn sync_mapped_role(
        &self,
        org: &Org,
        user: &User,
        old: Role,
        new: Role,
        cause: &str,
        source: RoleSource,
    ) -> ServiceResult<RoleSource> {
        match self.store.set_member_role(org.id, user.id, new).await {
            Ok(()) => {
                let event = AuditEvent::sign_in(
                    user.id,
                    "sso.role_changed",
                    format!("{}: {old} → {new} ({cause})", user.username),
                );
                self.record(org, role_facts(event, user, old, new, cause))
                    .await?;
                Ok(source)
            }
            Err(StoreError::LastAdmin) => {
                let event = AuditEvent::sign_in(
                    user.id,
                    "sso.role_kept",
                    format!("{}: stays {old} instead of {new} ({cause}): they are the organization's last admin", user.username),
                )
                .with("last_admin", true);
                self.record(org, role_facts(event, user, old, new, cause))
                    .await?;
                Ok(RoleSource::Manual)
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn role_mapping_of(&self, org: &Org) -> ServiceResult<Option<RoleMapping>> {
        let Some(stored) = self.store.role_mapping(org.id).await? else {
            return Ok(None);
        };
        RoleMapping::from_stored(&stored.path, &stored.roles_json)
            .map(Some)
            .ok_or(ServiceError::Precondition(
                Precondition::UnreadableRoleMapping,
            ))
    }

    /// Whether the org's IdP manages its members' roles (a role mapping is on).
    pub(crate) async fn roles_managed_by_idp(&self, org: &Org) -> ServiceResult<bool> {
        Ok(self.store.role_mapping(org.id).await?.is_some())
    }

    /// The org's role mapping, for its admins.
    pub async fn role_mapping(&self, admin: &OrgAdmin) -> ServiceResult<Option<RoleMapping>> {
        let org = admin.org();
        self.role_mapping_of(org).await
    }

    /// Saves the org's role mapping (checked first: nothing changes on bad
    /// input). Roles follow it from each member's next sign-in.
    pub async fn set_role_mapping(
        &self,
        admin: &OrgAdmin,
        path: &str,
        entries: &[(String, String)],
    ) -> ServiceResult<RoleMapping> {
        let org = admin.org();
        let mapping = RoleMapping::parse(path, entries)?;
        let (path, roles_json) = mapping.to_stored();
        self.store
            .set_role_mapping(
                org.id,
                Some(&StoredRoleMapping {
                    path,
                    roles_json: roles_json.clone(),
                    updated_at: self.clock.now(),
                }),
            )
            .await?;
        self.audit(
            org,
            Some(admin.admin()),
            "sso.role_mapping_saved",
            format!(
                "role mapping saved: path {}, table {roles_json}; roles follow it from each member's next sign-in",
                mapping.path()
            ),
        )
        .await?;
        Ok(mapping)
    }

    /// Turns the org's role mapping off; roles stay as they are and admins
    /// manage them again. Already off, it changes nothing and records nothing.
    pub async fn delete_role_mapping(&self, admin: &OrgAdmin) -> ServiceResult<()> {
        let org = admin.org();
        if self.store.role_mapping(org.id).await?.is_none() {
            return Ok(());
        }
        self.store.set_role_mapping(org.id, None).await?;
        self.audit(
            org,
            Some(admin.admin()),
            "sso.role_mapping_removed",
            "role mapping turned off; admins manage roles in the hub again".to_owned(),
        )
        .await
    }

    /// Removes a member's SSO identity, so their next sign-in links
    /// whichever subject the IdP asserts then.
    pub async fn unlink_sso_identity(
        &self,
        admin: &OrgAdmin,
        username: &Username,
    ) -> ServiceResult<()> {
        let org = admin.org();
        let user = self
            .store
            .user_by_username(username)
            .await?
            .ok_or(ServiceError::NotFound(Entity::User))?;
        let linked = self
            .store
            .sso_identity(org.id, user.id)
            .await?
            .ok_or(ServiceError::NotFound(Entity::SsoIdentity))?;
        self.store
            .unlink_sso_identity(org.id, user.id)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::NotFound(Entity::SsoIdentity),
                other => other.into(),
            })?;
        let event = AuditEvent::by_user(
            Some(admin.admin()),
            "sso.identity_unlinked",
            format!(
                "SSO identity of {username} unlinked (was subject {} of {}); their next sign-in links anew",
                linked.subject, linked.issuer
            ),
        )
        .target(username.as_str())
        .with("issuer", linked.issuer.as_str())
        .with("subject", linked.subject.as_str());
        self.record(org, event).await
    }
}

/// The facts of a role the IdP's sign-in set (or could not set).
fn role_facts(event: AuditEvent, user: &User, old: Role, new: Role, cause: &str) -> AuditEvent {
    event
        .target(user.username.as_str())
        .with("role_before", old.as_str())
        .with("role_after", new.as_str())
        .with("cause", cause)
}

/// What the role mapping's path reads: OIDC, the claims (ID token and
/// userinfo); SAML, `{"nameId": …, "attributes": {name: [values]}}`.
pub(crate) fn mapping_input(config: &SsoConfig, claims: &Value) -> Value {
    if saml::SamlSettings::from_config(config).is_some() {
        return json!({
            "nameId": claims.get("name_id").cloned().unwrap_or(Value::Null),
            "attributes": claims.get("attributes").cloned().unwrap_or_else(|| json!({})),
        });
    }
    claims.clone()
}

/// Who vouches for the subject: OIDC `iss`, or the SAML IdP's entity ID.
pub(crate) fn identity_issuer(claims: &Value) -> String {
    claims
        .get("iss")
        .or_else(|| claims.get("issuer"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Who the IdP said signed in, as a subject refusal names it.
pub(crate) fn asserted_subject(
    user: &User,
    issuer: &str,
    identity: &SsoIdentity,
) -> Box<AssertedSubject> {
    Box::new(AssertedSubject {
        account: user.username.clone(),
        subject: identity.subject.clone(),
        issuer: issuer.to_owned(),
        email: identity.email.clone(),
    })
}
