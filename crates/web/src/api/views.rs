//! What the JSON API answers: one type per response body. Handlers serialize
//! these and nothing else, and the OpenAPI document is derived from them, so
//! the two cannot differ.

use orgsso_store::{AccessToken, EmailRecord, Member as MemberRecord, Org as OrgRecord};
use orgsso_store::{Repo as RepoRecord, User as UserRecord};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A user's public profile.
#[derive(Serialize, ToSchema)]
pub struct User {
    pub username: String,
    pub display_name: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<&UserRecord> for User {
    fn from(u: &UserRecord) -> Self {
        Self {
            username: u.username.to_string(),
            display_name: u.display_name.clone(),
            created_at: u.created_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserEnvelope {
    pub user: User,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResult {
    pub user: User,
    /// Send it back as the `X-CSRF-Token` header on every write made with the session cookie.
    pub csrf_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct Verified {
    pub verified: bool,
}

/// The current user with their emails.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    pub emails: Vec<Email>,
    /// Present when the caller uses the session cookie (not a token).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub csrf_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Email {
    pub id: i64,
    pub address: String,
    pub verified: bool,
    pub primary: bool,
}

impl From<&EmailRecord> for Email {
    fn from(e: &EmailRecord) -> Self {
        Self {
            id: e.id.0,
            address: e.address.to_string(),
            verified: e.is_verified(),
            primary: e.primary,
        }
    }
}

/// An access token, never its secret.
#[derive(Serialize, ToSchema)]
pub struct Token {
    pub id: i64,
    pub name: String,
    #[schema(value_type = String, pattern = "^(read|write)$")]
    pub scope: Value,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Null until the token is first used.
    #[schema(format = DateTime, required = true)]
    pub last_used_at: Option<String>,
}

impl From<&AccessToken> for Token {
    fn from(t: &AccessToken) -> Self {
        Self {
            id: t.id.0,
            name: t.name.clone(),
            scope: serde_json::json!(t.scope),
            created_at: t.created_at.to_rfc3339(),
            last_used_at: t.last_used_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// A new access token with its secret, shown this once.
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub token: Token,
    /// `osso_…`: send it as `Authorization: Bearer …`.
    #[serde(rename = "token")]
    #[schema(pattern = "^osso_")]
    pub secret: String,
}

#[derive(Serialize, ToSchema)]
pub struct Org {
    pub name: String,
    pub display_name: String,
    #[schema(value_type = Role)]
    pub default_role: Value,
    /// The caller's role, null when they are not a member.
    #[schema(value_type = Option<Role>, required = true)]
    pub your_role: Value,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl Org {
    pub fn new(o: &OrgRecord, role: Option<orgsso_core::Role>) -> Self {
        Self {
            name: o.name.to_string(),
            display_name: o.display_name.clone(),
            default_role: serde_json::json!(o.default_role),
            your_role: serde_json::json!(role),
            created_at: o.created_at.to_rfc3339(),
        }
    }
}

/// A member's role in an organization, in privilege order.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // documents the values of the role fields
pub enum Role {
    Read,
    Contributor,
    Write,
    Admin,
}

#[derive(Serialize, ToSchema)]
pub struct Member {
    pub username: String,
    pub display_name: String,
    #[schema(value_type = Role)]
    pub role: Value,
    #[schema(format = DateTime)]
    pub joined_at: String,
}

impl From<&MemberRecord> for Member {
    fn from(m: &MemberRecord) -> Self {
        Self {
            username: m.username.to_string(),
            display_name: m.display_name.clone(),
            role: serde_json::json!(m.role),
            joined_at: m.joined_at.to_rfc3339(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct Repo {
    #[schema(value_type = String, pattern = "^(model|dataset|space)$")]
    pub kind: Value,
    pub owner: String,
    pub name: String,
    #[schema(value_type = String, pattern = "^(public|private)$")]
    pub visibility: Value,
    pub readme: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// The repository's page, e.g. `/acme/bert`.
    pub path: String,
    /// Whether the caller may change it; only on `GET /repos/{kind}/{owner}/{name}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub can_edit: Option<bool>,
    /// Whether the caller may delete it; only on `GET /repos/{kind}/{owner}/{name}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub can_delete: Option<bool>,
}

impl From<&RepoRecord> for Repo {
    fn from(r: &RepoRecord) -> Self {
        Self {
            kind: serde_json::json!(r.kind),
            owner: r.owner_name.to_string(),
            name: r.name.to_string(),
            visibility: serde_json::json!(r.visibility),
            readme: r.readme.clone(),
            created_at: r.created_at.to_rfc3339(),
            updated_at: r.updated_at.to_rfc3339(),
            path: crate::pages::repo_href(r),
            can_edit: None,
            can_delete: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SsoDomain {
    pub domain: String,
    /// Hub accounts with a verified email in this domain.
    pub verified_accounts: i64,
}

impl From<&orgsso_store::SsoDomain> for SsoDomain {
    fn from(d: &orgsso_store::SsoDomain) -> Self {
        Self {
            domain: d.domain.clone(),
            verified_accounts: d.verified_accounts,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SsoDomainAdded {
    pub domain: String,
}

#[derive(Serialize, ToSchema)]
pub struct Revoked {
    /// How many SSO sessions ended.
    pub revoked: u64,
}

/// A configuration saved untested.
#[derive(Serialize, ToSchema)]
pub struct SavedConfig {
    pub config_id: i64,
    pub tested: bool,
    /// Open it in a browser signed in as this admin to test the configuration.
    pub test_url: String,
    /// What to do next, in words.
    pub next: String,
}

/// The organization's SSO: state, what to register at the IdP, the newest
/// configuration and who holds an SSO session.
#[derive(Serialize, ToSchema)]
pub struct SsoState {
    pub enabled: bool,
    #[schema(value_type = String, pattern = "^(off|optional|enforced)$")]
    pub mode: Value,
    pub jit_membership: bool,
    pub domains: Vec<SsoDomain>,
    pub can_enable: bool,
    /// Why the newest configuration cannot be enabled yet.
    #[schema(required = true)]
    pub can_enable_reason: Option<String>,
    #[schema(required = true)]
    pub active_config: Option<i64>,
    pub session_timeout_s: i64,
    pub allow_idp_initiated: bool,
    pub saml_sp: SamlSp,
    /// The redirect URI to register at the OpenID Connect IdP.
    pub oidc_callback_url: String,
    #[schema(required = true)]
    pub latest_config: Option<LatestConfig>,
    pub sso_users: Vec<SsoUser>,
}

/// The SAML service provider side: what the admin registers at the IdP.
#[derive(Serialize, ToSchema)]
pub struct SamlSp {
    pub acs_url: String,
    pub entity_id: String,
    pub metadata_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct SsoUser {
    #[schema(required = true)]
    pub username: Option<String>,
    pub email: String,
    #[schema(format = DateTime)]
    pub signed_in_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct LatestConfig {
    pub id: i64,
    #[schema(pattern = "^(saml|oidc)$")]
    pub protocol: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime, required = true)]
    pub tested_at: Option<String>,
    /// What the IdP sent in the last test.
    #[schema(value_type = Option<Object>, required = true)]
    pub test_result: Option<Value>,
    #[schema(required = true)]
    pub saml: Option<SamlView>,
    #[schema(required = true)]
    pub oidc: Option<OidcView>,
}

#[derive(Serialize, ToSchema)]
pub struct SamlView {
    pub idp_sso_url: String,
    pub idp_entity_id: String,
    pub allow_sha1: bool,
    /// A Response whose signature covers its one unsigned Assertion is accepted.
    pub accept_response_only_signature: bool,
    /// AuthnRequests are signed with the organization's SAML signing key (RSA-SHA256).
    pub sign_authn_requests: bool,
    pub certificates: Vec<CertificateView>,
    pub jit_domains: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CertificateView {
    pub subject: String,
    pub sha256_fingerprint: String,
    #[schema(format = DateTime)]
    pub not_before: String,
    #[schema(format = DateTime)]
    pub not_after: String,
    pub expiring_soon: bool,
    pub expired: bool,
}

#[derive(Serialize, ToSchema)]
pub struct OidcView {
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret_set: bool,
    pub scopes: Vec<String>,
    pub email_claim: String,
    pub jit_domains: Vec<String>,
    #[schema(required = true)]
    pub required_claim: Option<RequiredClaim>,
    /// OIDC `max_age` in seconds; null: no limit.
    #[schema(required = true)]
    pub max_age: Option<u32>,
    /// Whether `prompt=login` is sent.
    pub prompt_login: bool,
}

#[derive(Serialize, ToSchema)]
pub struct RequiredClaim {
    pub name: String,
    pub value: String,
}

/// Every error: `{"error":{"code","message","field"?}}`.
#[derive(Serialize, ToSchema)]
pub struct Error {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, e.g. `invalid`, `not_found`, `payload_too_large`, `saml.audience_mismatch`.
    pub code: String,
    pub message: String,
    /// The input field to fix, on validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub field: Option<String>,
}

/// The organization enforces SSO and the caller holds no live SSO session for it.
#[derive(Serialize, ToSchema)]
pub struct SsoRequired {
    pub error: SsoRequiredDetail,
}

#[derive(Serialize, ToSchema)]
pub struct SsoRequiredDetail {
    #[schema(pattern = "^sso_required$")]
    pub code: String,
    pub org: String,
    /// Open it in a browser to sign in through the organization's IdP.
    pub sso_url: String,
    pub message: String,
}
