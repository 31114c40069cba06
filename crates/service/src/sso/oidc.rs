//! OpenID Connect for organizations: settings (issuer checked by discovery on
//! save, client secret sealed at rest), the authorization code flow with
//! PKCE, state and nonce bound to the browser's hub session, and the
//! callback. Protocol checks are `orgsso_oidc`'s; this wires them to the org.

use super::{
    OrgAdmin, PendingSignIn, SavedConfig, SignInError, SignInFinished, SsoFinished, SsoIdentity,
    SsoRefusal,
};
use crate::{Caller, Entity, Hub, Precondition, ServiceError, ServiceResult};
use orgsso_core::{Action, FieldError, OrgId, OrgName, Secret, Timestamp};
use orgsso_oidc::{EmailClaim, Provider, ProviderSettings, RedirectUri};
use orgsso_store::{NewSsoConfig, Org, OrgSso, SsoConfig, SsoProtocol, SsoPurpose, User};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// The OIDC settings of one configuration, stored as JSON (the secret is stored sealed, apart).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcSettings {
    pub issuer_url: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    #[serde(with = "email_claim_name")]
    pub email_claim: EmailClaim,
    /// Email domains just-in-time membership admits; empty: the org's SSO domains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jit_domains: Vec<String>,
    /// A claim every sign-in must carry (e.g. `hd`, `tid`, a group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_claim: Option<RequiredClaim>,
    /// OIDC `max_age` in seconds: sent with every request; the ID token's `auth_time`
    /// must then be present and no older.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
    /// `prompt=login`: the IdP asks for credentials again at every sign-in.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub prompt_login: bool,
}

/// The email claim is stored by its name. A name this version does not know
/// makes the configuration unreadable rather than quietly matching `email`.
mod email_claim_name {
    use orgsso_oidc::EmailClaim;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(claim: &EmailClaim, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(claim.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<EmailClaim, D::Error> {
        let name = String::deserialize(d)?;
        EmailClaim::parse(&name)
            .filter(|claim| claim.as_str() == name)
            .ok_or_else(|| D::Error::custom(format!("unknown email claim {name:?}")))
    }
}

/// The longest `max_age` accepted: the SSO session timeout's own limit.
#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 90 days fit a u32
pub const MAX_AGE_LIMIT_S: u32 = *OrgSso::SESSION_TTL_RANGE_S.end() as u32;

/// A top-level claim and the value it must have: equal to it, or an array containing it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredClaim {
    pub name: String,
    pub value: String,
}

impl RequiredClaim {
    const MAX_NAME: usize = 128;
    const MAX_VALUE: usize = 256;

    /// Both or neither of the two fields; the name is a plain claim name.
    pub fn parse(name: &str, value: &str) -> Result<Option<Self>, FieldError> {
        let (name, value) = (name.trim(), value.trim());
        match (name.is_empty(), value.is_empty()) {
            (true, true) => return Ok(None),
            (false, true) => {
                return Err(FieldError::new(
                    "required_claim_value",
                    "is required when a required claim is named",
                ))
            }
            (true, false) => {
                return Err(FieldError::new(
                    "required_claim",
                    "is required when a required claim value is given",
                ))
            }
            (false, false) => {}
        }
        if name.len() > Self::MAX_NAME
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_:.-/".contains(c))
        {
            return Err(FieldError::new(
                "required_claim",
                "must be a claim name of up to 128 letters, digits and _ : . - /",
            ));
        }
        if value.len() > Self::MAX_VALUE || value.chars().any(char::is_control) {
            return Err(FieldError::new(
                "required_claim_value",
                "must be up to 256 characters",
            ));
        }
        Ok(Some(Self {
            name: name.to_owned(),
            value: value.to_owned(),
        }))
    }

