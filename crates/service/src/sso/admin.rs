//! The proof every admin-only SSO method takes: the policy let this caller
//! manage the organization's settings in this request, their own SSO session
//! included (admins sign in through the IdP like everyone).

use crate::{Caller, Hub, ServiceResult};
use orgsso_core::{Action, Granted, OrgName, UserId};
use orgsso_store::Org;

/// Proof that the policy let `admin` manage `org`'s settings. Only
/// [`Hub::org_admin`] makes one, by asking the policy.
#[derive(Debug)]
pub struct OrgAdmin {
    org: Org,
    admin: UserId,
    _granted: Granted,
}

impl OrgAdmin {
    pub fn org(&self) -> &Org {
        &self.org
    }

    /// The admin the policy granted it to.
    pub fn admin(&self) -> UserId {
        self.admin
    }
}

impl Hub {
    /// Asks the policy whether the caller may manage `name`'s settings: seeing
    /// the org first (a hidden org stays not found), then the settings, with a
    /// token that may write.
    pub async fn org_admin(&self, caller: &Caller, name: &OrgName) -> ServiceResult<OrgAdmin> {
        let org = self.org_by_name(name).await?;
        let namespace = self.org_namespace(caller, &org).await?;
        self.decide_in(caller.viewer, namespace, &org.name, Action::ViewOrg)?;
        let granted =
            self.decide_in(caller.viewer, namespace, &org.name, Action::ManageSettings)?;
        let admin = caller.writer()?.id;
        Ok(OrgAdmin {
            org,
            admin,
            _granted: granted,
        })
    }
}
