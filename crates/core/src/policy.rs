//! The one authorization policy: (who, which namespace, which action) → allow
//! or a reason to deny. Every page, API handler, token and (later) SCIM call
//! asks here; nothing else decides.
//!
//! Organization SSO plugs in through [`SsoGate`]: the service computes, per
//! request, whether the viewer must hold an SSO session for the organization
//! and whether they do, and the policy refuses everything in that namespace
//! (public content included) until they do.

use crate::{OrgId, Role, TokenScope, UserId, Visibility};

/// Who is asking. A request made with an access token carries its scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    Anonymous,
    User {
        id: UserId,
        scope: Option<TokenScope>,
    },
}

impl Viewer {
    pub fn user(id: UserId) -> Self {
        Viewer::User { id, scope: None }
    }
    pub fn id(&self) -> Option<UserId> {
        match self {
            Viewer::Anonymous => None,
            Viewer::User { id, .. } => Some(*id),
        }
    }
}

/// Where the resource lives, with what the viewer is there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namespace {
    User(UserId),
    Org {
        org: OrgId,
        role: Option<Role>,
        sso: SsoGate,
    },
}

/// The organization-SSO condition on this viewer for this organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsoGate {
    /// The organization does not enforce SSO, or the viewer is outside its reach.
    NotEnforced,
    /// Enforced, and the viewer holds a valid SSO session.
    Satisfied,
    /// Enforced, and the viewer (a member, or a user of its email domains) holds none.
    Required,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    ReadRepo(Visibility),
    CreateRepo,
    EditRepo {
        created_by: Option<UserId>,
    },
    DeleteRepo {
        created_by: Option<UserId>,
    },
    /// The organization's page and its list of visible repositories.
    ViewOrg,
    ViewMembers,
    ManageMembers,
    ManageSettings,
}

impl Action {
    fn writes(self) -> bool {
        !matches!(
            self,
            Action::ReadRepo(_) | Action::ViewOrg | Action::ViewMembers
        )
    }
}

/// Proof that the policy allowed an action. Only this module constructs it.
#[derive(Debug)]
pub struct Granted {
    _private: (),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The resource is hidden from this viewer; answer as if it did not exist.
    #[error("not found")]
    NotFound,
    #[error("you need to log in")]
    LoginRequired,
    #[error("this access token is read-only")]
    TokenReadOnly,
    #[error("this needs the {required} role in the organization")]
    InsufficientRole {
        required: Role,
        actual: Option<Role>,
    },
    #[error("only the owner may do this")]
    NotOwner,
    #[error("this organization requires you to sign in through its identity provider")]
    SsoSessionRequired { org: OrgId },
}

