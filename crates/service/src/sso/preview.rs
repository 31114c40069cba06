//! The admin's preview of an SSO change before it is made: enabling (in
//! either mode, which also switches an enabled organization's mode) or
//! tying another email domain. It names everyone the change reaches, what it
//! does to them, and the access tokens that stop reaching the organization
//! until their owners sign in through the IdP.

use crate::{Caller, Hub, ServiceResult};
use orgsso_core::{EmailDomain, FieldError, OrgName, Role, SsoMode, Timestamp, UserId, Username};
use orgsso_store::{AccessToken, DomainUser, Member};
use std::collections::{BTreeMap, HashMap};

/// A change an admin is about to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SsoChange {
    /// Enable SSO in this mode (from off, or switching modes). Enabling
    /// ends every SSO session of the organization.
    Enable { mode: SsoMode },
    /// Tie another email domain to the organization's SSO.
    AddDomain { domain: EmailDomain },
}

impl SsoChange {
    /// Reads a change as the preview's query gives it: `change=enable` with
    /// `mode` (enforced when absent), or `change=add-domain` with `domain`.
    pub fn parse(
        change: Option<&str>,
        mode: Option<&str>,
        domain: Option<&str>,
    ) -> Result<Self, FieldError> {
        match change {
            Some("enable") => {
                let mode = match mode {
                    None => SsoMode::Enforced,
                    Some(text) => SsoMode::parse(text)
                        .filter(|m| *m != SsoMode::Off)
                        .ok_or_else(|| FieldError::new("mode", "must be optional or enforced"))?,
                };
                Ok(SsoChange::Enable { mode })
            }
            Some("add-domain") => Ok(SsoChange::AddDomain {
                domain: EmailDomain::parse(domain.unwrap_or_default())?,
            }),
            _ => Err(FieldError::new("change", "must be enable or add-domain")),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            SsoChange::Enable { .. } => "enable",
            SsoChange::AddDomain { .. } => "add-domain",
        }
    }
}

/// What the change does to one person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    /// Reaches nothing in the organization, its public content included,
    /// until they sign in through the IdP; so do their access tokens.
    MustSignIn,
    /// Asked to sign in through the IdP; nothing is refused (optional mode).
    Prompted,
    /// Holds a live SSO session that the change keeps: stopped only when it ends.
    UntilSessionEnds(Timestamp),
    /// Within the organization's reach from now on, stopped only once SSO is on.
    WhenEnabled,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::MustSignIn => "must_sign_in",
            Effect::Prompted => "prompted",
            Effect::UntilSessionEnds(_) => "until_session_ends",
            Effect::WhenEnabled => "when_enabled",
        }
    }
}

/// One person the change reaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Affected {
    pub user: UserId,
    pub username: Username,
    /// Their role, for a member.
    pub role: Option<Role>,
    /// The verified address that puts them in a domain, for a non-member.
    pub domain_address: Option<String>,
    pub effect: Effect,
}

/// Who a change reaches and what it stops, as the admin confirms it.
#[derive(Clone, Debug)]
pub struct SsoPreview {
    pub change: SsoChange,
    pub mode_before: SsoMode,
    pub mode_after: SsoMode,
    /// By username.
    pub affected: Vec<Affected>,
    /// Tokens of those who must sign in, by owner then name.
    pub tokens: Vec<(Username, AccessToken)>,
}

impl SsoPreview {
    pub fn count(&self, effect: fn(&Effect) -> bool) -> usize {
        self.affected.iter().filter(|a| effect(&a.effect)).count()
    }
}

/// What the organization looks like now, as far as a change can touch it.
pub(crate) struct Reach<'a> {
    pub mode: SsoMode,
    pub members: &'a [Member],
    /// Users with a verified address in one of today's domains.
    pub domain_users: &'a [DomainUser],
    /// Users of the domain being added (empty for other changes).
    pub new_domain_users: &'a [DomainUser],
    /// Who holds a live SSO session, with its latest expiry.
    pub live_sessions: &'a HashMap<UserId, Timestamp>,
}

