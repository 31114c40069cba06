//! The organization's SSO audit log: structured, append-only entries and
//! the filtered, paginated reads behind the admin's page and the export.

use crate::StoreResult;
use async_trait::async_trait;
use orgsso_core::{OrgId, Timestamp, UserId};

/// Who caused an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// A signed-in user acting in the hub (an admin saving settings).
    User,
    /// The operator, through the command line (break-glass).
    Operator,
    /// An SSO sign-in: what the IdP asserted about the user, if any is known.
    SignIn,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::User => "user",
            ActorKind::Operator => "operator",
            ActorKind::SignIn => "sign_in",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "user" => Some(ActorKind::User),
            "operator" => Some(ActorKind::Operator),
            "sign_in" => Some(ActorKind::SignIn),
            _ => None,
        }
    }
}

/// Whether what the entry records succeeded or was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditOutcome {
    Success,
    Failure,
}

impl AuditOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Failure => "failure",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "success" => Some(AuditOutcome::Success),
            "failure" => Some(AuditOutcome::Failure),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub org: OrgId,
    pub at: Timestamp,
    pub actor_kind: ActorKind,
    /// The user who acted or signed in; `None` for the operator, an unknown
    /// signer, or an account deleted since.
    pub actor: Option<UserId>,
    /// A stable event code: `sso.config_saved`, `sso.login_failed`, …
    pub event: String,
    /// What the event is about (a member's username, a domain, a
    /// configuration), when not the organization as a whole.
    pub target: Option<String>,
    pub outcome: AuditOutcome,
    /// Human-readable detail: for failures, exactly which check failed.
    pub detail: String,
    /// The same facts as a JSON object, for machines (a SIEM).
    pub details: String,
}

#[derive(Clone, Debug)]
pub struct NewAuditEntry {
    pub org: OrgId,
    pub at: Timestamp,
    pub actor_kind: ActorKind,
    pub actor: Option<UserId>,
    pub event: String,
    pub target: Option<String>,
    pub outcome: AuditOutcome,
    pub detail: String,
    /// A JSON object.
    pub details: String,
}

/// Which entries to read, and where a page starts. Every filter is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub event: Option<String>,
    /// Entries this user caused, or whose target is this username.
    pub user: Option<(UserId, String)>,
    pub outcome: Option<AuditOutcome>,
    /// From this time on (inclusive).
    pub since: Option<Timestamp>,
    /// Before this time (exclusive).
    pub until: Option<Timestamp>,
    /// Entries after (oldest first) or before (newest first) this id.
    pub cursor: Option<i64>,
    pub newest_first: bool,
    pub limit: u32,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends an entry. The database refuses to change or delete one.
    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()>;
    /// One page of the org's entries matching `query`, in id order.
    async fn audit_page(&self, org: OrgId, query: &AuditQuery) -> StoreResult<Vec<AuditEntry>>;
    /// The newest `limit` entries, newest first.
    async fn audit_log(&self, org: OrgId, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        self.audit_page(
            org,
            &AuditQuery {
                newest_first: true,
                limit,
                ..AuditQuery::default()
            },
        )
        .await
    }
}
