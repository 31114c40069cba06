//! OpenID Provider discovery and the provider's signing keys: fetches and checks the discovery
//! document, then keeps the JWKS cached for as long as its `Cache-Control: max-age` (or
//! `Expires`) says, within [`JWKS_MIN_LIFETIME_S`]..[`JWKS_MAX_LIFETIME_S`], and refetches it on
//! an unknown `kid` at most once per [`JWKS_REFETCH_INTERVAL_S`], counted from the first miss.
//! Every fetch is single-flight: concurrent callbacks wait for the one fetch, then re-check.

use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClientAuthMethod, CoreGrantType,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, IssuerUrl, JsonWebKey, ProviderMetadata, TokenUrl,
};
use orgsso_core::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::keys::JwkSet;
use crate::network::{AddressRefused, GuardedResolver, IdpNetworks};
use crate::rejection::truncate;

/// The HTTP client every request to an IdP goes through; build it with [`http_client`].
#[derive(Clone, Debug)]
pub struct HttpClient {
    pub(crate) reqwest: openidconnect::reqwest::Client,
    networks: IdpNetworks,
}

/// The shortest time between two JWKS fetches: a token naming an unknown key triggers a
/// refetch (the IdP rotated its keys), but a flood of such tokens must not turn the hub
/// into a request amplifier against the IdP.
pub const JWKS_REFETCH_INTERVAL_S: i64 = 60;

/// How long a key set is trusted when its response carries no usable cache header.
pub const JWKS_DEFAULT_LIFETIME_S: i64 = 3600;
/// Bounds on what the IdP's cache headers may ask: a key it withdraws stops being trusted
/// within a day, and `max-age=0` (or `no-store`) does not make every login fetch the keys.
pub const JWKS_MIN_LIFETIME_S: i64 = 5 * 60;
pub const JWKS_MAX_LIFETIME_S: i64 = 24 * 3600;
/// How long expired keys keep verifying while every refresh fails (the IdP's key endpoint
/// is down, not its keys withdrawn); after that its tokens are refused.
pub const JWKS_MAX_STALE_S: i64 = 24 * 3600;

/// Discovery documents and key sets are small; anything larger is not one.
const MAX_DOCUMENT_BYTES: usize = 512 * 1024;

/// A client for IdP requests: rustls, no redirects (the token endpoint must not bounce the
/// code or client secret elsewhere, as oauth2 advises), timeouts so that a slow IdP
/// cannot hold a request handler, and only the addresses `networks` allows.
pub fn http_client(networks: IdpNetworks) -> Result<HttpClient, openidconnect::reqwest::Error> {
    let reqwest = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .user_agent(concat!("orgsso/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver { networks }))
        .build()?;
    Ok(HttpClient { reqwest, networks })
}

/// Why an issuer URL cannot be used. Shown to the admin when they save the configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    #[error("the issuer URL {value:?} is not a valid absolute URL")]
    InvalidIssuerUrl { value: String },
    #[error("the issuer URL {value:?} must use https (plain http is only allowed on localhost)")]
    InsecureIssuerUrl { value: String },
    /// OIDC Discovery appends the well-known path itself; a pasted discovery URL would
    /// otherwise be fetched with the path doubled and fail with a bare 404.
    #[error("the issuer URL {value:?} is the discovery document's address; drop `/.well-known/openid-configuration` and enter the issuer itself: {issuer}")]
    DiscoveryUrlAsIssuer { value: String, issuer: String },
    /// `reason` is empty or this server's refusal of the address: never what the network
    /// said (connection refused, timed out), which would let an admin map the operator's
    /// network. The operator's log has the detail.
    #[error("the identity provider could not be reached at {url}{}", colon(.reason))]
    Unreachable { url: String, reason: String },
    /// `reason` is in this server's words, or the parse error of a document shaped like
    /// discovery metadata; never the status line or body of another kind of answer.
    #[error("{url} is not an OpenID Connect discovery document{}", colon(.reason))]
    NotDiscoveryDocument { url: String, reason: String },
    #[error("the discovery document names the issuer {found:?}, but the configured issuer URL is {expected:?}; they must match exactly (check for a trailing slash)")]
    IssuerMismatch { expected: String, found: String },
    #[error("the identity provider does not support the authorization code flow (response_types_supported: {supported})")]
    NoCodeFlow { supported: String },
    #[error("the identity provider does not support PKCE with S256 (code_challenge_methods_supported: {supported})")]
    NoPkceS256 { supported: String },
    #[error("the discovery document has no token_endpoint; the authorization code flow needs one")]
    NoTokenEndpoint,
    #[error("the identity provider supports neither client_secret_basic nor client_secret_post client authentication (token_endpoint_auth_methods_supported: {supported})")]
    NoClientSecretAuth { supported: String },
    #[error("the identity provider's {endpoint} URL {url:?} must use https (plain http is only allowed on localhost)")]
    InsecureEndpoint { endpoint: &'static str, url: String },
    #[error("the {endpoint} URL {url:?} cannot be used: {reason}")]
    ForbiddenAddress {
        endpoint: &'static str,
        url: String,
        reason: String,
    },
    /// `reason` as for [`DiscoveryError::Unreachable`]; a status is not named either.
    #[error(
        "the identity provider's signing keys (JWKS) could not be fetched from {url}{}", colon(.reason)
    )]
    JwksUnreachable { url: String, reason: String },
    #[error("the identity provider's signing keys at {url} are not a valid JWK set: {reason}")]
    JwksInvalid { url: String, reason: String },
}