/// The people a change reaches and what it does to each: a pure function
/// of the organization's state, so every case is tested without a database.
pub(crate) fn affected_by(change: &SsoChange, now: &Reach<'_>) -> (SsoMode, Vec<Affected>) {
    let mut people: BTreeMap<String, Affected> = BTreeMap::new();
    let mut add = |user: UserId,
                   username: &Username,
                   role: Option<Role>,
                   address: Option<&str>,
                   effect: Effect| {
        people
            .entry(username.to_string())
            .or_insert_with(|| Affected {
                user,
                username: username.clone(),
                role,
                domain_address: address.map(str::to_owned),
                effect,
            });
    };
    match change {
        SsoChange::Enable { mode } => {
            // Enabling ends every SSO session: everyone in reach starts over.
            let effect = match mode {
                SsoMode::Enforced => Effect::MustSignIn,
                _ => Effect::Prompted,
            };
            for m in now.members {
                add(m.user, &m.username, Some(m.role), None, effect);
            }
            for d in now.domain_users {
                add(d.user, &d.username, None, Some(&d.address), effect);
            }
            (*mode, people.into_values().collect())
        }
        SsoChange::AddDomain { .. } => {
            // Only those the organization does not reach already.
            let reached: std::collections::HashSet<UserId> = now
                .members
                .iter()
                .map(|m| m.user)
                .chain(now.domain_users.iter().map(|d| d.user))
                .collect();
            for d in now.new_domain_users {
                if reached.contains(&d.user) {
                    continue;
                }
                let effect = match (now.mode, now.live_sessions.get(&d.user)) {
                    (SsoMode::Off, _) => Effect::WhenEnabled,
                    (SsoMode::Optional, _) => Effect::Prompted,
                    (SsoMode::Enforced, Some(until)) => Effect::UntilSessionEnds(*until),
                    (SsoMode::Enforced, None) => Effect::MustSignIn,
                };
                add(d.user, &d.username, None, Some(&d.address), effect);
            }
            (now.mode, people.into_values().collect())
        }
    }
}

