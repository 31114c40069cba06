//! Storage of organization SSO: configurations (immutable once saved, so
//! "tested" always means that exact configuration), the org's SSO state,
//! per-organization SSO sessions, pending sign-in requests, the SAML replay
//! cache, the SSO audit log, members' lasting SSO identities and the
//! organization's role mapping. Everything lives in the database so any
//! instance can finish what another started.

use crate::StoreResult;
use async_trait::async_trait;
use orgsso_core::{OrgId, OrgName, Role, SsoMode, Timestamp, UserId, Username};

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
    /// The admin whose round trip tested it, and whether the identity the
    /// IdP asserted was a verified email of that admin's own account.
    pub tested_by: Option<UserId>,
    pub tested_identity_matches: bool,
}

/// The outcome of an admin's test round trip.
#[derive(Clone, Debug)]
pub struct SsoTestOutcome {
    pub by: UserId,
    pub at: Timestamp,
    /// What the IdP sent (JSON).
    pub result: String,
    pub identity_matches: bool,
}

/// The organization's SSO state. Defaults (no row): off, 7-day sessions,
/// IdP-initiated login allowed, just-in-time membership on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgSso {
    pub org: OrgId,
    pub mode: SsoMode,
    /// The configuration members sign in with while the mode is not `Off`.
    pub active_config: Option<SsoConfigId>,
    pub session_ttl_s: i64,
    pub allow_idp_initiated: bool,
    /// A user of the org's email domains who completes its SSO joins it.
    pub jit_membership: bool,
}

impl OrgSso {
    pub const DEFAULT_SESSION_TTL_S: i64 = 7 * 24 * 3600;
    /// The session timeout an admin may choose: 15 minutes to 90 days.
    pub const SESSION_TTL_RANGE_S: std::ops::RangeInclusive<i64> = 15 * 60..=90 * 24 * 3600;

    pub fn default_for(org: OrgId) -> Self {
        Self {
            org,
            mode: SsoMode::Off,
            active_config: None,
            session_ttl_s: Self::DEFAULT_SESSION_TTL_S,
            allow_idp_initiated: true,
            jit_membership: true,
        }
    }

    pub fn enabled(&self) -> bool {
        self.mode != SsoMode::Off
    }
}

/// Options an admin sets on the organization's SSO.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SsoOptions {
    pub session_ttl_s: i64,
    pub allow_idp_initiated: bool,
    pub jit_membership: bool,
}

/// Everything the SSO gate needs about one viewer in one organization, read
/// in one query: the viewer's role, the org's mode, whether a verified email
/// of the viewer is in its SSO domains, and whether a live SSO session for
/// its active configuration exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ViewerInOrg {
    pub role: Option<Role>,
    pub mode: SsoMode,
    pub in_domain: bool,
    pub live_session: bool,
}

/// An email domain tied to an org's SSO, with how many hub accounts have a
/// verified email in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoDomain {
    pub domain: String,
    pub verified_accounts: i64,
}

/// An organization whose SSO a user has not signed in with (the banner).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoPrompt {
    pub org: OrgName,
    pub mode: SsoMode,
}

/// An SSO session: one user, one organization, the configuration that
/// created it, and the hub session (browser) that completed it, whose end
/// ends it too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoSession {
    pub hub_session_hash: String,
    pub user: UserId,
    pub org: OrgId,
    pub config: SsoConfigId,
    /// The IdP's identifier of the user (NameID or `sub`) and the email it asserted.
    pub subject: String,
    pub email: String,
    pub created_at: Timestamp,
    /// The earliest of the IdP's limit and the org's timeout (as it is now).
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
    /// SSO was turned off or reconfigured while it was pending: it cannot finish.
    pub cancelled: bool,
}

/// What an SP key pair of an organization is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum SpKeyUse {
    /// Signs AuthnRequests.
    Signing,
    /// Decrypts EncryptedAssertions.
    Encryption,
}

impl SpKeyUse {
    pub const ALL: [SpKeyUse; 2] = [SpKeyUse::Signing, SpKeyUse::Encryption];
    pub fn as_str(self) -> &'static str {
        match self {
            SpKeyUse::Signing => "signing",
            SpKeyUse::Encryption => "encryption",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "signing" => Some(SpKeyUse::Signing),
            "encryption" => Some(SpKeyUse::Encryption),
            _ => None,
        }
    }
}

/// An SP key pair of an organization. At most one `current` and one `previous` per use:
/// during a rotation both are published and both decrypt; the current one signs.
#[derive(Clone, PartialEq, Eq)]
pub struct SpKey {
    pub org: OrgId,
    pub usage: SpKeyUse,
    /// `false`: the previous key of a rotation not yet finished.
    pub current: bool,
    /// The PKCS#8 private key, sealed by the service with the secrets key.
    pub private_key_ciphertext: Vec<u8>,
    pub certificate_pem: String,
    pub created_at: Timestamp,
}