    /// Whether `claims` carry the value: the claim is that string, or an
    /// array holding it (strings compared exactly).
    pub fn check(&self, claims: &serde_json::Value) -> Result<(), SsoRefusal> {
        let found = claims.get(&self.name);
        let satisfied = match found {
            Some(serde_json::Value::String(v)) => *v == self.value,
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .any(|v| v.as_str() == Some(self.value.as_str())),
            _ => false,
        };
        if satisfied {
            return Ok(());
        }
        let found = match found {
            None => "the claim is absent".to_owned(),
            Some(v) => {
                let mut text = v.to_string();
                if text.len() > 200 {
                    let cut = (0..=200)
                        .rev()
                        .find(|&i| text.is_char_boundary(i))
                        .unwrap_or(0);
                    text.truncate(cut);
                    text.push('…');
                }
                format!("it is {text}")
            }
        };
        Err(SsoRefusal::RequiredClaimMissing {
            name: self.name.clone(),
            value: self.value.clone(),
            found,
        })
    }
}

/// What the admin typed (form or API body), before checking.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct OidcSettingsInput {
    pub issuer_url: String,
    pub client_id: String,
    /// Empty keeps the secret of the newest configuration with the same issuer and client.
    pub client_secret: String,
    pub scopes: String,
    pub email_claim: String,
    /// Domains separated by commas or spaces; empty: the org's SSO domains.
    pub jit_domains: String,
    pub required_claim: String,
    pub required_claim_value: String,
    /// Seconds, a number (API) or text (form); empty or absent for none.
    #[serde(deserialize_with = "number_or_text")]
    pub max_age: String,
    /// `true`/`false` (API), or the form checkbox's `on`.
    #[serde(deserialize_with = "flag")]
    pub prompt_login: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(i64),
    Text(String),
}

fn number_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Option::<NumberOrText>::deserialize(d)? {
        None => String::new(),
        Some(NumberOrText::Number(n)) => n.to_string(),
        Some(NumberOrText::Text(t)) => t,
    })
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FlagValue {
    Bool(bool),
    Text(String),
}

fn flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    match Option::<FlagValue>::deserialize(d)? {
        None => Ok(false),
        Some(FlagValue::Bool(b)) => Ok(b),
        Some(FlagValue::Text(t)) => match t.trim() {
            "on" | "true" | "1" => Ok(true),
            "" | "off" | "false" | "0" => Ok(false),
            _ => Err(serde::de::Error::custom("expected true or false")),
        },
    }
}

/// The `max_age` field: empty for none, else whole seconds up to [`MAX_AGE_LIMIT_S`].
fn parse_max_age(raw: &str) -> Result<Option<u32>, FieldError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<u32>()
        .ok()
        .filter(|s| *s <= MAX_AGE_LIMIT_S)
        .map(Some)
        .ok_or_else(|| {
            FieldError::new(
                "max_age",
                format!("must be a whole number of seconds from 0 to {MAX_AGE_LIMIT_S} (90 days), or empty for no limit"),
            )
        })
}

/// Scopes the IdP does not list in its `scopes_supported` would fail only at the IdP, in
/// front of the admin's test; refused on save instead, when the IdP publishes the list.
fn check_scopes_supported(scopes: &[String], provider: &Provider) -> Result<(), FieldError> {
    let Some(supported) = provider.scopes_supported() else {
        return Ok(());
    };
    let unsupported: Vec<&str> = scopes
        .iter()
        .map(String::as_str)
        .filter(|s| *s != "openid" && !supported.iter().any(|t| t == s))
        .collect();
    if unsupported.is_empty() {
        return Ok(());
    }
    let mut listed = supported.join(" ");
    if listed.len() > 300 {
        let cut = (0..=300)
            .rev()
            .find(|&i| listed.is_char_boundary(i))
            .unwrap_or(0);
        listed.truncate(cut);
        listed.push('…');
    }
    Err(FieldError::new(
        "scopes",
        format!(
            "the identity provider does not support {} (its scopes_supported lists: {listed}); remove {} or enable {} at the identity provider",
            unsupported.join(", "),
            if unsupported.len() == 1 { "it" } else { "them" },
            if unsupported.len() == 1 { "it" } else { "them" },
        ),
    ))
}

