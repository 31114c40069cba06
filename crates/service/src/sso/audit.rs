//! What the SSO audit log records: one structured event per thing that
//! happened — who caused it (a user in the hub, the operator, an SSO
//! sign-in), what it is about, whether it succeeded, a sentence for people
//! and the same facts as a JSON object for machines.

use super::OrgAdmin;
use crate::{Hub, ServiceResult};
use orgsso_core::{FieldError, Timestamp, UserId, Username};
use orgsso_store::{ActorKind, AuditEntry, AuditOutcome, AuditQuery, NewAuditEntry, Org};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// An event about to be appended to an organization's audit log.
#[derive(Clone, Debug)]
pub(crate) struct AuditEvent {
    event: &'static str,
    actor_kind: ActorKind,
    actor: Option<UserId>,
    target: Option<String>,
    outcome: AuditOutcome,
    detail: String,
    details: Map<String, Value>,
}

impl AuditEvent {
    /// Something a user did in the hub (`None`: not known, a former account).
    pub(crate) fn by_user(actor: Option<UserId>, event: &'static str, detail: String) -> Self {
        Self::new(ActorKind::User, actor, event, detail)
    }

    /// Something the operator did from the command line.
    pub(crate) fn by_operator(event: &'static str, detail: String) -> Self {
        Self::new(ActorKind::Operator, None, event, detail)
    }

    /// What an SSO sign-in of `user` did or was refused.
    pub(crate) fn sign_in(user: UserId, event: &'static str, detail: String) -> Self {
        Self::new(ActorKind::SignIn, Some(user), event, detail)
    }

    fn new(kind: ActorKind, actor: Option<UserId>, event: &'static str, detail: String) -> Self {
        Self {
            event,
            actor_kind: kind,
            actor,
            target: None,
            outcome: AuditOutcome::Success,
            detail,
            details: Map::new(),
        }
    }

    /// What the event is about: a member's username, a domain, a configuration.
    pub(crate) fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// The event records a refusal or a failure.
    pub(crate) fn failed(mut self) -> Self {
        self.outcome = AuditOutcome::Failure;
        self
    }

    /// One fact of the event for machines.
    pub(crate) fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }
}

impl Hub {
    /// Appends `event` to `org`'s audit log (and says it in the service log).
    pub(crate) async fn record(&self, org: &Org, event: AuditEvent) -> ServiceResult<()> {
        tracing::info!(
            org = %org.name,
            event = event.event,
            outcome = event.outcome.as_str(),
            detail = %event.detail,
            "sso audit"
        );
        self.store
            .append_audit(NewAuditEntry {
                org: org.id,
                at: self.clock.now(),
                actor_kind: event.actor_kind,
                actor: event.actor,
                event: event.event.to_owned(),
                target: event.target,
                outcome: event.outcome,
                detail: event.detail,
                details: Value::Object(event.details).to_string(),
            })
            .await?;
        Ok(())
    }
}

/// The filters an admin (or a SIEM) reads the log with; each optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub event: Option<String>,
    /// Entries this user caused, or about them.
    pub user: Option<Username>,
    pub outcome: Option<AuditOutcome>,
    /// From this time on.
    pub since: Option<Timestamp>,
    /// Before this time.
    pub until: Option<Timestamp>,
}

/// Longest event code a filter may name; real codes are far shorter.
const MAX_EVENT_CHARS: usize = 64;

impl AuditFilter {
    /// Reads the filters from a query (`field` gives a parameter); an
    /// empty parameter is no filter. Each bad value names its field.
    pub fn parse<'q>(field: impl Fn(&str) -> Option<&'q str>) -> Result<Self, FieldError> {
        let given = |key: &str| field(key).map(str::trim).filter(|v| !v.is_empty());
        let event = match given("event") {
            None => None,
            Some(code)
                if code.len() <= MAX_EVENT_CHARS
                    && code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_') =>
            {
                Some(code.to_owned())
            }
            Some(_) => {
                return Err(FieldError::new(
                    "event",
                    "must be an event code such as sso.login_failed",
                ))
            }
        };
        let user = given("user")
            .map(|name| {
                Username::parse(name).map_err(|_| FieldError::new("user", "must be a username"))
            })
            .transpose()?;
        let outcome = given("outcome")
            .map(|o| {
                AuditOutcome::parse(o)
                    .ok_or_else(|| FieldError::new("outcome", "must be success or failure"))
            })
            .transpose()?;
        let time = |key: &'static str| {
            given(key)
                .map(|t| {
                    Timestamp::parse_rfc3339(t).ok_or_else(|| {
                        FieldError::new(
                            key,
                            "must be an RFC 3339 time such as 2026-03-02T10:00:00Z",
                        )
                    })
                })
                .transpose()
        };
        Ok(Self {
            event,
            user,
            outcome,
            since: time("since")?,
            until: time("until")?,
        })
    }
}

/// An entry as the admin reads it: with the acting user's name.
#[derive(Clone, Debug)]
pub struct AuditRecord {
    pub entry: AuditEntry,
    /// `None` for the operator, or an account deleted since.
    pub actor_name: Option<Username>,
}

/// Most entries one page or export chunk reads.
pub const AUDIT_PAGE_SIZE: u32 = 200;

impl Hub {
    /// One page of the org's audit log: entries after `cursor` oldest
    /// first, or before it newest first, at most [`AUDIT_PAGE_SIZE`].
    pub async fn sso_audit_page(
        &self,
        admin: &OrgAdmin,
        filter: &AuditFilter,
        cursor: Option<i64>,
        newest_first: bool,
        limit: u32,
    ) -> ServiceResult<Vec<AuditRecord>> {
        let org = admin.org();
        let user = match &filter.user {
            // An unknown username still finds the entries about that name.
            Some(name) => Some((
                self.store
                    .user_by_username(name)
                    .await?
                    .map_or(UserId(0), |u| u.id),
                name.to_string(),
            )),
            None => None,
        };
        let query = AuditQuery {
            event: filter.event.clone(),
            user,
            outcome: filter.outcome,
            since: filter.since,
            until: filter.until,
            cursor,
            newest_first,
            limit: limit.min(AUDIT_PAGE_SIZE),
        };
        let entries = self.store.audit_page(org.id, &query).await?;
        let mut names: HashMap<UserId, Option<Username>> = HashMap::new();
        let mut records = Vec::with_capacity(entries.len());
        for entry in entries {
            let actor_name = match entry.actor {
                Some(id) => match names.get(&id) {
                    Some(name) => name.clone(),
                    None => {
                        let name = self.store.user_by_id(id).await?.map(|u| u.username);
                        names.insert(id, name.clone());
                        name
                    }
                },
                None => None,
            };
            records.push(AuditRecord { entry, actor_name });
        }
        Ok(records)
    }
}