fn colon(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(": {reason}")
    }
}

impl DiscoveryError {
    /// Stable identifier for JSON error bodies; never change a published code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidIssuerUrl { .. } => "oidc.invalid_issuer_url",
            Self::InsecureIssuerUrl { .. } => "oidc.insecure_issuer_url",
            Self::DiscoveryUrlAsIssuer { .. } => "oidc.issuer_is_discovery_url",
            Self::Unreachable { .. } => "oidc.discovery_unreachable",
            Self::NotDiscoveryDocument { .. } => "oidc.not_discovery_document",
            Self::IssuerMismatch { .. } => "oidc.discovery_issuer_mismatch",
            Self::NoCodeFlow { .. } => "oidc.no_code_flow",
            Self::NoPkceS256 { .. } => "oidc.no_pkce_s256",
            Self::NoTokenEndpoint => "oidc.no_token_endpoint",
            Self::NoClientSecretAuth { .. } => "oidc.no_client_secret_auth",
            Self::InsecureEndpoint { .. } => "oidc.insecure_endpoint",
            Self::ForbiddenAddress { .. } => "oidc.forbidden_address",
            Self::JwksUnreachable { .. } => "oidc.jwks_unreachable",
            Self::JwksInvalid { .. } => "oidc.jwks_invalid",
        }
    }
}

/// Discovery metadata beyond what openidconnect models.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(crate) struct ExtraMetadata {
    #[serde(default)]
    code_challenge_methods_supported: Option<Vec<String>>,
    /// RFC 9207: the IdP adds `iss` to its authorization responses.
    #[serde(default)]
    authorization_response_iss_parameter_supported: Option<bool>,
}
impl AdditionalProviderMetadata for ExtraMetadata {}

pub(crate) type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// How the client secret is presented at the token endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    SecretBasic,
    SecretPost,
}

/// A discovered OpenID Provider with its cached signing keys. Cheap to clone; clones share
/// the key cache.
#[derive(Clone)]
pub struct Provider {
    inner: Arc<Inner>,
}

struct Inner {
    metadata: Metadata,
    token_url: TokenUrl,
    client_auth: ClientAuth,
    jwks: RwLock<JwksState>,
    /// Held for the whole of a JWKS fetch: the single flight others wait behind.
    fetching: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct JwksState {
    keys: Arc<JwkSet>,
    /// Bumped by every successful fetch, so a waiter knows the keys changed under it.
    generation: u64,
    /// When the keys last came from the IdP.
    fetched_at: Timestamp,
    /// When they are to be fetched again (their cache lifetime, or a retry after a failure).
    refresh_at: Timestamp,
    /// When the keys stop being trusted if no refresh succeeds.
    trusted_until: Timestamp,
    /// When an unknown `kid` last caused a fetch; none before the first miss.
    last_miss_fetch: Option<Timestamp>,
}

/// A key set as read at one moment, and which fetch it came from.
#[derive(Clone)]
pub(crate) struct KeySnapshot {
    pub(crate) keys: Arc<JwkSet>,
    generation: u64,
}

/// What a refetch on an unknown `kid` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refetch {
    /// The keys are newer than the caller's snapshot (its own fetch, or one it waited for).
    Reloaded,
    /// An unknown `kid` caused a fetch less than [`JWKS_REFETCH_INTERVAL_S`] ago.
    RateLimited,
    /// The fetch failed; the old keys stay.
    Failed,
}

impl fmt::Debug for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("issuer", &self.issuer())
            .field("client_auth", &self.inner.client_auth)
            .finish_non_exhaustive()
    }
}

impl Provider {
    pub fn issuer(&self) -> &str {
        self.inner.metadata.issuer().as_str()
    }

    pub fn authorization_endpoint(&self) -> &str {
        self.inner.metadata.authorization_endpoint().as_str()
    }

    /// Whether the IdP promises an `iss` parameter on its callbacks (RFC 9207).
    pub fn sends_callback_issuer(&self) -> bool {
        self.inner
            .metadata
            .additional_metadata()
            .authorization_response_iss_parameter_supported
            == Some(true)
    }