/// How long a discovery document is trusted before it is fetched again.
const PROVIDER_CACHE_TTL_S: i64 = 3600;

/// How long the last good discovery document keeps serving while the IdP's discovery
/// endpoint fails (stale-if-error), counted from when it was fetched: a blip at the IdP
/// does not stop every sign-in, an IdP gone for a day does.
pub const DISCOVERY_MAX_STALE_S: i64 = 24 * 3600;

/// While discovery fails, how often it is tried again (other sign-ins get the stale copy).
const DISCOVERY_RETRY_S: i64 = 60;

/// Most cached providers; the least recently used goes first.
const PROVIDER_CACHE_CAPACITY: usize = 1024;

/// Whose view of an IdP an entry is: an organization and the issuer its admin configured.
/// Keyed per organization, so that one admin's save refreshes only their own view.
type ProviderKey = (OrgId, String);

/// Discovered providers per organization and issuer, with their JWKS caches, shared by all
/// requests. Each entry discovers in a single flight: concurrent sign-ins wait for the one
/// request to the IdP.
#[derive(Default)]
pub struct ProviderCache {
    http: tokio::sync::OnceCell<orgsso_oidc::HttpClient>,
    entries: std::sync::Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<ProviderKey, (Arc<ProviderSlot>, u64)>,
    /// Use counter: the entry with the lowest stamp is the least recently used.
    tick: u64,
}

/// One organization's view of its IdP; the async lock is the single flight.
#[derive(Default)]
struct ProviderSlot {
    cached: tokio::sync::Mutex<Option<CachedProvider>>,
}

struct CachedProvider {
    provider: Provider,
    fetched_at: Timestamp,
    /// While discovery fails: when to try again.
    retry_at: Option<Timestamp>,
}

impl ProviderCache {
    /// The slot for `key`, marked as just used; evicts the least recently used beyond the
    /// capacity.
    fn slot(&self, key: &ProviderKey) -> Arc<ProviderSlot> {
        let mut entries = match self.entries.lock() {
            Ok(entries) => entries,
            Err(poisoned) => poisoned.into_inner(),
        };
        entries.tick += 1;
        let tick = entries.tick;
        if let Some((slot, used)) = entries.map.get_mut(key) {
            *used = tick;
            return slot.clone();
        }
        if entries.map.len() >= PROVIDER_CACHE_CAPACITY {
            let oldest = entries
                .map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.map.remove(&oldest);
            }
        }
        let slot = Arc::new(ProviderSlot::default());
        entries.map.insert(key.clone(), (slot.clone(), tick));
        slot
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.lock().map(|e| e.map.len()).unwrap_or(0)
    }
}

/// Whether a cached discovery may still be used at `now`.
enum Freshness {
    Fresh,
    /// Past its time; refresh, and serve it if that fails.
    Due,
    /// Discovery failed recently; serve it without asking the IdP again yet.
    Retrying,
    /// Too old to serve even while the IdP fails.
    Expired,
}

impl CachedProvider {
    fn freshness(&self, now: Timestamp) -> Freshness {
        let age = now.unix().saturating_sub(self.fetched_at.unix());
        // A clock that went backwards (another instance's `now`) counts as fresh.
        if (0..PROVIDER_CACHE_TTL_S).contains(&age) || age < 0 {
            Freshness::Fresh
        } else if age >= DISCOVERY_MAX_STALE_S {
            Freshness::Expired
        } else if self.retry_at.is_some_and(|at| now < at) {
            Freshness::Retrying
        } else {
            Freshness::Due
        }
    }
}

impl OidcSettings {
    pub fn from_config(config: &SsoConfig) -> Option<Self> {
        (config.protocol == SsoProtocol::Oidc)
            .then(|| serde_json::from_str(&config.settings).ok())
            .flatten()
    }
}

