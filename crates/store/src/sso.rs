//! Storage of organization SSO: configurations (immutable once saved, so
//! "tested" always means that exact configuration), the org's SSO state,
//! per-organization SSO sessions, pending sign-in requests, the SAML replay
//! cache and the SSO audit log. Everything lives in the database so any
//! instance can finish what another started.

use crate::StoreResult;
use async_trait::async_trait;
use orgsso_core::{OrgId, Timestamp, UserId};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SsoConfigId(pub i64);

impl std::fmt::Display for SsoConfigId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsoProtocol {
    Oidc,
    Saml,
}

impl SsoProtocol {
    pub fn as_str(self) -> &'static str {
        match self {
            SsoProtocol::Oidc => "oidc",
            SsoProtocol::Saml => "saml",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "oidc" => Some(SsoProtocol::Oidc),
            "saml" => Some(SsoProtocol::Saml),
            _ => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct NewSsoConfig {
    pub org: OrgId,
    pub protocol: SsoProtocol,
    /// Protocol settings as JSON, without secrets.
    pub settings: String,
    /// A secret (OIDC client secret), already encrypted by the service.
    pub secret_ciphertext: Option<Vec<u8>>,
    pub created_by: UserId,
    pub now: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoConfig {
    pub id: SsoConfigId,
    pub org: OrgId,
    pub protocol: SsoProtocol,
    pub settings: String,
    pub secret_ciphertext: Option<Vec<u8>>,
    pub created_by: Option<UserId>,
    pub created_at: Timestamp,
    /// Set when an admin completed a round trip through the IdP with this configuration.
    pub tested_at: Option<Timestamp>,
    /// What the IdP sent during that test (JSON), shown to the admin.
    pub test_result: Option<String>,
}

/// The organization's SSO state. Defaults (no row): disabled, 7-day sessions,
/// IdP-initiated login allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgSso {
    pub org: OrgId,
    pub enabled: bool,
    /// The configuration members sign in with while enabled.
    pub active_config: Option<SsoConfigId>,
    pub session_ttl_s: i64,
    pub allow_idp_initiated: bool,
}

impl OrgSso {
    pub const DEFAULT_SESSION_TTL_S: i64 = 7 * 24 * 3600;

    pub fn default_for(org: OrgId) -> Self {
        Self {
            org,
            enabled: false,
            active_config: None,
            session_ttl_s: Self::DEFAULT_SESSION_TTL_S,
            allow_idp_initiated: true,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoSession {
    pub user: UserId,
    pub org: OrgId,
    pub config: SsoConfigId,
    /// The IdP's identifier of the user (NameID or `sub`) and the email it asserted.
    pub subject: String,
    pub email: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SsoPurpose {
    /// A member signing in.
    Login,
    /// An admin testing a configuration.
    Test,
}

impl SsoPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            SsoPurpose::Login => "login",
            SsoPurpose::Test => "test",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "login" => Some(SsoPurpose::Login),
            "test" => Some(SsoPurpose::Test),
            _ => None,
        }
    }
}

/// A sign-in the browser started and has not finished yet. Looked up by the
/// SHA-256 of its handle (OIDC `state`, SAML `RelayState`) and used once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoRequest {
    pub handle_hash: String,
    /// SHA-256 of the hub session cookie that started it: another browser can't finish it.
    pub hub_session_hash: String,
    pub user: UserId,
    pub org: OrgId,
    pub config: SsoConfigId,
    pub purpose: SsoPurpose,
    /// A same-origin path to land on afterwards.
    pub return_to: String,
    /// OIDC: nonce and PKCE verifier. SAML: the AuthnRequest ID.
    pub nonce: Option<String>,
    pub pkce_verifier: Option<String>,
    pub saml_request_id: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub org: OrgId,
    pub at: Timestamp,
    pub actor: Option<UserId>,
    /// A stable event name: `sso.config_saved`, `sso.login_failed`, …
    pub event: String,
    /// Human-readable detail: for failures, exactly which check failed.
    pub detail: String,
}

#[derive(Clone, Debug)]
pub struct NewAuditEntry {
    pub org: OrgId,
    pub at: Timestamp,
    pub actor: Option<UserId>,
    pub event: String,
    pub detail: String,
}

#[async_trait]
pub trait SsoStore: Send + Sync {
    async fn create_sso_config(&self, new: NewSsoConfig) -> StoreResult<SsoConfig>;
    async fn sso_config(&self, id: SsoConfigId) -> StoreResult<Option<SsoConfig>>;
    /// The newest configuration saved for the organization (the one the settings page edits).
    async fn latest_sso_config(&self, org: OrgId) -> StoreResult<Option<SsoConfig>>;
    /// Marks this exact configuration tested; `NotFound` if it does not exist.
    async fn mark_sso_config_tested(
        &self,
        id: SsoConfigId,
        now: Timestamp,
        result: &str,
    ) -> StoreResult<()>;

    /// The org's SSO state (`OrgSso::default_for` when never set).
    async fn org_sso(&self, org: OrgId) -> StoreResult<OrgSso>;
    /// Enables SSO with `config`, which must belong to `org` and be tested;
    /// `NotFound` otherwise (the database checks it, not a prior read).
    async fn enable_sso(&self, org: OrgId, config: SsoConfigId) -> StoreResult<()>;
    async fn disable_sso(&self, org: OrgId) -> StoreResult<()>;
    async fn set_sso_options(
        &self,
        org: OrgId,
        session_ttl_s: i64,
        allow_idp_initiated: bool,
    ) -> StoreResult<()>;

    /// Creates or replaces the user's SSO session for the organization.
    async fn put_sso_session(&self, session: SsoSession) -> StoreResult<()>;
    /// The live SSO session of `user` for `org` at `now`.
    async fn sso_session(
        &self,
        user: UserId,
        org: OrgId,
        now: Timestamp,
    ) -> StoreResult<Option<SsoSession>>;
    async fn sso_sessions_of_org(&self, org: OrgId, now: Timestamp)
        -> StoreResult<Vec<SsoSession>>;
    async fn delete_sso_sessions_of_org(&self, org: OrgId) -> StoreResult<u64>;

    async fn create_sso_request(&self, request: SsoRequest) -> StoreResult<()>;
    /// Consumes the pending request `handle_hash` started by the hub session
    /// `hub_session_hash` (single use); `None` if unknown, expired, or started
    /// by another session, which keeps it: a stolen callback presented
    /// elsewhere does not cancel the owner's sign-in.
    async fn take_sso_request(
        &self,
        handle_hash: &str,
        hub_session_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<SsoRequest>>;
    /// Whether `handle_hash` names a pending, unexpired request of any session.
    async fn sso_request_pending(&self, handle_hash: &str, now: Timestamp) -> StoreResult<bool>;

    /// Records a SAML assertion as used until `expires_at`. `false` when the
    /// same (issuer, assertion id) was already recorded and has not expired: a replay.
    async fn remember_assertion(
        &self,
        issuer: &str,
        assertion_id: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool>;

    async fn append_audit(&self, entry: NewAuditEntry) -> StoreResult<()>;
    /// Newest first.
    async fn audit_log(&self, org: OrgId, limit: u32) -> StoreResult<Vec<AuditEntry>>;

    /// Keeps the last refused SAML response of an org, so an admin can re-check it after editing.
    async fn put_failed_response(
        &self,
        org: OrgId,
        response: &str,
        at: Timestamp,
    ) -> StoreResult<()>;
    async fn failed_response(&self, org: OrgId) -> StoreResult<Option<(String, Timestamp)>>;

    /// Deletes SSO sessions, pending sign-ins and replay-cache records that
    /// expired at or before `now`; returns how many rows went.
    async fn purge_expired_sso(&self, now: Timestamp) -> StoreResult<u64>;
}