impl std::fmt::Debug for SpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpKey")
            .field("org", &self.org)
            .field("usage", &self.usage)
            .field("current", &self.current)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A freshly generated SP key pair, its private key already sealed.
#[derive(Clone)]
pub struct NewSpKey {
    pub usage: SpKeyUse,
    pub private_key_ciphertext: Vec<u8>,
    pub certificate_pem: String,
}

impl std::fmt::Debug for NewSpKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSpKey")
            .field("usage", &self.usage)
            .finish_non_exhaustive()
    }
}

/// Where an SSO member's role came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleSource {
    /// The organization's role mapping matched a value the IdP sent.
    Mapping,
    /// The organization's default role (no mapping match, or a new member).
    Default,
    /// Set in the hub by an admin, not by the sign-in.
    Manual,
}

impl RoleSource {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleSource::Mapping => "mapping",
            RoleSource::Default => "default",
            RoleSource::Manual => "manual",
        }
    }
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "mapping" => Some(RoleSource::Mapping),
            "default" => Some(RoleSource::Default),
            "manual" => Some(RoleSource::Manual),
            _ => None,
        }
    }
}

/// The lasting tie between a member of an organization and the IdP subject
/// that signs them in. It outlives sessions; only an unlink removes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoIdentityRecord {
    pub org: OrgId,
    pub user: UserId,
    /// OIDC `iss`, or the SAML IdP's entity ID.
    pub issuer: String,
    /// OIDC `sub`, or the SAML NameID.
    pub subject: String,
    /// The email the IdP asserted at the last sign-in.
    pub email: String,
    pub first_login_at: Timestamp,
    pub last_login_at: Timestamp,
    /// The member's role after the last sign-in, and where it came from.
    pub role: Role,
    pub role_source: RoleSource,
}

/// A row of the organization's SSO users list: a member, the holder of an
/// SSO identity of the organization (a former member keeps it until an
/// admin unlinks it), or both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoUserEntry {
    pub user: UserId,
    pub username: Username,
    /// The member's role now; `None` for a former member.
    pub member_role: Option<Role>,
    /// `None`: never signed in through the organization's IdP (or unlinked).
    pub identity: Option<SsoIdentityRecord>,
}

/// A successful SSO sign-in to record on the member's identity.
#[derive(Clone, Debug)]
pub struct SsoSignIn {
    pub org: OrgId,
    pub user: UserId,
    pub issuer: String,
    pub subject: String,
    pub email: String,
    pub role: Role,
    pub role_source: RoleSource,
    pub now: Timestamp,
}

/// An organization's role mapping as stored: the JSON path and the table
/// of values to roles as a JSON object. The service parses and checks both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRoleMapping {
    pub path: String,
    pub roles_json: String,
    pub updated_at: Timestamp,
}

#[async_trait]
pub trait SsoStore: Send + Sync {
    async fn create_sso_config(&self, new: NewSsoConfig) -> StoreResult<SsoConfig>;
    async fn sso_config(&self, id: SsoConfigId) -> StoreResult<Option<SsoConfig>>;
    /// The newest configuration saved for the organization (the one the settings page edits).
    async fn latest_sso_config(&self, org: OrgId) -> StoreResult<Option<SsoConfig>>;
    /// Records an admin's test of this exact configuration; `NotFound` if it does not exist.
    async fn mark_sso_config_tested(
        &self,
        id: SsoConfigId,
        outcome: SsoTestOutcome,
    ) -> StoreResult<()>;