    pub fn client_auth(&self) -> ClientAuth {
        self.inner.client_auth
    }

    /// Key IDs currently cached, for the admin's diagnostics page.
    pub fn key_ids(&self) -> Vec<String> {
        self.keys()
            .keys()
            .iter()
            .map(|k| {
                k.key_id()
                    .map(|id| id.as_str().to_owned())
                    .unwrap_or_default()
            })
            .collect()
    }

    pub(crate) fn metadata(&self) -> &Metadata {
        &self.inner.metadata
    }

    pub(crate) fn token_url(&self) -> &TokenUrl {
        &self.inner.token_url
    }

    /// A snapshot of the cached key set; verification never holds the lock.
    pub(crate) fn keys(&self) -> Arc<JwkSet> {
        self.read_jwks().keys
    }

    pub(crate) fn key_snapshot(&self) -> KeySnapshot {
        let state = self.read_jwks();
        KeySnapshot {
            keys: state.keys,
            generation: state.generation,
        }
    }

    fn read_jwks(&self) -> JwksState {
        // A poisoned lock only means another thread panicked mid-update of a plain value;
        // the old or new key set are both usable.
        match self.inner.jwks.read() {
            Ok(state) => state.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn update_jwks(&self, update: impl FnOnce(&mut JwksState)) {
        let mut state = match self.inner.jwks.write() {
            Ok(state) => state,
            Err(poisoned) => poisoned.into_inner(),
        };
        update(&mut state);
    }

    /// The keys to verify with at `now`: the cached set, fetched anew first when its cache
    /// lifetime is over (one fetch for all concurrent callers). A failed refresh keeps the
    /// old keys, retried at most once per [`JWKS_REFETCH_INTERVAL_S`], for up to
    /// [`JWKS_MAX_STALE_S`]; then none are trusted.
    pub(crate) async fn current_keys(&self, http: &HttpClient, now: Timestamp) -> KeySnapshot {
        if now < self.read_jwks().refresh_at {
            return self.trusted_snapshot(now);
        }
        let _flight = self.inner.fetching.lock().await;
        // Another caller may have refreshed while this one waited.
        if now >= self.read_jwks().refresh_at {
            let url = self.inner.metadata.jwks_uri().url();
            match fetch_jwks(http, url, now).await {
                Ok((keys, lifetime)) => self.store_keys(keys, now, lifetime),
                Err(e) => {
                    tracing::warn!(issuer = %self.issuer(), error = %e, "the identity provider's key set could not be refreshed; the cached keys stay in use until they expire");
                    self.update_jwks(|s| s.refresh_at = now.plus_seconds(JWKS_REFETCH_INTERVAL_S));
                }
            }
        }
        self.trusted_snapshot(now)
    }

    fn trusted_snapshot(&self, now: Timestamp) -> KeySnapshot {
        let state = self.read_jwks();
        let keys = if now < state.trusted_until {
            state.keys
        } else {
            Arc::new(JwkSet::new(Vec::new()))
        };
        KeySnapshot {
            keys,
            generation: state.generation,
        }
    }

    fn store_keys(&self, keys: JwkSet, now: Timestamp, lifetime_s: i64) {
        self.update_jwks(|s| {
            s.keys = Arc::new(keys);
            s.generation += 1;
            s.fetched_at = now;
            s.refresh_at = now.plus_seconds(lifetime_s);
            s.trusted_until = now.plus_seconds(lifetime_s + JWKS_MAX_STALE_S);
        });
    }

    /// Refetches the key set because a token named a key it does not hold, unless the
    /// keys changed since `seen` was taken (then the caller just re-checks) or an unknown
    /// key caused a fetch less than [`JWKS_REFETCH_INTERVAL_S`] ago. Concurrent callers
    /// wait for the one fetch. A failed fetch keeps the old keys and counts against the
    /// limit.
    pub(crate) async fn refetch_on_miss(
        &self,
        http: &HttpClient,
        seen: &KeySnapshot,
        now: Timestamp,
    ) -> Refetch {
        let _flight = self.inner.fetching.lock().await;
        let state = self.read_jwks();
        if state.generation != seen.generation {
            return Refetch::Reloaded;
        }
        if state
            .last_miss_fetch
            .is_some_and(|last| !refetch_due(last, now))
        {
            return Refetch::RateLimited;
        }
        self.update_jwks(|s| s.last_miss_fetch = Some(now));
        match fetch_jwks(http, self.inner.metadata.jwks_uri().url(), now).await {
            Ok((keys, lifetime)) => {
                self.store_keys(keys, now, lifetime);
                tracing::info!(issuer = %self.issuer(), "an ID token named an unknown key; the identity provider's key set was fetched again");
                Refetch::Reloaded
            }
            Err(_) => Refetch::Failed,
        }
    }

    /// The scopes the IdP lists in `scopes_supported`, when it publishes the list.
    pub fn scopes_supported(&self) -> Option<Vec<String>> {
        self.inner
            .metadata
            .scopes_supported()
            .map(|scopes| scopes.iter().map(|s| s.as_str().to_owned()).collect())
    }

    /// Builds a provider from already-fetched documents, for benchmarks and offline checks.
    pub fn from_documents(
        issuer_url: &str,
        discovery_json: &[u8],
        jwks_json: &[u8],
        now: Timestamp,
    ) -> Result<Self, DiscoveryError> {
        let issuer = parse_issuer(issuer_url)?;
        let url = discovery_url(&issuer);
        let metadata = parse_metadata(&issuer, url.as_str(), discovery_json)?;
        let (token_url, client_auth) = check_metadata(&metadata)?;
        let keys = parse_jwks(metadata.jwks_uri().url().as_str(), jwks_json)?;
        Ok(Self::new(
            metadata,
            token_url,
            client_auth,
            keys,
            now,
            JWKS_DEFAULT_LIFETIME_S,
        ))
    }

    fn new(
        metadata: Metadata,
        token_url: TokenUrl,
        client_auth: ClientAuth,
        keys: JwkSet,
        now: Timestamp,
        lifetime_s: i64,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                metadata,
                token_url,
                client_auth,
                jwks: RwLock::new(JwksState {
                    keys: Arc::new(keys),
                    generation: 0,
                    fetched_at: now,
                    refresh_at: now.plus_seconds(lifetime_s),
                    trusted_until: now.plus_seconds(lifetime_s + JWKS_MAX_STALE_S),
                    last_miss_fetch: None,
                }),
                fetching: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// When the cached keys were last fetched, for the admin's diagnostics.
    pub fn keys_fetched_at(&self) -> Timestamp {
        self.read_jwks().fetched_at
    }
}

/// Whether the rate limit allows another JWKS fetch. A clock that went backwards (another
/// instance's `now`, a corrected clock) must not lock the refetch out.
fn refetch_due(fetched_at: Timestamp, now: Timestamp) -> bool {
    now.unix() - fetched_at.unix() >= JWKS_REFETCH_INTERVAL_S || now < fetched_at
}

/// Fetches `{issuer}/.well-known/openid-configuration` and the JWKS it names, and checks that
/// this provider can serve an authorization code login with PKCE for a confidential client.
pub async fn discover(
    http: &HttpClient,
    issuer_url: &str,
    now: Timestamp,
) -> Result<Provider, DiscoveryError> {
    let issuer = parse_issuer(issuer_url)?;
    check_address(http, "issuer", issuer.url())?;
    let url = discovery_url(&issuer);
    let body = get(http, &url).await.map_err(|e| match e {
        Fetch::Unreachable(reason) => DiscoveryError::Unreachable {
            url: url.to_string(),
            reason,
        },
        Fetch::Answered(reason) => DiscoveryError::NotDiscoveryDocument {
            url: url.to_string(),
            reason,
        },
    })?;
    let metadata = parse_metadata(&issuer, url.as_str(), &body)?;
    let (token_url, client_auth) = check_metadata(&metadata)?;
    // The endpoints the server itself will call; the browser's authorization endpoint is
    // the browser's business.
    check_address(http, "token", token_url.url())?;
    check_address(http, "jwks", metadata.jwks_uri().url())?;
    if let Some(userinfo) = metadata.userinfo_endpoint() {
        check_address(http, "userinfo", userinfo.url())?;
    }
    let (keys, lifetime) = fetch_jwks(http, metadata.jwks_uri().url(), now).await?;
    Ok(Provider::new(
        metadata,
        token_url,
        client_auth,
        keys,
        now,
        lifetime,
    ))
}

/// Refuses a URL whose host is an IP literal the operator's policy forbids (host names
/// are checked when the connection is made).
fn check_address(
    http: &HttpClient,
    endpoint: &'static str,
    url: &openidconnect::url::Url,
) -> Result<(), DiscoveryError> {
    http.networks
        .check_url(url)
        .map_err(|reason| DiscoveryError::ForbiddenAddress {
            endpoint,
            url: url.to_string(),
            reason,
        })
}

/// The path OIDC Discovery appends to the issuer.
const WELL_KNOWN: &str = "/.well-known/openid-configuration";

fn parse_issuer(issuer_url: &str) -> Result<IssuerUrl, DiscoveryError> {
    let trimmed = issuer_url.trim();
    if let Some(issuer) = trimmed
        .trim_end_matches('/')
        .strip_suffix(WELL_KNOWN)
        .filter(|issuer| !issuer.is_empty())
    {
        return Err(DiscoveryError::DiscoveryUrlAsIssuer {
            value: issuer_url.to_owned(),
            issuer: issuer.to_owned(),
        });
    }
    let issuer = IssuerUrl::new(issuer_url.trim().to_owned()).map_err(|_| {
        DiscoveryError::InvalidIssuerUrl {
            value: issuer_url.to_owned(),
        }
    })?;
    let url = issuer.url();
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(DiscoveryError::InvalidIssuerUrl {
            value: issuer_url.to_owned(),
        });
    }
    if !is_secure(url) {
        return Err(DiscoveryError::InsecureIssuerUrl {
            value: issuer_url.to_owned(),
        });
    }
    Ok(issuer)
}

/// https, or http to the local machine (for local trials and tests).
fn is_secure(url: &openidconnect::url::Url) -> bool {
    use openidconnect::url::Host;
    match (url.scheme(), url.host()) {
        ("https", _) => true,
        ("http", Some(Host::Domain(d))) => d == "localhost",
        ("http", Some(Host::Ipv4(ip))) => ip.is_loopback(),
        ("http", Some(Host::Ipv6(ip))) => ip.is_loopback(),
        _ => false,
    }
}

fn discovery_url(issuer: &IssuerUrl) -> String {
    // OIDC Discovery 1.0 §4: append to the issuer, keeping its path.
    format!("{}{WELL_KNOWN}", issuer.as_str().trim_end_matches('/'))
}

fn parse_metadata(issuer: &IssuerUrl, url: &str, body: &[u8]) -> Result<Metadata, DiscoveryError> {
    let metadata: Metadata =
        serde_json::from_slice(body).map_err(|e| DiscoveryError::NotDiscoveryDocument {
            url: url.to_owned(),
            reason: parse_failure(url, body, "issuer", &e),
        })?;
    if metadata.issuer() != issuer {
        return Err(DiscoveryError::IssuerMismatch {
            expected: issuer.as_str().to_owned(),
            found: metadata.issuer().as_str().to_owned(),
        });
    }
    Ok(metadata)
}

fn check_metadata(metadata: &Metadata) -> Result<(TokenUrl, ClientAuth), DiscoveryError> {
    let supports_code = metadata
        .response_types_supported()
        .iter()
        .any(|types| types.len() == 1 && types.contains(&CoreResponseType::Code));
    if !supports_code {
        let supported = metadata
            .response_types_supported()
            .iter()
            .map(|t| serde_json::to_string(t).unwrap_or_default())
            .collect::<Vec<_>>()
            .join(", ");
        return Err(DiscoveryError::NoCodeFlow {
            supported: format!("[{supported}]"),
        });
    }
    // Absent means "not advertised", which many IdPs that do support S256 leave out.
    if let Some(methods) = &metadata
        .additional_metadata()
        .code_challenge_methods_supported
    {
        if !methods.iter().any(|m| m == "S256") {
            return Err(DiscoveryError::NoPkceS256 {
                supported: format!("{methods:?}"),
            });
        }
    }
    let Some(token_endpoint) = metadata.token_endpoint() else {
        return Err(DiscoveryError::NoTokenEndpoint);
    };
    for (endpoint, url) in [
        ("authorization", metadata.authorization_endpoint().url()),
        ("token", token_endpoint.url()),
        ("jwks", metadata.jwks_uri().url()),
    ]
    .into_iter()
    .chain(metadata.userinfo_endpoint().map(|u| ("userinfo", u.url())))
    {
        if !is_secure(url) {
            return Err(DiscoveryError::InsecureEndpoint {
                endpoint,
                url: url.to_string(),
            });
        }
    }
    // RFC 8414 §2: absent means client_secret_basic.
    let auth = match metadata.token_endpoint_auth_methods_supported() {
        None => Ok(ClientAuth::SecretBasic),
        Some(methods) if methods.contains(&CoreClientAuthMethod::ClientSecretBasic) => {
            Ok(ClientAuth::SecretBasic)
        }
        Some(methods) if methods.contains(&CoreClientAuthMethod::ClientSecretPost) => {
            Ok(ClientAuth::SecretPost)
        }
        Some(methods) => Err(DiscoveryError::NoClientSecretAuth {
            supported: format!(
                "[{}]",
                methods
                    .iter()
                    .map(|m| format!("{:?}", m.as_ref()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }?;
    Ok((token_endpoint.clone(), auth))
}

/// The key set and how many seconds it may be cached (see [`cache_lifetime`]).
async fn fetch_jwks(
    http: &HttpClient,
    url: &openidconnect::url::Url,
    now: Timestamp,
) -> Result<(JwkSet, i64), DiscoveryError> {
    let (body, headers) = get_with_headers(http, url.as_str()).await.map_err(|e| {
        DiscoveryError::JwksUnreachable {
            url: url.to_string(),
            reason: match e {
                Fetch::Unreachable(reason) | Fetch::Answered(reason) => reason,
            },
        }
    })?;
    let keys = parse_jwks(url.as_str(), &body)?;
    Ok((keys, cache_lifetime(&headers, now)))
}

/// How long a key set may be cached, from its response headers (RFC 9111): `no-store` or
/// `no-cache` ask for the least, `max-age` wins over `Expires` (counted from the response's
/// `Date`, else from `now`); an unreadable `Expires` means already expired. Always within
/// [`JWKS_MIN_LIFETIME_S`]..=[`JWKS_MAX_LIFETIME_S`]; [`JWKS_DEFAULT_LIFETIME_S`] when the
/// headers say nothing.
pub(crate) fn cache_lifetime(
    headers: &openidconnect::reqwest::header::HeaderMap,
    now: Timestamp,
) -> i64 {
    let clamp = |s: i64| s.clamp(JWKS_MIN_LIFETIME_S, JWKS_MAX_LIFETIME_S);
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(cache_control) = text("cache-control") {
        let mut max_age = None;
        for directive in cache_control.split(',') {
            let directive = directive.trim().to_ascii_lowercase();
            if directive == "no-store" || directive == "no-cache" {
                return JWKS_MIN_LIFETIME_S;
            }
            if let Some(value) = directive.strip_prefix("max-age=") {
                max_age = Some(
                    value
                        .trim_matches('"')
                        .parse::<u64>()
                        .map_or(0, |v| i64::try_from(v).unwrap_or(i64::MAX)),
                );
            }
        }
        if let Some(max_age) = max_age {
            return clamp(max_age);
        }
    }
    if let Some(expires) = text("expires") {
        let http_date = |v: &str| {
            chrono::DateTime::parse_from_rfc2822(v)
                .ok()
                .map(|d| d.timestamp())
        };
        let Some(expires) = http_date(expires) else {
            return JWKS_MIN_LIFETIME_S;
        };
        let base = text("date").and_then(http_date).unwrap_or(now.unix());
        return clamp(expires.saturating_sub(base));
    }
    JWKS_DEFAULT_LIFETIME_S
}

fn parse_jwks(url: &str, body: &[u8]) -> Result<JwkSet, DiscoveryError> {
    let keys: JwkSet = serde_json::from_slice(body).map_err(|e| DiscoveryError::JwksInvalid {
        url: url.to_owned(),
        reason: match parse_failure(url, body, "keys", &e) {
            reason if reason.is_empty() => "it is not a JSON object with a \"keys\" list".into(),
            reason => reason,
        },
    })?;
    if keys.keys().is_empty() {
        return Err(DiscoveryError::JwksInvalid {
            url: url.to_owned(),
            reason: "it holds no usable key".to_owned(),
        });
    }
    Ok(keys)
}

/// A failed fetch, in words for the admin: empty, this server's refusal, or this server's
/// description of the answer (redirect, size). What the peer said is only logged.
enum Fetch {
    Unreachable(String),
    Answered(String),
}

/// The admin's reason for a 2xx body that does not parse: serde's message when the body is
/// a JSON object with the member only such a document has (`issuer`, `keys`), since then
/// an IdP answered and the message says what to fix; otherwise nothing, for the body may
/// come from any service the server reaches (serde quotes the values it trips on).
pub(crate) fn parse_failure(
    url: &str,
    body: &[u8],
    member: &str,
    err: &dyn std::fmt::Display,
) -> String {
    let shaped = serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .is_ok_and(|object| object.contains_key(member));
    operator_log(url, &format!("the response does not parse: {err}"));
    if shaped {
        truncate(&err.to_string(), 200)
    } else {
        String::new()
    }
}

/// The operator's record of what an IdP endpoint answered, or how the connection failed;
/// the admin is only told that it could not be reached or answered wrongly.
pub(crate) fn operator_log(url: &str, detail: &str) {
    tracing::warn!(%url, detail = %truncate(detail, 500), "identity provider request failed");
}

/// Fetches a small document (at most 512 KiB) from an identity provider through the same
/// guarded client, for what OIDC discovery does not cover (a SAML IdP's metadata). The URL
/// must be https (http only on localhost). `Err` says why, in words for the admin.
pub async fn fetch_document(http: &HttpClient, url: &str) -> Result<Vec<u8>, String> {
    let parsed = openidconnect::url::Url::parse(url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .ok_or_else(|| "it is not a valid absolute URL".to_owned())?;
    if !is_secure(&parsed) {
        return Err("it must use https (plain http is only allowed on localhost)".to_owned());
    }
    http.networks.check_url(&parsed)?;
    get(http, parsed.as_str()).await.map_err(|e| match e {
        Fetch::Unreachable(reason) if reason.is_empty() => "it could not be reached".to_owned(),
        Fetch::Unreachable(reason) => format!("it could not be reached: {reason}"),
        Fetch::Answered(reason) if reason.is_empty() => {
            "it did not answer with a document (the server's log has the details)".to_owned()
        }
        Fetch::Answered(reason) => reason,
    })
}

async fn get(http: &HttpClient, url: &str) -> Result<Vec<u8>, Fetch> {
    get_with_headers(http, url).await.map(|(body, _)| body)
}

async fn get_with_headers(
    http: &HttpClient,
    url: &str,
) -> Result<(Vec<u8>, openidconnect::reqwest::header::HeaderMap), Fetch> {
    let response = http
        .reqwest
        .get(url)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| Fetch::Unreachable(network_failure(url, &e)))?;
    let status = response.status();
    if status.is_redirection() {
        let to = response
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(|l| truncate(l, 200))
            .unwrap_or_default();
        operator_log(url, &format!("HTTP status {status} to {to:?}"));
        return Err(Fetch::Answered(
            "it answered with a redirect; redirects are not followed, give the final URL"
                .to_owned(),
        ));
    }
    if !status.is_success() {
        operator_log(url, &format!("HTTP status {status}"));
        return Err(Fetch::Answered(String::new()));
    }
    let too_large = || {
        operator_log(url, "the response is larger than 512 KiB");
        Fetch::Answered("the response is too large".to_owned())
    };
    if response
        .content_length()
        .is_some_and(|len| len > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(too_large());
    }
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| Fetch::Unreachable(network_failure(url, &e)))?;
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(too_large());
    }
    Ok((body.to_vec(), headers))
}

/// Logs why a request failed and returns what the admin may see: this server's refusal of
/// the address (the guarded resolver's reason), or nothing. Connection refused, reset, TLS
/// and timeouts read alike, or the IdP client would tell an admin which ports answer.
pub(crate) fn network_failure(url: &str, err: &openidconnect::reqwest::Error) -> String {
    operator_log(url, &describe_reqwest(err));
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<AddressRefused>() {
            return refused.to_string();
        }
        source = cause.source();
    }
    String::new()
}

/// reqwest's top-level message is "error sending request"; the cause (connection refused,
/// DNS, TLS, timeout) is what the operator needs.
fn describe_reqwest(err: &openidconnect::reqwest::Error) -> String {
    let mut text = if err.is_timeout() {
        "timed out".to_owned()
    } else {
        err.to_string()
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    // The URL in reqwest's message may carry a query; keep the text bounded.
    truncate(&text, 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(issuer: &str, extra: &str) -> Vec<u8> {
        format!(
            r#"{{"issuer":"{issuer}","authorization_endpoint":"{issuer}/auth","token_endpoint":"{issuer}/token",
            "jwks_uri":"{issuer}/jwks","response_types_supported":["code"],"subject_types_supported":["public"],
            "id_token_signing_alg_values_supported":["RS256"]{extra}}}"#
        )
        .into_bytes()
    }

    const JWKS: &[u8] = br#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","use":"sig","alg":"ES256",
        "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;

    fn provider(issuer: &str, extra: &str) -> Result<Provider, DiscoveryError> {
        Provider::from_documents(issuer, &doc(issuer, extra), JWKS, Timestamp::from_unix(0))
    }

    #[test]
    fn a_complete_document_is_accepted_with_basic_auth() {
        let p = provider("https://idp.example", "").unwrap();
        assert_eq!(p.client_auth(), ClientAuth::SecretBasic);
        assert_eq!(p.key_ids(), ["k1"]);
    }

    #[test]
    fn post_auth_is_used_when_it_is_the_only_secret_method() {
        let p = provider(
            "https://idp.example",
            r#","token_endpoint_auth_methods_supported":["private_key_jwt","client_secret_post"]"#,
        )
        .unwrap();
        assert_eq!(p.client_auth(), ClientAuth::SecretPost);
        let err = provider(
            "https://idp.example",
            r#","token_endpoint_auth_methods_supported":["private_key_jwt"]"#,
        )
        .unwrap_err();
        assert_eq!(err.code(), "oidc.no_client_secret_auth");
    }

    #[test]
    fn issuer_in_document_must_match_exactly() {
        let err = Provider::from_documents(
            "https://idp.example/",
            &doc("https://idp.example", ""),
            JWKS,
            Timestamp::from_unix(0),
        )
        .unwrap_err();
        assert_eq!(
            err,
            DiscoveryError::IssuerMismatch {
                expected: "https://idp.example/".into(),
                found: "https://idp.example".into()
            }
        );
    }

    #[test]
    fn implicit_only_provider_is_refused() {
        let body = String::from_utf8(doc("https://idp.example", ""))
            .unwrap()
            .replace(r#"["code"]"#, r#"["id_token","id_token token"]"#);
        let err = Provider::from_documents(
            "https://idp.example",
            body.as_bytes(),
            JWKS,
            Timestamp::from_unix(0),
        )
        .unwrap_err();
        assert_eq!(err.code(), "oidc.no_code_flow");
        assert!(err.to_string().contains("\"id_token token\""), "{err}");
    }

    #[test]
    fn pkce_without_s256_is_refused_but_absent_methods_are_not() {
        let err = provider(
            "https://idp.example",
            r#","code_challenge_methods_supported":["plain"]"#,
        )
        .unwrap_err();
        assert_eq!(err.code(), "oidc.no_pkce_s256");
        assert!(provider(
            "https://idp.example",
            r#","code_challenge_methods_supported":["plain","S256"]"#
        )
        .is_ok());
    }

    #[test]
    fn html_is_not_a_discovery_document() {
        let err = Provider::from_documents(
            "https://idp.example",
            b"<html>",
            JWKS,
            Timestamp::from_unix(0),
        )
        .unwrap_err();
        assert_eq!(err.code(), "oidc.not_discovery_document");
    }

    #[test]
    fn plain_http_is_only_allowed_on_loopback() {
        assert!(provider("http://127.0.0.1:9000", "").is_ok());
        assert!(provider("http://localhost:9000", "").is_ok());
        assert_eq!(
            provider("http://idp.example", "").unwrap_err().code(),
            "oidc.insecure_issuer_url"
        );
        assert_eq!(
            Provider::from_documents("not a url", b"{}", JWKS, Timestamp::from_unix(0))
                .unwrap_err()
                .code(),
            "oidc.invalid_issuer_url"
        );
    }

    #[test]
    fn empty_key_set_is_invalid() {
        let err = Provider::from_documents(
            "https://idp.example",
            &doc("https://idp.example", ""),
            br#"{"keys":[]}"#,
            Timestamp::from_unix(0),
        )
        .unwrap_err();
        assert_eq!(err.code(), "oidc.jwks_invalid");
    }

    fn headers(pairs: &[(&'static str, &str)]) -> openidconnect::reqwest::header::HeaderMap {
        let mut map = openidconnect::reqwest::header::HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    #[test]
    fn key_set_lifetime_follows_the_cache_headers_within_bounds() {
        let now = Timestamp::from_unix(1_445_412_480); // Wed, 21 Oct 2015 07:28:00 GMT
        for (pairs, lifetime) in [
            (vec![], JWKS_DEFAULT_LIFETIME_S),
            (vec![("cache-control", "public, max-age=7200")], 7200),
            (vec![("cache-control", "max-age=0")], JWKS_MIN_LIFETIME_S),
            (
                vec![("cache-control", "max-age=31536000")],
                JWKS_MAX_LIFETIME_S,
            ),
            (vec![("cache-control", "max-age=-5")], JWKS_MIN_LIFETIME_S),
            (
                vec![("cache-control", "no-cache, max-age=7200")],
                JWKS_MIN_LIFETIME_S,
            ),
            (vec![("cache-control", "private")], JWKS_DEFAULT_LIFETIME_S),
            (vec![("expires", "Wed, 21 Oct 2015 09:28:00 GMT")], 7200),
            (
                vec![
                    ("date", "Wed, 21 Oct 2015 08:28:00 GMT"),
                    ("expires", "Wed, 21 Oct 2015 09:28:00 GMT"),
                ],
                3600,
            ),
            (
                vec![
                    ("cache-control", "max-age=900"),
                    ("expires", "Wed, 21 Oct 2015 09:28:00 GMT"),
                ],
                900,
            ),
            (vec![("expires", "0")], JWKS_MIN_LIFETIME_S),
            (
                vec![("expires", "Sun, 21 Oct 2035 07:28:00 GMT")],
                JWKS_MAX_LIFETIME_S,
            ),
        ] {
            assert_eq!(cache_lifetime(&headers(&pairs), now), lifetime, "{pairs:?}");
        }
    }

    #[test]
    fn a_discovery_url_is_not_an_issuer() {
        for (pasted, issuer) in [
            (
                "https://idp.example/.well-known/openid-configuration",
                "https://idp.example",
            ),
            (
                " https://idp.example/realms/acme/.well-known/openid-configuration/ ",
                "https://idp.example/realms/acme",
            ),
        ] {
            let err = parse_issuer(pasted).unwrap_err();
            assert_eq!(
                err,
                DiscoveryError::DiscoveryUrlAsIssuer {
                    value: pasted.into(),
                    issuer: issuer.into()
                }
            );
        }
        assert!(parse_issuer("https://idp.example/tenant/v2.0").is_ok());
    }

    #[test]
    fn refetch_is_due_a_minute_after_the_last_fetch() {
        let at = Timestamp::from_unix(1000);
        assert!(!refetch_due(at, at));
        assert!(!refetch_due(at, at.plus_seconds(59)));
        assert!(refetch_due(at, at.plus_seconds(60)));
        assert!(refetch_due(at, at.plus_seconds(-5)));
    }
}
