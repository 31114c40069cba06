//! The admin's preview of an SSO change before it is made: enabling (in
//! either mode, which also switches an enabled organization's mode), tying
//! another email domain, or saving a role mapping. It names everyone the
//! change reaches, what it does to them, the access tokens that stop
//! reaching the organization until their owners sign in through the IdP,
//! and the roles a mapping would give at each member's next sign-in.

use super::identities::mapping_input;
use super::role_mapping::{parse_role_lines, RoleMapping};
use super::OrgAdmin;
use crate::{Hub, ServiceResult};
use orgsso_core::{EmailDomain, FieldError, Role, SsoMode, Timestamp, UserId, Username};
use orgsso_store::{AccessToken, DomainUser, Member, Org, SignInClaims, SsoConfig, User};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Largest sign-in claims kept for the mapping preview; a larger set (a
/// user in thousands of groups) is recorded as not kept.
pub const MAX_KEPT_CLAIMS_BYTES: usize = 64 * 1024;

/// A change an admin is about to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SsoChange {
    /// Enable SSO in this mode (from off, or switching modes). Enabling
    /// ends every SSO session of the organization.
    Enable { mode: SsoMode },
    /// Tie another email domain to the organization's SSO.
    AddDomain { domain: EmailDomain },
    /// Save this role mapping: a JSON path and the table as the admin
    /// types it, one `value = role` per line.
    Mapping { path: String, roles: String },
}

impl SsoChange {
    /// Reads a change from the preview's query (`field` gives a parameter):
    /// `change=enable` with `mode` (enforced when absent), `change=add-domain`
    /// with `domain`, or `change=mapping` with `path` and `roles`.
    pub fn parse<'q>(field: impl Fn(&str) -> Option<&'q str>) -> Result<Self, FieldError> {
        let (mode, domain) = (field("mode"), field("domain"));
        match field("change") {
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
            Some("mapping") => Ok(SsoChange::Mapping {
                path: field("path").unwrap_or_default().to_owned(),
                roles: field("roles").unwrap_or_default().to_owned(),
            }),
            _ => Err(FieldError::new(
                "change",
                "must be enable, add-domain or mapping",
            )),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            SsoChange::Enable { .. } => "enable",
            SsoChange::AddDomain { .. } => "add-domain",
            SsoChange::Mapping { .. } => "mapping",
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

/// The role a mapping would give one sign-in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleOutcome {
    pub username: Username,
    /// Their role now (`None`: not a member, for a test sign-in).
    pub role_now: Option<Role>,
    /// The role the mapping gives; `None` when no sign-in of theirs is
    /// recorded (or it was too large to keep): the mapping applies at their next.
    pub would_be: Option<Role>,
    /// The table's values the path found (empty: the default role applies).
    pub matched: Vec<String>,
    /// When the sign-in read happened.
    pub signed_in_at: Option<Timestamp>,
}

impl RoleOutcome {
    /// Whether the member's role changes at their next sign-in.
    pub fn changes(&self) -> bool {
        self.would_be.is_some() && self.would_be != self.role_now
    }
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
    /// For a mapping: every member's role under it, from their last sign-in.
    pub roles: Vec<RoleOutcome>,
    /// For a mapping: the newest configuration's test sign-in under it.
    pub test_sign_in: Option<RoleOutcome>,
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
        // A mapping reaches nobody new: it changes roles, previewed apart.
        SsoChange::Mapping { .. } => (now.mode, Vec::new()),
    }
}

/// The role `mapping` gives one set of claims (already as the mapping reads
/// them), or the organization's default role when no value matches.
fn role_under(mapping: &RoleMapping, default_role: Role, input: &Value) -> (Role, Vec<String>) {
    match mapping.evaluate(input) {
        Some(found) => (found.role, found.values),
        None => (default_role, Vec::new()),
    }
}

/// Every member's role under `mapping`, from the claims of their last
/// sign-in: a pure function, tested without a database.
pub(crate) fn roles_under(
    mapping: &RoleMapping,
    default_role: Role,
    members: &[Member],
    claims: &[SignInClaims],
) -> Vec<RoleOutcome> {
    let by_user: HashMap<UserId, &SignInClaims> = claims.iter().map(|c| (c.user, c)).collect();
    members
        .iter()
        .map(|m| {
            let recorded = by_user.get(&m.user);
            let input = recorded
                .and_then(|c| c.claims.as_deref())
                .and_then(|text| serde_json::from_str::<Value>(text).ok());
            let (would_be, matched) = match &input {
                Some(input) => {
                    let (role, matched) = role_under(mapping, default_role, input);
                    (Some(role), matched)
                }
                None => (None, Vec::new()),
            };
            RoleOutcome {
                username: m.username.clone(),
                role_now: Some(m.role),
                would_be,
                matched,
                signed_in_at: recorded.map(|c| c.recorded_at),
            }
        })
        .collect()
}