pub fn decide(viewer: Viewer, namespace: Namespace, action: Action) -> Result<Granted, Denied> {
    let granted = Ok(Granted { _private: () });
    if let Namespace::Org {
        org,
        sso: SsoGate::Required,
        ..
    } = namespace
    {
        return Err(Denied::SsoSessionRequired { org });
    }
    let Viewer::User { id, scope } = viewer else {
        return match action {
            Action::ReadRepo(Visibility::Public) | Action::ViewOrg => granted,
            Action::ReadRepo(Visibility::Private) => Err(Denied::NotFound),
            _ => Err(Denied::LoginRequired),
        };
    };
    let can_see_private = match namespace {
        Namespace::User(owner) => owner == id,
        Namespace::Org { role, .. } => role.is_some(),
    };
    if action == Action::ReadRepo(Visibility::Private) && !can_see_private {
        return Err(Denied::NotFound);
    }
    if action.writes() && scope == Some(TokenScope::Read) {
        return Err(Denied::TokenReadOnly);
    }
    match namespace {
        Namespace::User(owner) => match action {
            Action::ReadRepo(_) | Action::ViewOrg | Action::ViewMembers => granted,
            _ if owner == id => granted,
            _ => Err(Denied::NotOwner),
        },
        Namespace::Org { role, .. } => {
            let need = |required: Role| match role {
                Some(r) if r >= required => Ok(Granted { _private: () }),
                actual => Err(Denied::InsufficientRole { required, actual }),
            };
            match action {
                Action::ReadRepo(_) | Action::ViewOrg => granted,
                Action::ViewMembers => need(Role::Read),
                Action::CreateRepo => need(Role::Contributor),
                Action::EditRepo { created_by } | Action::DeleteRepo { created_by } => {
                    // A contributor manages what they created; write and up manage everything.
                    if created_by == Some(id) && role >= Some(Role::Contributor) {
                        granted
                    } else {
                        need(Role::Write)
                    }
                }
                Action::ManageMembers | Action::ManageSettings => need(Role::Admin),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Action::*;
    use super::*;
    use crate::Role::*;
    use crate::Visibility::{Private, Public};

    const ALICE: UserId = UserId(1);
    const BOB: UserId = UserId(2);
    const ORG: OrgId = OrgId(7);

    fn org(role: Option<Role>) -> Namespace {
        Namespace::Org {
            org: ORG,
            role,
            sso: SsoGate::NotEnforced,
        }
    }

    #[test]
    fn role_action_matrix_in_an_organization() {
        let by_other = Some(BOB);
        let by_me = Some(ALICE);
        #[rustfmt::skip]
        let table = [
            (None, ReadRepo(Public), true), (None, ReadRepo(Private), false),
            (None, CreateRepo, false), (None, ViewMembers, false),
            (Some(Read), ReadRepo(Private), true), (Some(Read), CreateRepo, false),
            (Some(Read), EditRepo { created_by: by_me }, false), (Some(Read), ViewMembers, true),
            (Some(Contributor), CreateRepo, true),
            (Some(Contributor), EditRepo { created_by: by_me }, true),
            (Some(Contributor), EditRepo { created_by: by_other }, false),
            (Some(Contributor), DeleteRepo { created_by: by_other }, false),
            (Some(Write), EditRepo { created_by: by_other }, true),
            (Some(Write), DeleteRepo { created_by: by_other }, true),
            (Some(Write), ManageMembers, false), (Some(Write), ManageSettings, false),
            (Some(Admin), ManageMembers, true), (Some(Admin), ManageSettings, true),
            (Some(Admin), ReadRepo(Private), true),
        ];
        for (role, action, ok) in table {
            let got = decide(Viewer::user(ALICE), org(role), action).is_ok();
            assert_eq!(got, ok, "{role:?} × {action:?}");
        }
    }

    #[test]
    fn private_content_is_hidden_not_forbidden() {
        assert_eq!(
            decide(Viewer::Anonymous, org(None), ReadRepo(Private)).unwrap_err(),
            Denied::NotFound
        );
        assert_eq!(
            decide(Viewer::user(ALICE), Namespace::User(BOB), ReadRepo(Private)).unwrap_err(),
            Denied::NotFound
        );
    }

    #[test]
    fn anonymous_visitors_are_asked_to_log_in_for_writes() {
        assert_eq!(
            decide(Viewer::Anonymous, org(None), CreateRepo).unwrap_err(),
            Denied::LoginRequired
        );
    }

    #[test]
    fn only_the_owner_writes_in_a_user_namespace() {
        assert!(decide(Viewer::user(ALICE), Namespace::User(ALICE), CreateRepo).is_ok());
        assert!(decide(
            Viewer::user(ALICE),
            Namespace::User(ALICE),
            ReadRepo(Private)
        )
        .is_ok());
        assert_eq!(
            decide(Viewer::user(BOB), Namespace::User(ALICE), CreateRepo).unwrap_err(),
            Denied::NotOwner
        );
        assert!(decide(Viewer::user(BOB), Namespace::User(ALICE), ReadRepo(Public)).is_ok());
    }

    #[test]
    fn read_tokens_cannot_write() {
        let viewer = Viewer::User {
            id: ALICE,
            scope: Some(TokenScope::Read),
        };
        assert_eq!(
            decide(viewer, org(Some(Admin)), CreateRepo).unwrap_err(),
            Denied::TokenReadOnly
        );
        assert!(decide(viewer, org(Some(Admin)), ReadRepo(Private)).is_ok());
        let write = Viewer::User {
            id: ALICE,
            scope: Some(TokenScope::Write),
        };
        assert!(decide(write, org(Some(Admin)), CreateRepo).is_ok());
    }

    #[test]
    fn a_required_sso_session_blocks_even_public_content() {
        let gated = Namespace::Org {
            org: ORG,
            role: Some(Admin),
            sso: SsoGate::Required,
        };
        for action in [
            ReadRepo(Public),
            ReadRepo(Private),
            ViewOrg,
            CreateRepo,
            ManageSettings,
        ] {
            assert_eq!(
                decide(Viewer::user(ALICE), gated, action).unwrap_err(),
                Denied::SsoSessionRequired { org: ORG },
                "{action:?}"
            );
        }
        let satisfied = Namespace::Org {
            org: ORG,
            role: Some(Admin),
            sso: SsoGate::Satisfied,
        };
        assert!(decide(Viewer::user(ALICE), satisfied, ManageSettings).is_ok());
    }
}