fn secret_context(org: &Org) -> String {
    format!("orgsso/oidc-client-secret/org/{}", org.id)
}

impl Hub {
    pub fn oidc_callback_url(&self, org: &OrgName) -> String {
        format!("{}/organizations/{org}/oidc/callback", self.config.base_url)
    }

    /// The guarded client for every request to an IdP (OIDC, and SAML metadata).
    pub(crate) async fn http(&self) -> ServiceResult<&orgsso_oidc::HttpClient> {
        self.providers
            .http
            .get_or_try_init(|| async { orgsso_oidc::http_client(self.config.idp_networks) })
            .await
            .map_err(|_| ServiceError::Precondition(Precondition::IdpClientUnavailable))
    }

    /// `org`'s provider for `issuer`: discovered, then served from the cache for an hour
    /// (its JWKS follows its own cache headers and refreshes on unknown keys). When the
    /// refresh fails, the last good document keeps serving for up to
    /// [`DISCOVERY_MAX_STALE_S`], retried once a minute, and the operator's log says so.
    /// `fresh` (an admin's save) always asks the IdP and never serves a stale copy. Only
    /// this organization's entry is locked while the IdP answers.
    async fn provider(
        &self,
        org: &Org,
        issuer: &str,
        fresh: bool,
    ) -> Result<Provider, orgsso_oidc::DiscoveryError> {
        let slot = self.providers.slot(&(org.id, issuer.to_owned()));
        let mut cached = slot.cached.lock().await;
        // Read after the wait: the flight this request waited for may have refreshed it.
        let now = self.clock.now();
        let freshness = cached.as_ref().map(|c| c.freshness(now));
        if !fresh {
            if let (Some(c), Some(Freshness::Fresh | Freshness::Retrying)) =
                (cached.as_ref(), &freshness)
            {
                return Ok(c.provider.clone());
            }
        }
        let http = self
            .http()
            .await
            .map_err(|_| orgsso_oidc::DiscoveryError::Unreachable {
                url: issuer.to_owned(),
                reason: String::new(),
            })?;
        match orgsso_oidc::discover(http, issuer, now).await {
            Ok(provider) => {
                *cached = Some(CachedProvider {
                    provider: provider.clone(),
                    fetched_at: now,
                    retry_at: None,
                });
                Ok(provider)
            }
            Err(error) => match (cached.as_mut(), freshness) {
                (Some(stale), Some(Freshness::Due)) if !fresh => {
                    tracing::warn!(
                        org = %org.name,
                        issuer,
                        code = error.code(),
                        %error,
                        fetched_at = %stale.fetched_at,
                        "OIDC discovery failed; signing in with the last good discovery document"
                    );
                    stale.retry_at = Some(now.plus_seconds(DISCOVERY_RETRY_S));
                    Ok(stale.provider.clone())
                }
                _ => Err(error),
            },
        }
    }

