//! The one authorization policy: (who, which namespace, which action) → allow
//! or a reason to deny. Every page, API handler, token and (later) SCIM call
//! asks here; nothing else decides.
//!
//! Organization SSO plugs in through [`SsoGate`]: the service reads, per
//! request, the organization's [`SsoMode`], whether the viewer is within its
//! reach (a member, or a verified email in its domains) and whether they hold
//! a live SSO session; [`SsoGate::of`] turns those facts into the gate, and
//! the policy refuses everything in that namespace (public content included)
//! until they do, except the way in ([`Action::SignInThroughSso`],
//! [`Action::LeaveOrg`]).

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

/// How an organization uses its single sign-on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SsoMode {
    /// No SSO: members reach the organization with their hub session alone.
    Off,
    /// Offered: members are prompted to sign in through the IdP; nothing is refused.
    Optional,
    /// Members and users of its email domains reach nothing without an SSO session.
    Enforced,
}

impl SsoMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SsoMode::Off => "off",
            SsoMode::Optional => "optional",
            SsoMode::Enforced => "enforced",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "off" => Some(SsoMode::Off),
            "optional" => Some(SsoMode::Optional),
            "enforced" => Some(SsoMode::Enforced),
            _ => None,
        }
    }
}

impl std::fmt::Display for SsoMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The organization-SSO condition on this viewer for this organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsoGate {
    /// SSO is off, or the viewer is outside its reach.
    NotEnforced,
    /// Optional SSO the viewer has not signed in with: prompted, not refused.
    Offered,
    /// The viewer holds a live SSO session.
    Satisfied,
    /// Enforced, and the viewer (a member, or a user of its email domains) holds none.
    Required,
}

impl SsoGate {
    /// The gate for a viewer: `in_reach` when they are a member or have a
    /// verified email in one of the organization's SSO domains.
    pub fn of(mode: SsoMode, in_reach: bool, live_session: bool) -> SsoGate {
        match (mode, in_reach, live_session) {
            (SsoMode::Off, ..) | (_, false, _) => SsoGate::NotEnforced,
            (_, true, true) => SsoGate::Satisfied,
            (SsoMode::Optional, true, false) => SsoGate::Offered,
            (SsoMode::Enforced, true, false) => SsoGate::Required,
        }
    }

    /// Whether pages should prompt the viewer to sign in through the IdP.
    pub fn prompts(self) -> bool {
        matches!(self, SsoGate::Offered | SsoGate::Required)
    }
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
    /// The way in: starting the organization's SSO, its callback or ACS, the
    /// SSO prompt and the SP metadata. Never blocked by the SSO gate.
    SignInThroughSso,
    /// A member leaving the organization: never blocked by the SSO gate, so
    /// nobody is held in an organization they cannot sign in to.
    LeaveOrg,
}

impl Action {
    fn writes(self) -> bool {
        !matches!(
            self,
            Action::ReadRepo(_) | Action::ViewOrg | Action::ViewMembers | Action::SignInThroughSso
        )
    }

    /// Actions the SSO gate lets through, so a gated member can get in or out.
    fn is_way_in_or_out(self) -> bool {
        matches!(self, Action::SignInThroughSso | Action::LeaveOrg)
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
    let ungated = decide_without_sso(viewer, namespace, action);
    match namespace {
        Namespace::Org {
            org,
            sso: SsoGate::Required,
            ..
        } if !action.is_way_in_or_out() => match ungated {
            // What the viewer could not see even after signing in stays
            // hidden: the gate must not reveal that private content exists.
            Err(Denied::NotFound) => Err(Denied::NotFound),
            _ => Err(Denied::SsoSessionRequired { org }),
        },
        _ => ungated,
    }
}

/// The decision as if the viewer held every SSO session they need.
fn decide_without_sso(
    viewer: Viewer,
    namespace: Namespace,
    action: Action,
) -> Result<Granted, Denied> {
    let granted = Ok(Granted { _private: () });
    if action == Action::SignInThroughSso {
        return granted;
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
            Action::LeaveOrg => Err(Denied::NotFound),
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
                // Not a member: nothing to leave.
                Action::LeaveOrg if role.is_none() => Err(Denied::NotFound),
                Action::LeaveOrg => granted,
                Action::SignInThroughSso => granted,
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

    fn gated(role: Option<Role>, sso: SsoGate) -> Namespace {
        Namespace::Org {
            org: ORG,
            role,
            sso,
        }
    }

    #[test]
    fn the_gate_follows_mode_reach_and_session() {
        use SsoMode::*;
        #[rustfmt::skip]
        let table = [
            (Off, true, false, SsoGate::NotEnforced), (Off, true, true, SsoGate::NotEnforced),
            (Optional, false, false, SsoGate::NotEnforced), (Optional, true, false, SsoGate::Offered),
            (Optional, true, true, SsoGate::Satisfied),
            (Enforced, false, false, SsoGate::NotEnforced), (Enforced, false, true, SsoGate::NotEnforced),
            (Enforced, true, false, SsoGate::Required), (Enforced, true, true, SsoGate::Satisfied),
        ];
        for (mode, in_reach, live, gate) in table {
            assert_eq!(
                SsoGate::of(mode, in_reach, live),
                gate,
                "{mode:?} reach={in_reach} live={live}"
            );
        }
    }

    #[test]
    fn the_way_in_and_out_is_never_gated() {
        let viewer = Viewer::user(ALICE);
        assert!(decide(
            viewer,
            gated(Some(Read), SsoGate::Required),
            SignInThroughSso
        )
        .is_ok());
        assert!(decide(viewer, gated(None, SsoGate::Required), SignInThroughSso).is_ok());
        assert!(decide(
            Viewer::Anonymous,
            gated(None, SsoGate::NotEnforced),
            SignInThroughSso
        )
        .is_ok());
        assert!(decide(viewer, gated(Some(Read), SsoGate::Required), LeaveOrg).is_ok());
        assert!(decide(viewer, gated(None, SsoGate::NotEnforced), LeaveOrg).is_err());
    }

    #[test]
    fn enforcement_hides_private_content_from_those_who_could_never_see_it() {
        let domain_user = gated(None, SsoGate::Required);
        let viewer = Viewer::user(ALICE);
        assert_eq!(
            decide(viewer, domain_user, ReadRepo(Private)).unwrap_err(),
            Denied::NotFound
        );
        assert_eq!(
            decide(viewer, domain_user, ReadRepo(Public)).unwrap_err(),
            Denied::SsoSessionRequired { org: ORG }
        );
        assert_eq!(
            decide(
                viewer,
                gated(Some(Read), SsoGate::Required),
                ReadRepo(Private)
            )
            .unwrap_err(),
            Denied::SsoSessionRequired { org: ORG }
        );
    }

    #[test]
    fn an_offered_sso_refuses_nothing() {
        let offered = gated(Some(Admin), SsoGate::Offered);
        for action in [ReadRepo(Private), ViewOrg, CreateRepo, ManageSettings] {
            assert!(
                decide(Viewer::user(ALICE), offered, action).is_ok(),
                "{action:?}"
            );
        }
    }
}