/// What is kept of a sign-in for the mapping preview: the claims as the
/// mapping reads them, or `None` beyond [`MAX_KEPT_CLAIMS_BYTES`].
pub(crate) fn kept_claims(config: &SsoConfig, claims: &Value) -> Option<String> {
    Some(mapping_input(config, claims).to_string()).filter(|t| t.len() <= MAX_KEPT_CLAIMS_BYTES)
}

impl Hub {
    /// The preview of `change` for the organization's admins: nothing
    /// changes until they confirm by making the change itself.
    pub async fn sso_preview(
        &self,
        admin: &OrgAdmin,
        change: SsoChange,
    ) -> ServiceResult<SsoPreview> {
        let org = admin.org();
        let state = self.store.org_sso(org.id).await?;
        if let SsoChange::Mapping { path, roles } = &change {
            let mapping = RoleMapping::parse(path, &parse_role_lines(roles)?)?;
            let (roles, test_sign_in) = self.roles_preview(org, &mapping).await?;
            return Ok(SsoPreview {
                change,
                mode_before: state.mode,
                mode_after: state.mode,
                affected: Vec::new(),
                tokens: Vec::new(),
                roles,
                test_sign_in,
            });
        }
        let members = self.store.members(org.id).await?;
        let mut domain_users = Vec::new();
        for domain in self.store.sso_domains(org.id).await? {
            domain_users.extend(self.store.users_in_email_domain(&domain.domain).await?);
        }
        let new_domain_users = match &change {
            SsoChange::AddDomain { domain } => {
                self.store.users_in_email_domain(domain.as_str()).await?
            }
            SsoChange::Enable { .. } | SsoChange::Mapping { .. } => Vec::new(),
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
            roles: Vec::new(),
            test_sign_in: None,
        })
    }

    /// Members' roles under `mapping`, and the newest configuration's test
    /// sign-in under it.
    async fn roles_preview(
        &self,
        org: &Org,
        mapping: &RoleMapping,
    ) -> ServiceResult<(Vec<RoleOutcome>, Option<RoleOutcome>)> {
        let members = self.store.members(org.id).await?;
        let claims = self.store.sign_in_claims_of_org(org.id).await?;
        let roles = roles_under(mapping, org.default_role, &members, &claims);
        let Some(config) = self.store.latest_sso_config(org.id).await? else {
            return Ok((roles, None));
        };
        let (Some(result), Some(tester), Some(at)) =
            (&config.test_result, config.tested_by, config.tested_at)
        else {
            return Ok((roles, None));
        };
        let Some(tester) = self.store.user_by_id(tester).await? else {
            return Ok((roles, None));
        };
        let Ok(sent) = serde_json::from_str::<Value>(result) else {
            return Ok((roles, None));
        };
        let (would_be, matched) =
            role_under(mapping, org.default_role, &mapping_input(&config, &sent));
        let test = RoleOutcome {
            role_now: self.store.role_of(org.id, tester.id).await?,
            username: tester.username,
            would_be: Some(would_be),
            matched,
            signed_in_at: Some(at),
        };
        Ok((roles, Some(test)))
    }

    /// Keeps what the IdP sent at a member's sign-in for the mapping preview.
    pub(crate) async fn keep_sign_in_claims(
        &self,
        org: &Org,
        user: &User,
        config: &SsoConfig,
        claims: &Value,
    ) -> ServiceResult<()> {
        let kept = kept_claims(config, claims);
        self.store
            .record_sign_in_claims(org.id, user.id, kept.as_deref(), self.clock.now())
            .await?;
        Ok(())
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
        let parse = |pairs: &[(&'static str, &'static str)]| {
            let pairs = pairs.to_vec();
            SsoChange::parse(move |key| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v))
        };
        assert_eq!(
            parse(&[("change", "enable")]),
            Ok(SsoChange::Enable {
                mode: SsoMode::Enforced
            })
        );
        assert_eq!(
            parse(&[("change", "enable"), ("mode", "optional")]),
            Ok(SsoChange::Enable {
                mode: SsoMode::Optional
            })
        );
        let field = |r: Result<SsoChange, FieldError>| r.unwrap_err().field;
        assert_eq!(
            field(parse(&[("change", "enable"), ("mode", "off")])),
            "mode"
        );
        assert_eq!(field(parse(&[("change", "disable")])), "change");
        assert_eq!(field(parse(&[])), "change");
        assert_eq!(
            field(parse(&[("change", "add-domain"), ("domain", "co.uk")])),
            "domain"
        );
        assert_eq!(
            parse(&[("change", "add-domain"), ("domain", "Acme.TEST")]),
            Ok(SsoChange::AddDomain {
                domain: EmailDomain::parse("acme.test").unwrap()
            })
        );
    }

    fn claims(id: i64, username: &str, json: Option<&str>, at: i64) -> SignInClaims {
        SignInClaims {
            user: UserId(id),
            username: name(username),
            claims: json.map(str::to_owned),
            recorded_at: Timestamp::from_unix(at),
        }
    }

    #[test]
    fn a_mapping_gives_each_member_the_role_of_their_last_sign_in() {
        let mapping = RoleMapping::parse(
            "$.groups[*]",
            &parse_role_lines("eng-admins = admin\neng = write").unwrap(),
        )
        .unwrap();
        let members = [
            member(1, "alice", Role::Admin),
            member(2, "bob", Role::Read),
            member(3, "carol", Role::Write),
            member(4, "dave", Role::Read),
            member(5, "erin", Role::Read),
        ];
        let recorded = [
            claims(1, "alice", Some(r#"{"groups":["eng","eng-admins"]}"#), 10),
            claims(2, "bob", Some(r#"{"groups":["eng"]}"#), 11),
            claims(3, "carol", Some(r#"{"groups":["sales"]}"#), 12),
            // dave's claims were too large to keep; erin never signed in.
            claims(4, "dave", None, 13),
        ];
        let outcomes = roles_under(&mapping, Role::Read, &members, &recorded);
        let seen: Vec<(String, Option<Role>, bool)> = outcomes
            .iter()
            .map(|o| (o.username.to_string(), o.would_be, o.changes()))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("alice".into(), Some(Role::Admin), false),
                ("bob".into(), Some(Role::Write), true),
                ("carol".into(), Some(Role::Read), true),
                ("dave".into(), None, false),
                ("erin".into(), None, false),
            ]
        );
        assert_eq!(outcomes[0].matched, vec!["eng", "eng-admins"]);
        assert!(outcomes[2].matched.is_empty(), "no match: the default role");
        assert_eq!(outcomes[1].signed_in_at, Some(Timestamp::from_unix(11)));
        assert_eq!(outcomes[4].signed_in_at, None);
    }

    #[test]
    fn a_mapping_change_carries_its_path_and_lines_and_reaches_nobody_new() {
        let change = SsoChange::parse(|key| match key {
            "change" => Some("mapping"),
            "path" => Some("$.groups[*]"),
            "roles" => Some("a = admin"),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            change,
            SsoChange::Mapping {
                path: "$.groups[*]".into(),
                roles: "a = admin".into()
            }
        );
        let members = [member(1, "alice", Role::Admin)];
        let (mode, people) = affected_by(
            &change,
            &Reach {
                mode: SsoMode::Enforced,
                members: &members,
                domain_users: &[],
                new_domain_users: &[],
                live_sessions: &HashMap::new(),
            },
        );
        assert_eq!((mode, people), (SsoMode::Enforced, vec![]));
    }

    #[test]
    fn claims_beyond_the_cap_are_recorded_as_not_kept() {
        let config = SsoConfig {
            id: orgsso_store::SsoConfigId(1),
            org: orgsso_core::OrgId(1),
            protocol: orgsso_store::SsoProtocol::Oidc,
            settings: "{}".into(),
            secret_ciphertext: None,
            created_by: None,
            created_at: Timestamp::from_unix(0),
            tested_at: None,
            test_result: None,
            tested_by: None,
            tested_identity_matches: false,
        };
        let small = serde_json::json!({"groups": ["eng"]});
        assert_eq!(
            kept_claims(&config, &small).as_deref(),
            Some(r#"{"groups":["eng"]}"#)
        );
        let groups: Vec<String> = (0..MAX_KEPT_CLAIMS_BYTES / 8)
            .map(|n| format!("g{n:07}"))
            .collect();
        let large = serde_json::json!({ "groups": groups });
        assert!(large.to_string().len() > MAX_KEPT_CLAIMS_BYTES);
        assert_eq!(kept_claims(&config, &large), None);
    }
}