    /// Checks the settings (discovery included), saves a new untested
    /// configuration and starts its test: returns the IdP URL for the admin.
    pub async fn save_oidc_config(
        &self,
        caller: &Caller,
        admin: &OrgAdmin,
        input: OidcSettingsInput,
    ) -> ServiceResult<SavedConfig> {
        let org = admin.org();
        let issuer_url = input.issuer_url.trim().to_owned();
        if issuer_url.is_empty() {
            return Err(FieldError::new(
                "issuer_url",
                "is required (for example https://login.example.com)",
            )
            .into());
        }
        let client_id = input.client_id.trim().to_owned();
        if client_id.is_empty()
            || client_id.len() > 512
            || client_id
                .chars()
                .any(|c| c.is_control() || c.is_whitespace())
        {
            return Err(FieldError::new(
                "client_id",
                "is required: the client (application) ID the IdP issued, without spaces",
            )
            .into());
        }
        let email_claim = match input.email_claim.trim() {
            "" => EmailClaim::Email,
            raw => EmailClaim::parse(raw).ok_or_else(|| {
                FieldError::new("email_claim", "must be email, upn or preferred_username")
            })?,
        };
        let scopes: Vec<String> = if input.scopes.trim().is_empty() {
            ProviderSettings::default_scopes()
        } else {
            input
                .scopes
                .split([' ', ','])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        if scopes.len() > 20
            || scopes.iter().any(|s| {
                s.len() > 100
                    || !s
                        .chars()
                        .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\')
            })
        {
            return Err(
                FieldError::new("scopes", "must be up to 20 space-separated scope names").into(),
            );
        }
        let jit_domains = super::parse_jit_domains(&input.jit_domains)?;
        let required_claim =
            RequiredClaim::parse(&input.required_claim, &input.required_claim_value)?;
        let max_age = parse_max_age(&input.max_age)?;
        let settings = OidcSettings {
            issuer_url: issuer_url.clone(),
            client_id,
            scopes,
            email_claim,
            jit_domains,
            required_claim,
            max_age,
            prompt_login: input.prompt_login,
        };
        let secret_ciphertext = if input.client_secret.trim().is_empty() {
            let previous = self.store.latest_sso_config(org.id).await?.filter(|c| {
                OidcSettings::from_config(c).is_some_and(|s| {
                    s.issuer_url == settings.issuer_url && s.client_id == settings.client_id
                })
            });
            match previous.and_then(|c| c.secret_ciphertext) {
                Some(sealed) => sealed,
                None => return Err(FieldError::new("client_secret", "is required").into()),
            }
        } else {
            if input.client_secret.len() > 1024 {
                return Err(FieldError::new("client_secret", "is too long").into());
            }
            self.secrets.seal(
                input.client_secret.trim(),
                &secret_context(org),
                self.entropy.as_ref(),
            )
        };
        // Always asked anew: the admin may have fixed the IdP since.
        let provider = self
            .provider(org, &issuer_url, true)
            .await
            .map_err(|e| FieldError::new("issuer_url", e.to_string()))?;
        check_scopes_supported(&settings.scopes, &provider)?;
        let json = serde_json::to_string(&settings).map_err(|_| Precondition::SettingsNotStored)?;
        let config = self
            .store
            .create_sso_config(NewSsoConfig {
                org: org.id,
                protocol: SsoProtocol::Oidc,
                settings: json,
                secret_ciphertext: Some(secret_ciphertext),
                created_by: admin.admin(),
                now: self.clock.now(),
            })
            .await?;
        let mut detail = format!(
            "OIDC configuration #{} saved: issuer {}, client {}, email claim {}",
            config.id, settings.issuer_url, settings.client_id, settings.email_claim
        );
        if !settings.jit_domains.is_empty() {
            detail.push_str(&format!(
                ", just-in-time domains {}",
                settings.jit_domains.join(", ")
            ));
        }
        if let Some(required) = &settings.required_claim {
            detail.push_str(&format!(
                ", required claim {} = {:?}",
                required.name, required.value
            ));
        }
        if let Some(max_age) = settings.max_age {
            detail.push_str(&format!(", maximum authentication age {max_age}s"));
        }
        if settings.prompt_login {
            detail.push_str(", prompt=login");
        }
        self.record_config_saved(admin, &config, "oidc", detail)
            .await?;
        let test_url = self
            .oidc_redirect(caller, org, &config, &settings, SsoPurpose::Test, "")
            .await?;
        Ok(SavedConfig {
            config: config.id,
            test_url,
        })
    }

    fn provider_settings(
        &self,
        org: &Org,
        config: &SsoConfig,
        settings: &OidcSettings,
    ) -> Result<ProviderSettings, SsoRefusal> {
        let secret = config
            .secret_ciphertext
            .as_deref()
            .and_then(|sealed| self.secrets.open(sealed, &secret_context(org)))
            .ok_or(SsoRefusal::SecretUnreadable)?;
        Ok(ProviderSettings {
            issuer_url: settings.issuer_url.clone(),
            client_id: settings.client_id.clone(),
            client_secret: Secret::new(secret.expose().clone()),
            scopes: settings.scopes.clone(),
            email_claim: settings.email_claim,
            max_age_s: settings.max_age,
            prompt_login: settings.prompt_login,
        })
    }

    pub(crate) async fn oidc_redirect(
        &self,
        caller: &Caller,
        org: &Org,
        config: &SsoConfig,
        settings: &OidcSettings,
        purpose: SsoPurpose,
        return_to: &str,
    ) -> ServiceResult<String> {
        let provider = self
            .provider(org, &settings.issuer_url, false)
            .await
            .map_err(|e| ServiceError::SsoRefused(SsoRefusal::IdpUnreachable(e)))?;
        let provider_settings = self
            .provider_settings(org, config, settings)
            .map_err(ServiceError::SsoRefused)?;
        let redirect_uri = RedirectUri::parse(&self.oidc_callback_url(&org.name))
            .map_err(|_| Precondition::BadCallbackUrl)?;
        let request = orgsso_oidc::authorization_request(
            &provider,
            &provider_settings,
            &redirect_uri,
            self.entropy.as_ref(),
        );
        self.begin_sso_request(
            caller,
            org,
            config,
            PendingSignIn {
                purpose,
                return_to,
                handle: Some(&request.state),
                nonce: Some(request.nonce.clone()),
                pkce_verifier: Some(request.pkce_verifier.expose().clone()),
                saml_request_id: None,
            },
        )
        .await?;
        Ok(request.url)
    }

    /// The callback: `state` names the pending request of this browser; the
    /// code is exchanged and the ID token checked; the email must be one of
    /// the account's verified emails.
    pub async fn oidc_callback(
        &self,
        caller: &Caller,
        name: &OrgName,
        params: &HashMap<String, String>,
    ) -> ServiceResult<SsoFinished> {
        // The callback is the way in: the SSO gate never holds it.
        let org = self
            .org_with_permission(caller, name, Action::SignInThroughSso)
            .await?
            .org;
        let user = caller
            .user
            .clone()
            .ok_or(orgsso_core::Denied::LoginRequired)?;
        let outcome = self.oidc_callback_for(caller, &org, &user, params).await;
        self.end_sign_in(&org, &user, outcome).await
    }

    async fn oidc_callback_for(
        &self,
        caller: &Caller,
        org: &Org,
        user: &User,
        params: &HashMap<String, String>,
    ) -> Result<SsoFinished, SignInError> {
        let state = params.get("state").map(String::as_str).unwrap_or("");
        let Some(request) = self.take_sso_request(caller, org, state).await? else {
            return Err(SsoRefusal::StateMismatch.into());
        };
        let purpose = request.purpose;
        // Whatever refuses the answer from here on refuses the sign-in it was for.
        let answer = async {
            let config = self
                .store
                .sso_config(request.config)
                .await?
                .ok_or(ServiceError::NotFound(Entity::SsoConfiguration))?;
            let Some(settings) = OidcSettings::from_config(&config) else {
                return Err(Precondition::NotOidc.into());
            };
            if let Some(error) = params.get("error") {
                let rejection = orgsso_oidc::callback_error(
                    error,
                    params.get("error_description").map(String::as_str),
                );
                return Err(SsoRefusal::OidcRejected(rejection).into());
            }
            let code = params.get("code").map(String::as_str).unwrap_or("");
            if code.is_empty() || code.len() > 4096 {
                return Err(SsoRefusal::MissingCode.into());
            }
            let provider_settings = self.provider_settings(org, &config, &settings)?;
            let provider = self
                .provider(org, &settings.issuer_url, false)
                .await
                .map_err(SsoRefusal::IdpUnreachable)?;
            // RFC 9207: a code from another IdP this browser talks to must not be replayed here.
            orgsso_oidc::check_callback_issuer(&provider, params.get("iss").map(String::as_str))
                .map_err(SsoRefusal::OidcRejected)?;
            let redirect_uri = RedirectUri::parse(&self.oidc_callback_url(&org.name))
                .map_err(|_| Precondition::BadCallbackUrl)?;
            let verifier = Secret::new(request.pkce_verifier.clone().unwrap_or_default());
            let nonce = request.nonce.clone().unwrap_or_default();
            let callback = orgsso_oidc::Callback {
                redirect_uri: &redirect_uri,
                code,
                pkce_verifier: &verifier,
                nonce: &nonce,
            };
            // Role mapping may read claims (`groups`) that only userinfo carries.
            let always_userinfo = request.purpose == SsoPurpose::Login
                && self.store.role_mapping(org.id).await?.is_some();
            let http = self.http().await?;
            let login = orgsso_oidc::complete_reading_userinfo(
                http,
                &provider,
                &provider_settings,
                callback,
                self.clock.now(),
                orgsso_oidc::DEFAULT_MAX_SKEW_S,
                always_userinfo,
            )
            .await
            .map_err(SsoRefusal::OidcRejected)?;
            let identity = SsoIdentity {
                subject: login.subject,
                email: login.email.to_string(),
                claims: login.claims,
                session_not_on_or_after: None,
            };
            let finished = SignInFinished {
                user,
                org,
                config: &config,
                purpose: request.purpose,
                return_to: &request.return_to,
                hub_session_hash: &request.hub_session_hash,
            };
            self.complete_sso(caller, finished, identity).await
        }
        .await;
        answer.map_err(|e| e.during(purpose))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_provider_cache_evicts_the_least_recently_used_entry_beyond_its_capacity() {
        let cache = ProviderCache::default();
        let key = |i: usize| (OrgId(i as i64), "https://idp.example".to_owned());
        for i in 0..PROVIDER_CACHE_CAPACITY {
            cache.slot(&key(i));
        }
        // Entry 0 is used again, so entry 1 is now the least recently used.
        let kept = cache.slot(&key(0));
        cache.slot(&key(PROVIDER_CACHE_CAPACITY));
        assert_eq!(cache.len(), PROVIDER_CACHE_CAPACITY);
        assert!(Arc::ptr_eq(&kept, &cache.slot(&key(0))));
        assert_eq!(cache.len(), PROVIDER_CACHE_CAPACITY);
        let entries = cache.entries.lock().unwrap();
        assert!(!entries.map.contains_key(&key(1)));
    }

    #[test]
    fn each_organization_has_its_own_view_of_an_issuer() {
        let cache = ProviderCache::default();
        let a = cache.slot(&(OrgId(1), "https://idp.example".to_owned()));
        let b = cache.slot(&(OrgId(2), "https://idp.example".to_owned()));
        assert!(!Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn max_age_is_empty_or_whole_seconds_within_ninety_days() {
        assert_eq!(parse_max_age(" "), Ok(None));
        assert_eq!(parse_max_age("0"), Ok(Some(0)));
        assert_eq!(parse_max_age("3600"), Ok(Some(3600)));
        for bad in ["-1", "1.5", "an hour", "7776001"] {
            assert_eq!(parse_max_age(bad).unwrap_err().field, "max_age", "{bad}");
        }
    }

    #[test]
    fn the_input_takes_max_age_and_prompt_login_from_json_or_a_form() {
        let json: OidcSettingsInput =
            serde_json::from_value(serde_json::json!({"max_age": 600, "prompt_login": true}))
                .unwrap();
        assert_eq!((json.max_age.as_str(), json.prompt_login), ("600", true));
        let json: OidcSettingsInput =
            serde_json::from_value(serde_json::json!({"max_age": null})).unwrap();
        assert_eq!((json.max_age.as_str(), json.prompt_login), ("", false));
        assert!(serde_json::from_value::<OidcSettingsInput>(
            serde_json::json!({"prompt_login": "maybe"})
        )
        .is_err());
    }
}