    /// The org's SSO state (`OrgSso::default_for` when never set).
    async fn org_sso(&self, org: OrgId) -> StoreResult<OrgSso>;
    /// What the SSO gate needs about `user` in `org` at `now`, in one query.
    /// `hub_session_hash`: the browser asking, whose SSO session counts;
    /// `None` (an access token) counts a live session in any browser.
    async fn viewer_in_org(
        &self,
        org: OrgId,
        user: UserId,
        hub_session_hash: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<ViewerInOrg>;
    /// Turns SSO on in `mode` (not `Off`) with `config`, which must belong to
    /// `org` and have been tested by `admin` at or after `tested_since` with
    /// their own identity; `NotFound` otherwise (the database checks it, not
    /// a prior read). Ends the org's SSO sessions and cancels its pending
    /// sign-ins (not tests), in the same transaction.
    async fn enable_sso(
        &self,
        org: OrgId,
        config: SsoConfigId,
        mode: SsoMode,
        admin: UserId,
        tested_since: Timestamp,
    ) -> StoreResult<()>;
    /// Turns SSO off, ends the org's SSO sessions and cancels its pending
    /// sign-ins; returns how many sessions ended.
    async fn disable_sso(&self, org: OrgId) -> StoreResult<u64>;
    async fn set_sso_options(&self, org: OrgId, options: SsoOptions) -> StoreResult<()>;

    /// The org's SSO email domains, sorted, with their verified accounts.
    async fn sso_domains(&self, org: OrgId) -> StoreResult<Vec<SsoDomain>>;
    /// `Conflict(Unique::SsoDomain)` if the org lists it already.
    async fn add_sso_domain(&self, org: OrgId, domain: &str, now: Timestamp) -> StoreResult<()>;
    /// `NotFound` if the org does not list it.
    async fn remove_sso_domain(&self, org: OrgId, domain: &str) -> StoreResult<()>;
    /// Other organizations with SSO on that list `domain`.
    async fn enabled_orgs_with_domain(
        &self,
        domain: &str,
        except: OrgId,
    ) -> StoreResult<Vec<OrgName>>;
    /// Organizations with SSO on where `user` is a member or has a verified
    /// email in their domains, and this browser (or, without one, any)
    /// holds no live session: the banner's list, in one query.
    async fn sso_prompts(
        &self,
        user: UserId,
        hub_session_hash: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<Vec<SsoPrompt>>;

    /// Opens an SSO session, only if `session.config` is still the org's
    /// active configuration with SSO on: `NotFound` otherwise, so a sign-in
    /// that started before a disable or a change of configuration cannot
    /// finish. Replaces this browser's earlier session for the org.
    async fn put_sso_session(&self, session: SsoSession) -> StoreResult<()>;
    /// The live SSO sessions of the org (timeout as it is now), by email.
    async fn sso_sessions_of_org(&self, org: OrgId, now: Timestamp)
        -> StoreResult<Vec<SsoSession>>;
    /// Ends the org's SSO sessions, of one user or of all; returns how many.
    async fn revoke_sso_sessions(&self, org: OrgId, user: Option<UserId>) -> StoreResult<u64>;
    /// Ends every SSO session of a user, in every organization (password change).
    async fn delete_sso_sessions_of_user(&self, user: UserId) -> StoreResult<u64>;

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

    /// Keeps the last refused SAML response of an org, so an admin can re-check it after editing.
    async fn put_failed_response(
        &self,
        org: OrgId,
        response: &str,
        at: Timestamp,
    ) -> StoreResult<()>;
    async fn failed_response(&self, org: OrgId) -> StoreResult<Option<(String, Timestamp)>>;

    /// The org's SP keys, by use (signing first), the current key before the previous one.
    async fn sp_keys(&self, org: OrgId) -> StoreResult<Vec<SpKey>>;
    /// Stores each key as the current one of its use unless the org has one already (a
    /// concurrent first use elsewhere won); returns how many were stored.
    async fn create_sp_keys(
        &self,
        org: OrgId,
        keys: &[NewSpKey],
        now: Timestamp,
    ) -> StoreResult<u64>;
    /// Starts a rotation, in one transaction: each use's current key becomes the previous
    /// one and the new key becomes current. `false`, and nothing changes, while an earlier
    /// rotation still has a previous key or a use has no current key.
    async fn rotate_sp_keys(
        &self,
        org: OrgId,
        keys: &[NewSpKey],
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Finishes a rotation: deletes the previous keys; returns how many went.
    async fn retire_sp_keys(&self, org: OrgId) -> StoreResult<u64>;

    /// The member's SSO identity in the organization, if they signed in through it.
    async fn sso_identity(
        &self,
        org: OrgId,
        user: UserId,
    ) -> StoreResult<Option<SsoIdentityRecord>>;
    /// The member of the organization an IdP subject is linked to.
    async fn sso_identity_by_subject(
        &self,
        org: OrgId,
        issuer: &str,
        subject: &str,
    ) -> StoreResult<Option<SsoIdentityRecord>>;
    /// The organization's SSO identities by user id, in one query.
    async fn sso_identities_of_org(&self, org: OrgId) -> StoreResult<Vec<SsoIdentityRecord>>;
    /// The org's members and holders of its SSO identities, each with their
    /// identity if any, by username, in one query.
    async fn sso_users_of_org(&self, org: OrgId) -> StoreResult<Vec<SsoUserEntry>>;
    /// Records a sign-in in one statement: links the subject on the first
    /// one, else updates email, last sign-in and role. `false`, and nothing
    /// changes, when the member is linked to another (issuer, subject);
    /// `Conflict(Unique::SsoSubject)` when the subject is linked to another
    /// member of the organization; `NotFound` for a missing org or user.
    async fn record_sso_sign_in(&self, sign_in: SsoSignIn) -> StoreResult<bool>;
    /// Removes the member's SSO identity; `NotFound` if there is none.
    async fn unlink_sso_identity(&self, org: OrgId, user: UserId) -> StoreResult<()>;

    /// The organization's role mapping, if it has one on.
    async fn role_mapping(&self, org: OrgId) -> StoreResult<Option<StoredRoleMapping>>;
    /// Sets (`Some`) or removes (`None`) the organization's role mapping.
    async fn set_role_mapping(
        &self,
        org: OrgId,
        mapping: Option<&StoredRoleMapping>,
    ) -> StoreResult<()>;

    /// Deletes SSO sessions, pending sign-ins and replay-cache records that
    /// expired at or before `now`; returns how many rows went.
    async fn purge_expired_sso(&self, now: Timestamp) -> StoreResult<u64>;
}
