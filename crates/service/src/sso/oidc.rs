//! OpenID Connect for organizations: settings (issuer checked by discovery on
//! save, client secret sealed at rest), the authorization code flow with
//! PKCE, state and nonce bound to the browser's hub session, and the
//! callback. Protocol checks are `orgsso_oidc`'s; this wires them to the org.

use super::{PendingSignIn, SavedConfig, SignInFinished, SsoFinished, SsoIdentity, SsoRefusal};
use crate::{Caller, Hub, ServiceError, ServiceResult};
use orgsso_core::{Action, FieldError, OrgName, Secret};
use orgsso_oidc::{EmailClaim, Provider, ProviderSettings, RedirectUri};
use orgsso_store::{NewSsoConfig, Org, SsoConfig, SsoProtocol, SsoPurpose};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The OIDC settings of one configuration, stored as JSON (the secret is stored sealed, apart).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OidcSettings {
    pub issuer_url: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub email_claim: String,
    /// Email domains just-in-time membership admits; empty: the org's SSO domains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jit_domains: Vec<String>,
    /// A claim every sign-in must carry (e.g. `hd`, `tid`, a group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_claim: Option<RequiredClaim>,
}

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
        let got = match found {
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
        Err(SsoRefusal {
            code: "oidc.required_claim_missing",
            member_message: "Your identity provider account is not one this organization accepts (it lacks a required claim). Sign in at the identity provider with your organization account, or ask an organization admin.".into(),
            admin_detail: format!(
                "the configuration requires the claim {} to be {:?} (or an array containing it), but {got}",
                self.name, self.value
            ),
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
}

/// How long a discovery document is trusted before it is fetched again.
const PROVIDER_CACHE_TTL_S: i64 = 3600;

/// Discovered providers by issuer, with their JWKS caches, shared by all requests.
#[derive(Default)]
pub struct ProviderCache {
    http: tokio::sync::OnceCell<orgsso_oidc::HttpClient>,
    providers: tokio::sync::Mutex<HashMap<String, (Provider, orgsso_core::Timestamp)>>,
}

impl OidcSettings {
    pub fn from_config(config: &SsoConfig) -> Option<Self> {
        (config.protocol == SsoProtocol::Oidc)
            .then(|| serde_json::from_str(&config.settings).ok())
            .flatten()
    }

    fn email_claim(&self) -> EmailClaim {
        EmailClaim::parse(&self.email_claim).unwrap_or(EmailClaim::Email)
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
            .map_err(|_| {
                ServiceError::Precondition("the HTTP client for identity providers could not start")
            })
    }

    /// The provider for `issuer`: discovered, then served from the cache for
    /// an hour (its JWKS refreshes itself on unknown keys). Discovery runs
    /// outside the lock, so a slow IdP does not hold up other organizations.
    async fn provider(&self, issuer: &str) -> Result<Provider, orgsso_oidc::DiscoveryError> {
        let now = self.clock.now();
        if let Some((p, at)) = self.providers.providers.lock().await.get(issuer) {
            if now.unix() - at.unix() < PROVIDER_CACHE_TTL_S {
                return Ok(p.clone());
            }
        }
        let http = self
            .http()
            .await
            .map_err(|_| orgsso_oidc::DiscoveryError::Unreachable {
                url: issuer.to_owned(),
                reason: "no HTTP client".into(),
            })?;
        let provider = orgsso_oidc::discover(http, issuer, now).await?;
        self.providers
            .providers
            .lock()
            .await
            .insert(issuer.to_owned(), (provider.clone(), now));
        Ok(provider)
    }

    /// Checks the settings (discovery included), saves a new untested
    /// configuration and starts its test: returns the IdP URL for the admin.
    pub async fn save_oidc_config(
        &self,
        caller: &Caller,
        name: &OrgName,
        input: OidcSettingsInput,
    ) -> ServiceResult<SavedConfig> {
        let org = self.org_admin(caller, name).await?;
        let admin = caller.writer()?;
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
        let settings = OidcSettings {
            issuer_url: issuer_url.clone(),
            client_id,
            scopes,
            email_claim: email_claim.as_str().to_owned(),
            jit_domains,
            required_claim,
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
                &secret_context(&org),
                self.entropy.as_ref(),
            )
        };
        // Drop any cached provider: the admin may have fixed the IdP since.
        self.providers.providers.lock().await.remove(&issuer_url);
        self.provider(&issuer_url)
            .await
            .map_err(|e| FieldError::new("issuer_url", e.to_string()))?;
        let json = serde_json::to_string(&settings)
            .map_err(|_| ServiceError::Precondition("the settings could not be stored"))?;
        let config = self
            .store
            .create_sso_config(NewSsoConfig {
                org: org.id,
                protocol: SsoProtocol::Oidc,
                settings: json,
                secret_ciphertext: Some(secret_ciphertext),
                created_by: admin.id,
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
        self.audit(&org, Some(admin.id), "sso.config_saved", detail)
            .await?;
        let test_url = self
            .oidc_redirect(caller, &org, &config, &settings, SsoPurpose::Test, "")
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
            .ok_or_else(|| SsoRefusal {
                code: "oidc.secret_unreadable",
                member_message: "The organization's SSO configuration is broken. Tell an organization admin.".into(),
                admin_detail: "the stored client secret cannot be decrypted (was the server's secrets key changed?); save the configuration again with the secret".into(),
            })?;
        Ok(ProviderSettings {
            issuer_url: settings.issuer_url.clone(),
            client_id: settings.client_id.clone(),
            client_secret: Secret::new(secret.expose().clone()),
            scopes: settings.scopes.clone(),
            email_claim: settings.email_claim(),
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
        let provider = self.provider(&settings.issuer_url).await.map_err(|e| {
            ServiceError::SsoRefused(SsoRefusal {
                code: e.code(),
                member_message: "The organization's identity provider cannot be reached right now. Try again later.".into(),
                admin_detail: e.to_string(),
            })
        })?;
        let provider_settings = self
            .provider_settings(org, config, settings)
            .map_err(ServiceError::SsoRefused)?;
        let redirect_uri =
            RedirectUri::parse(&self.oidc_callback_url(&org.name)).map_err(|_| {
                ServiceError::Precondition("the hub's base URL does not make a valid callback URL")
            })?;
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
        let state = params.get("state").map(String::as_str).unwrap_or("");
        let Some(request) = self.take_sso_request(caller, &org, state).await? else {
            let rejection = orgsso_oidc::Rejection::StateMismatch;
            return Err(self.refuse_sso(&org, Some(user.id), SsoRefusal {
                code: rejection.code(),
                member_message: "This sign-in was already used, took too long, or was started in another browser. Start it again from the organization's page.".into(),
                admin_detail: rejection.to_string(),
            }).await);
        };
        let config = self
            .store
            .sso_config(request.config)
            .await?
            .ok_or(ServiceError::NotFound("SSO configuration"))?;
        let Some(settings) = OidcSettings::from_config(&config) else {
            return Err(ServiceError::Precondition(
                "this sign-in was not started with OpenID Connect",
            ));
        };
        let idp_failure = |rejection: orgsso_oidc::Rejection| {
            SsoRefusal {
            code: rejection.code(),
            member_message: match &rejection {
                orgsso_oidc::Rejection::IdpError { error, .. } if error == "access_denied" => "The identity provider did not sign you in (access denied). You are not signed in to this organization.".into(),
                orgsso_oidc::Rejection::EmailNotVerified { .. } => "Your identity provider has not verified your email address. Verify it there, then sign in again.".into(),
                _ => "Your identity provider's answer could not be accepted, so you are not signed in. Try again; if it keeps failing, tell an organization admin (they can see the exact reason).".into(),
            },
            admin_detail: rejection.to_string(),
        }
        };
        if let Some(error) = params.get("error") {
            let rejection = orgsso_oidc::callback_error(
                error,
                params.get("error_description").map(String::as_str),
            );
            return Err(self
                .refuse_sso(&org, Some(user.id), idp_failure(rejection))
                .await);
        }
        let code = params.get("code").map(String::as_str).unwrap_or("");
        if code.is_empty() || code.len() > 4096 {
            return Err(self.refuse_sso(&org, Some(user.id), SsoRefusal {
                code: "oidc.missing_code",
                member_message: "The identity provider sent you back without a sign-in code. Start again from the organization's page.".into(),
                admin_detail: "the callback carried no authorization code".into(),
            }).await);
        }
        let provider_settings = match self.provider_settings(&org, &config, &settings) {
            Ok(p) => p,
            Err(refusal) => return Err(self.refuse_sso(&org, Some(user.id), refusal).await),
        };
        let provider = match self.provider(&settings.issuer_url).await {
            Ok(p) => p,
            Err(e) => {
                let refusal = SsoRefusal { code: e.code(), member_message: "The organization's identity provider cannot be reached right now. Try again later.".into(), admin_detail: e.to_string() };
                return Err(self.refuse_sso(&org, Some(user.id), refusal).await);
            }
        };
        // RFC 9207: a code from another IdP this browser talks to must not be replayed here.
        if let Err(rejection) =
            orgsso_oidc::check_callback_issuer(&provider, params.get("iss").map(String::as_str))
        {
            return Err(self
                .refuse_sso(&org, Some(user.id), idp_failure(rejection))
                .await);
        }
        let redirect_uri =
            RedirectUri::parse(&self.oidc_callback_url(&org.name)).map_err(|_| {
                ServiceError::Precondition("the hub's base URL does not make a valid callback URL")
            })?;
        let verifier = Secret::new(request.pkce_verifier.clone().unwrap_or_default());
        let nonce = request.nonce.clone().unwrap_or_default();
        let callback = orgsso_oidc::Callback {
            redirect_uri: &redirect_uri,
            code,
            pkce_verifier: &verifier,
            nonce: &nonce,
        };
        let http = self.http().await?;
        let login = match orgsso_oidc::complete(
            http,
            &provider,
            &provider_settings,
            callback,
            self.clock.now(),
            orgsso_oidc::DEFAULT_MAX_SKEW_S,
        )
        .await
        {
            Ok(l) => l,
            Err(rejection) => {
                return Err(self
                    .refuse_sso(&org, Some(user.id), idp_failure(rejection))
                    .await)
            }
        };
        let identity = SsoIdentity {
            subject: login.subject,
            email: login.email.to_string(),
            claims: login.claims,
            session_not_on_or_after: None,
        };
        let finished = SignInFinished {
            user: &user,
            org: &org,
            config: &config,
            purpose: request.purpose,
            return_to: &request.return_to,
            hub_session_hash: &request.hub_session_hash,
        };
        self.complete_sso(caller, finished, identity).await
    }
}