impl Hub {
    /// The preview of `change` for the organization's admins: nothing
    /// changes until they confirm by making the change itself.
    pub async fn sso_preview(
        &self,
        caller: &Caller,
        name: &OrgName,
        change: SsoChange,
    ) -> ServiceResult<SsoPreview> {
        let org = self.org_admin(caller, name).await?;
        let state = self.store.org_sso(org.id).await?;
        let members = self.store.members(org.id).await?;
        let mut domain_users = Vec::new();
        for domain in self.store.sso_domains(org.id).await? {
            domain_users.extend(self.store.users_in_email_domain(&domain.domain).await?);
        }
        let new_domain_users = match &change {
            SsoChange::AddDomain { domain } => {
                self.store.users_in_email_domain(domain.as_str()).await?
            }
            SsoChange::Enable { .. } => Vec::new(),
        };
        let mut live_sessions: HashMap<UserId, Timestamp> = HashMap::new();
        for session in self
            .store
            .sso_sessions_of_org(org.id, self.clock.now())
            .await?
        {
            let latest = live_sessions
                .entry(session.user)
                .or_insert(session.expires_at);
            *latest = (*latest).max(session.expires_at);
        }
        let (mode_after, affected) = affected_by(
            &change,
            &Reach {
                mode: state.mode,
                members: &members,
                domain_users: &domain_users,
                new_domain_users: &new_domain_users,
                live_sessions: &live_sessions,
            },
        );
        let stopped: Vec<UserId> = affected
            .iter()
            .filter(|a| a.effect == Effect::MustSignIn)
            .map(|a| a.user)
            .collect();
        let owners: HashMap<UserId, Username> = affected
            .iter()
            .map(|a| (a.user, a.username.clone()))
            .collect();
        let tokens = self
            .store
            .tokens_of_users(&stopped)
            .await?
            .into_iter()
            .filter_map(|t| Some((owners.get(&t.user)?.clone(), t)))
            .collect();
        Ok(SsoPreview {
            change,
            mode_before: state.mode,
            mode_after,
            affected,
            tokens,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn name(raw: &str) -> Username {
        Username::parse(raw).unwrap()
    }

    fn member(id: i64, username: &str, role: Role) -> Member {
        Member {
            user: UserId(id),
            username: name(username),
            display_name: username.to_owned(),
            role,
            joined_at: Timestamp::from_unix(0),
        }
    }

    fn domain_user(id: i64, username: &str, address: &str) -> DomainUser {
        DomainUser {
            user: UserId(id),
            username: name(username),
            address: address.to_owned(),
        }
    }

    fn summary(people: &[Affected]) -> Vec<(String, Effect)> {
        people
            .iter()
            .map(|a| (a.username.to_string(), a.effect))
            .collect()
    }

    #[test]
    fn enabling_enforced_stops_members_and_domain_users_alike_even_with_a_session() {
        let members = [
            member(1, "alice", Role::Admin),
            member(2, "bob", Role::Read),
        ];
        // Bob is also in the domain: listed once, as the member he is.
        let domain = [
            domain_user(2, "bob", "bob@acme.test"),
            domain_user(3, "carol", "carol@acme.test"),
        ];
        let live = HashMap::from([(UserId(1), Timestamp::from_unix(99))]);
        let (mode, people) = affected_by(
            &SsoChange::Enable {
                mode: SsoMode::Enforced,
            },
            &Reach {
                mode: SsoMode::Off,
                members: &members,
                domain_users: &domain,
                new_domain_users: &[],
                live_sessions: &live,
            },
        );
        assert_eq!(mode, SsoMode::Enforced);
        assert_eq!(
            summary(&people),
            vec![
                ("alice".into(), Effect::MustSignIn),
                ("bob".into(), Effect::MustSignIn),
                ("carol".into(), Effect::MustSignIn),
            ]
        );
        assert_eq!(people[1].role, Some(Role::Read));
        assert_eq!(people[1].domain_address, None);
        assert_eq!(people[2].domain_address.as_deref(), Some("carol@acme.test"));
    }

    #[test]
    fn enabling_optional_only_prompts() {
        let members = [member(1, "alice", Role::Admin)];
        let (mode, people) = affected_by(
            &SsoChange::Enable {
                mode: SsoMode::Optional,
            },
            &Reach {
                mode: SsoMode::Enforced,
                members: &members,
                domain_users: &[],
                new_domain_users: &[],
                live_sessions: &HashMap::new(),
            },
        );
        assert_eq!(mode, SsoMode::Optional);
        assert_eq!(summary(&people), vec![("alice".into(), Effect::Prompted)]);
    }

    #[test]
    fn a_new_domain_reaches_only_those_not_reached_yet() {
        let members = [member(1, "alice", Role::Admin)];
        let today = [domain_user(2, "bob", "bob@old.test")];
        let added = [
            domain_user(1, "alice", "alice@new.test"),
            domain_user(2, "bob", "bob@new.test"),
            domain_user(3, "carol", "carol@new.test"),
            domain_user(4, "dave", "dave@new.test"),
        ];
        let live = HashMap::from([(UserId(4), Timestamp::from_unix(500))]);
        let change = SsoChange::AddDomain {
            domain: EmailDomain::parse("new.test").unwrap(),
        };
        let at = |mode| {
            affected_by(
                &change,
                &Reach {
                    mode,
                    members: &members,
                    domain_users: &today,
                    new_domain_users: &added,
                    live_sessions: &live,
                },
            )
        };
        let (mode, people) = at(SsoMode::Enforced);
        assert_eq!(mode, SsoMode::Enforced);
        assert_eq!(
            summary(&people),
            vec![
                ("carol".into(), Effect::MustSignIn),
                (
                    "dave".into(),
                    Effect::UntilSessionEnds(Timestamp::from_unix(500))
                ),
            ]
        );
        assert_eq!(
            summary(&at(SsoMode::Off).1),
            vec![
                ("carol".into(), Effect::WhenEnabled),
                ("dave".into(), Effect::WhenEnabled),
            ]
        );
        assert!(at(SsoMode::Optional)
            .1
            .iter()
            .all(|a| a.effect == Effect::Prompted));
    }

    #[test]
    fn changes_are_read_from_the_query_and_bad_ones_name_their_field() {
        assert_eq!(
            SsoChange::parse(Some("enable"), None, None),
            Ok(SsoChange::Enable {
                mode: SsoMode::Enforced
            })
        );
        assert_eq!(
            SsoChange::parse(Some("enable"), Some("optional"), None),
            Ok(SsoChange::Enable {
                mode: SsoMode::Optional
            })
        );
        let field = |r: Result<SsoChange, FieldError>| r.unwrap_err().field;
        assert_eq!(
            field(SsoChange::parse(Some("enable"), Some("off"), None)),
            "mode"
        );
        assert_eq!(
            field(SsoChange::parse(Some("disable"), None, None)),
            "change"
        );
        assert_eq!(field(SsoChange::parse(None, None, None)), "change");
        assert_eq!(
            field(SsoChange::parse(Some("add-domain"), None, Some("co.uk"))),
            "domain"
        );
        assert_eq!(
            SsoChange::parse(Some("add-domain"), None, Some("Acme.TEST")),
            Ok(SsoChange::AddDomain {
                domain: EmailDomain::parse("acme.test").unwrap()
            })
        );
    }
}
