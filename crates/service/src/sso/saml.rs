//! SAML 2.0 for organizations: settings (parsed and checked on save), SP
//! metadata, SP-initiated sign-in (AuthnRequest over HTTP-Redirect), the ACS
//! (the same `orgsso_saml::verify` as `orgsso saml verify`), IdP-initiated
//! sign-in, the replay cache and re-checking the last refused response.

use super::{
    OrgAdmin, PendingSignIn, SavedConfig, SignInError, SignInFinished, SsoFinished, SsoIdentity,
    SsoRefusal,
};
use crate::{Caller, Entity, Hub, Precondition, ServiceError, ServiceResult};
use orgsso_core::{Action, FieldError, OrgName, Timestamp};
use orgsso_saml::{IdpCertificate, SpConfig, VerifiedAssertion};
use orgsso_store::{NewSsoConfig, Org, SsoConfig, SsoProtocol, SsoPurpose, User};
use serde::{Deserialize, Serialize};

/// A certificate expiring within this many days is flagged on the settings page.
pub const CERT_WARNING_DAYS: i64 = 30;

/// The SAML settings of one configuration, stored as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SamlSettings {
    pub idp_sso_url: String,
    pub idp_entity_id: String,
    /// PEM certificates; a signature by any of them is accepted (key rotation).
    pub certificates: Vec<String>,
    #[serde(default)]
    pub allow_sha1: bool,
    /// Accept a Response whose signature covers its one unsigned Assertion (Shibboleth's
    /// default); off, only a signed Assertion is accepted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub accept_response_only_signature: bool,
    /// Sign every AuthnRequest (HTTP-Redirect binding, RSA-SHA256) with the org's SP
    /// signing key, for IdPs that require it; SP metadata then says so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sign_authn_requests: bool,
    /// Where the fields were imported from, so the admin can import again after the
    /// IdP rotates its key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_url: Option<String>,
    /// Email domains just-in-time membership admits; empty: the org's SSO domains.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub jit_domains: Vec<String>,
}

/// What the admin typed (form or API body), before checking.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SamlSettingsInput {
    pub idp_sso_url: String,
    pub idp_entity_id: String,
    #[serde(rename = "certificates")]
    pub certificates_pem: String,
    pub metadata_xml: String,
    /// Where the IdP publishes its metadata; fetched on save when no XML is given.
    pub metadata_url: String,
    pub allow_sha1: bool,
    pub accept_response_only_signature: bool,
    pub sign_authn_requests: bool,
    /// Domains separated by commas or spaces; empty: the org's SSO domains.
    pub jit_domains: String,
}

/// A certificate as the settings page shows it.
#[derive(Clone, Debug)]
pub struct CertificateInfo {
    pub subject: String,
    pub fingerprint_sha256: String,
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub expiring_soon: bool,
    pub expired: bool,
}

/// The SP side of an organization: what the admin registers at the IdP.
#[derive(Clone, Debug)]
pub struct SpEndpoints {
    pub entity_id: String,
    pub acs_url: String,
    pub metadata_url: String,
}

impl SamlSettings {
    pub fn from_config(config: &SsoConfig) -> Option<Self> {
        (config.protocol == SsoProtocol::Saml)
            .then(|| serde_json::from_str(&config.settings).ok())
            .flatten()
    }

    fn sp_config(&self, sp: &SpEndpoints) -> Result<SpConfig, SsoRefusal> {
        let mut certs = Vec::new();
        for pem in &self.certificates {
            let cert =
                IdpCertificate::from_pem(pem).map_err(|e| SsoRefusal::BadSamlConfiguration {
                    problem: e.to_string(),
                })?;
            certs.push(cert);
        }
        let mut config = SpConfig::new(sp.entity_id.clone(), sp.acs_url.clone(), certs);
        config.idp_entity_id = Some(self.idp_entity_id.clone());
        config.allow_sha1 = self.allow_sha1;
        config.accept_response_only_signature = self.accept_response_only_signature;
        Ok(config)
    }
}

pub fn certificate_info(pem: &str, now: Timestamp) -> Option<CertificateInfo> {
    let cert = IdpCertificate::from_pem(pem).ok()?;
    Some(CertificateInfo {
        subject: cert.subject().to_owned(),
        fingerprint_sha256: cert.sha256_fingerprint_hex(),
        not_before: cert.not_before(),
        not_after: cert.not_after(),
        expiring_soon: cert.not_after() < now.plus_seconds(CERT_WARNING_DAYS * 24 * 3600),
        expired: cert.not_after() <= now,
    })
}

/// Splits pasted text into PEM certificate blocks (several may be pasted at once).
fn split_pem_blocks(text: &str) -> Vec<String> {
    const END: &str = "-----END CERTIFICATE-----";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN") {
        let after = &rest[start..];
        match after.find(END) {
            Some(end) => {
                blocks.push(after[..end + END.len()].to_owned());
                rest = &after[end + END.len()..];
            }
            None => {
                blocks.push(after.to_owned());
                break;
            }
        }
    }
    if blocks.is_empty() && !text.trim().is_empty() {
        blocks.push(text.trim().to_owned());
    }
    blocks
}

/// `https://…`, or `http://` on a loopback host (local trials).
fn check_idp_url(field: &'static str, url: &str) -> Result<(), FieldError> {
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"];
    let host_start = |prefix: &str| {
        url.strip_prefix(prefix)
            .is_some_and(|r| r.is_empty() || r.starts_with([':', '/', '?']))
    };
    if url.len() > 2048 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(FieldError::new(field, "must be a URL without spaces"));
    }
    if url.starts_with("https://") && url.len() > "https://".len()
        || loopback.iter().any(|p| host_start(p))
    {
        Ok(())
    } else {
        Err(FieldError::new(
            field,
            "must be an https:// URL (http:// only on localhost)",
        ))
    }
}

impl SamlSettingsInput {
    /// Checks every field; a metadata document, when given, fills the fields it holds.
    pub fn validate(mut self, now: Timestamp) -> Result<SamlSettings, FieldError> {
        if !self.metadata_xml.trim().is_empty() {
            let md = orgsso_saml::parse_idp_metadata(&self.metadata_xml)
                .map_err(|e| FieldError::new("metadata_xml", e.to_string()))?;
            self.idp_entity_id = md.entity_id;
            self.idp_sso_url = md.sso_url;
            self.certificates_pem = md.certificates_pem.join("\n");
        }
        let idp_sso_url = self.idp_sso_url.trim().to_owned();
        check_idp_url("idp_sso_url", &idp_sso_url)?;
        let idp_entity_id = self.idp_entity_id.trim().to_owned();
        if idp_entity_id.is_empty()
            || idp_entity_id.len() > 1024
            || idp_entity_id.chars().any(char::is_control)
        {
            return Err(FieldError::new(
                "idp_entity_id",
                "is required (the IdP's entity ID / issuer, up to 1024 characters)",
            ));
        }
        let jit_domains = super::parse_jit_domains(&self.jit_domains)?;
        let blocks = split_pem_blocks(&self.certificates_pem);
        if blocks.is_empty() {
            return Err(FieldError::new(
                "certificates",
                "at least one IdP signing certificate (PEM) is required",
            ));
        }
        if blocks.len() > 5 {
            return Err(FieldError::new(
                "certificates",
                "at most 5 certificates can be active at once",
            ));
        }
        let mut certificates = Vec::new();
        for (i, block) in blocks.iter().enumerate() {
            let cert = IdpCertificate::from_pem(block).map_err(|e| {
                FieldError::new("certificates", format!("certificate #{}: {e}", i + 1))
            })?;
            if cert.not_after() <= now {
                return Err(FieldError::new(
                    "certificates",
                    format!(
                        "certificate #{} ({}) expired on {}",
                        i + 1,
                        cert.subject(),
                        cert.not_after()
                    ),
                ));
            }
            certificates.push(block.trim().to_owned() + "\n");
        }
        Ok(SamlSettings {
            idp_sso_url,
            idp_entity_id,
            certificates,
            allow_sha1: self.allow_sha1,
            accept_response_only_signature: self.accept_response_only_signature,
            sign_authn_requests: self.sign_authn_requests,
            metadata_url: None,
            jit_domains,
        })
    }
}

impl Hub {
    pub fn saml_endpoints(&self, org: &OrgName) -> SpEndpoints {
        let base = format!("{}/organizations/{org}/saml", self.config.base_url);
        SpEndpoints {
            entity_id: format!("{base}/metadata"),
            acs_url: format!("{base}/consume"),
            metadata_url: format!("{base}/metadata"),
        }
    }

    /// SP metadata for the organization (public: IdPs fetch it).
    pub async fn saml_metadata(&self, caller: &Caller, name: &OrgName) -> ServiceResult<String> {
        // Part of the way in: the SSO gate never holds it.
        let org = self
            .org_with_permission(caller, name, Action::SignInThroughSso)
            .await?
            .org;
        let sp = self.saml_endpoints(&org.name);
        // The configuration being tested or in use decides whether requests are signed.
        let signed = self
            .store
            .latest_sso_config(org.id)
            .await?
            .and_then(|c| SamlSettings::from_config(&c))
            .is_some_and(|s| s.sign_authn_requests);
        let keys = self.saml_metadata_keys(&org, signed).await?;
        Ok(orgsso_saml::sp_metadata_xml(
            &sp.entity_id,
            &sp.acs_url,
            &keys,
        ))
    }

    /// Saves a new SAML configuration (untested) and starts its test:
    /// returns the IdP URL to send the admin to.
    /// The IdP's metadata document at `url`, through the guarded IdP client.
    async fn fetch_saml_metadata(&self, url: &str) -> ServiceResult<String> {
        let refused = |why: String| {
            FieldError::new(
                "metadata_url",
                format!("the IdP metadata could not be fetched from {url}: {why}"),
            )
        };
        let http = self.http().await?;
        let body = orgsso_oidc::fetch_document(http, url)
            .await
            .map_err(refused)?;
        String::from_utf8(body).map_err(|_| refused("it is not UTF-8 text".into()).into())
    }

    pub async fn save_saml_config(
        &self,
        caller: &Caller,
        admin: &OrgAdmin,
        input: SamlSettingsInput,
    ) -> ServiceResult<SavedConfig> {
        let org = admin.org();
        let from_url =
            input.metadata_xml.trim().is_empty() && !input.metadata_url.trim().is_empty();
        let input_url = input.metadata_url.clone();
        let input = if from_url {
            SamlSettingsInput {
                metadata_xml: self.fetch_saml_metadata(input.metadata_url.trim()).await?,
                ..input
            }
        } else {
            input
        };
        let mut settings = input.validate(self.clock.now()).map_err(|e| {
            // A document that came from the URL is reported on the field the admin filled.
            match (from_url, e.field) {
                (true, "metadata_xml") => FieldError::new(
                    "metadata_url",
                    format!(
                        "the document at {} is not usable IdP metadata: {}",
                        input_url.trim(),
                        e.message
                    ),
                ),
                _ => e,
            }
        })?;
        if from_url {
            settings.metadata_url = Some(input_url.trim().to_owned());
        }
        let json = serde_json::to_string(&settings).map_err(|_| Precondition::SettingsNotStored)?;
        let config = self
            .store
            .create_sso_config(NewSsoConfig {
                org: org.id,
                protocol: SsoProtocol::Saml,
                settings: json,
                secret_ciphertext: None,
                created_by: admin.admin(),
                now: self.clock.now(),
            })
            .await?;
        let mut detail = format!(
            "SAML configuration #{} saved: IdP {} at {}, {} certificate(s)",
            config.id,
            settings.idp_entity_id,
            settings.idp_sso_url,
            settings.certificates.len()
        );
        if let Some(url) = &settings.metadata_url {
            detail.push_str(&format!(", imported from {url}"));
        }
        if !settings.jit_domains.is_empty() {
            detail.push_str(&format!(
                ", just-in-time domains {}",
                settings.jit_domains.join(", ")
            ));
        }
        if settings.sign_authn_requests {
            detail.push_str(", AuthnRequests signed");
        }
        self.record_config_saved(admin, &config, "saml", detail)
            .await?;
        let test_url = self
            .saml_redirect(caller, org, &config, &settings, SsoPurpose::Test, "")
            .await?;
        Ok(SavedConfig {
            config: config.id,
            test_url,
        })
    }

    pub(crate) async fn saml_redirect(
        &self,
        caller: &Caller,
        org: &Org,
        config: &SsoConfig,
        settings: &SamlSettings,
        purpose: SsoPurpose,
        return_to: &str,
    ) -> ServiceResult<String> {
        // 256 random bits; the leading underscore makes it a valid XML ID.
        let request_id = format!("_{}", self.entropy.token().expose());
        let handle = self
            .begin_sso_request(
                caller,
                org,
                config,
                PendingSignIn {
                    purpose,
                    return_to,
                    handle: None,
                    nonce: None,
                    pkce_verifier: None,
                    saml_request_id: Some(request_id.clone()),
                },
            )
            .await?;
        let sp = self.saml_endpoints(&org.name);
        let xml = orgsso_saml::authn_request_xml(
            &request_id,
            self.clock.now(),
            &settings.idp_sso_url,
            &sp.entity_id,
            &sp.acs_url,
        );
        if settings.sign_authn_requests {
            let key = self.saml_signing_key(org).await?;
            return orgsso_saml::signed_redirect_binding_url(
                &settings.idp_sso_url,
                &xml,
                &handle,
                &key,
            )
            .map_err(|e| ServiceError::Store(orgsso_store::StoreError::Backend(e.into())));
        }
        Ok(orgsso_saml::redirect_binding_url(
            &settings.idp_sso_url,
            &xml,
            &handle,
        ))
    }

    /// The ACS: verifies a posted SAMLResponse for the signed-in caller.
    /// `relay_state` names the pending SP-initiated request, if any;
    /// without one the response is IdP-initiated.
    pub async fn consume_saml(
        &self,
        caller: &Caller,
        name: &OrgName,
        saml_response: &str,
        relay_state: &str,
    ) -> ServiceResult<SsoFinished> {
        // The ACS is the way in: the SSO gate never holds it.
        let org = self
            .org_with_permission(caller, name, Action::SignInThroughSso)
            .await?
            .org;
        let user = caller
            .user
            .clone()
            .ok_or(orgsso_core::Denied::LoginRequired)?;
        let outcome = self
            .consume_saml_for(caller, &org, &user, saml_response, relay_state)
            .await;
        self.end_sign_in(&org, &user, outcome).await
    }

    async fn consume_saml_for(
        &self,
        caller: &Caller,
        org: &Org,
        user: &User,
        saml_response: &str,
        relay_state: &str,
    ) -> Result<SsoFinished, SignInError> {
        let request = self
            .take_sso_request(caller, org, relay_state.trim())
            .await?;
        let (config, purpose, return_to, expected_irt) = match request {
            Some(r) => {
                let config = self
                    .store
                    .sso_config(r.config)
                    .await?
                    .ok_or(ServiceError::NotFound(Entity::SsoConfiguration))?;
                (config, r.purpose, r.return_to, r.saml_request_id)
            }
            None => {
                let state = self.store.org_sso(org.id).await?;
                let config = match (state.enabled(), state.active_config) {
                    (true, Some(id)) => self.store.sso_config(id).await?,
                    _ => None,
                };
                let Some(config) = config else {
                    return Err(SsoRefusal::NotEnabled.into());
                };
                if !state.allow_idp_initiated {
                    return Err(SsoRefusal::IdpInitiatedDisabled {
                        org: org.name.clone(),
                    }
                    .into());
                }
                (config, SsoPurpose::Login, String::new(), None)
            }
        };
        // Whatever refuses the answer from here on refuses the sign-in it was for.
        let answer = async {
            let Some(settings) = SamlSettings::from_config(&config) else {
                return Err(Precondition::NotSaml.into());
            };
            let now = self.clock.now();
            let decryption_keys = self.saml_decryption_keys(org).await?;
            let assertion = match self
                .verify_saml(
                    org,
                    &settings,
                    decryption_keys,
                    saml_response,
                    expected_irt,
                    now,
                )
                .await
            {
                Ok(a) => a,
                Err(refusal) => {
                    self.store
                        .put_failed_response(org.id, saml_response, now)
                        .await?;
                    return Err(refusal.into());
                }
            };
            let keep_until = assertion
                .not_on_or_after
                .plus_seconds(i64::from(orgsso_saml::DEFAULT_CLOCK_SKEW_S));
            if !self
                .store
                .remember_assertion(&assertion.issuer, &assertion.assertion_id, keep_until, now)
                .await?
            {
                return Err(SsoRefusal::Replayed {
                    assertion_id: assertion.assertion_id,
                    issuer: assertion.issuer,
                }
                .into());
            }
            let identity = SsoIdentity {
                subject: assertion.name_id.clone(),
                email: assertion.email.to_lowercase(),
                claims: serde_json::json!({
                    "name_id": assertion.name_id,
                    "name_id_format": assertion.name_id_format,
                    "session_index": assertion.session_index,
                    "issuer": assertion.issuer,
                    "attributes": assertion.attributes,
                }),
                session_not_on_or_after: assertion.session_not_on_or_after,
            };
            // The browser that finishes is the one the session belongs to: for
            // an SP-initiated sign-in, the one that started it (checked above).
            let Some(hub_session) = caller.session.as_ref() else {
                return Err(orgsso_core::Denied::LoginRequired.into());
            };
            let finished = SignInFinished {
                user,
                org,
                config: &config,
                purpose,
                return_to: &return_to,
                hub_session_hash: &hub_session.id_hash,
            };
            self.complete_sso(caller, finished, identity).await
        }
        .await;
        answer.map_err(|e| e.during(purpose))
    }

    async fn verify_saml(
        &self,
        org: &Org,
        settings: &SamlSettings,
        decryption_keys: Result<Vec<orgsso_saml::SpDecryptionKey>, String>,
        response: &str,
        expected_irt: Option<String>,
        now: Timestamp,
    ) -> Result<VerifiedAssertion, SsoRefusal> {
        let sp = self.saml_endpoints(&org.name);
        let mut config = settings.sp_config(&sp)?;
        // Keys that cannot be opened only matter to an encrypted response.
        let key_problem = decryption_keys.as_ref().err().cloned();
        config.decryption_keys = decryption_keys.unwrap_or_default();
        let solicited = expected_irt.is_some();
        config.expected_in_response_to = expected_irt;
        let assertion = run_verifier(response, config, now)
            .await?
            .map_err(|rejection| SsoRefusal::SamlRejected {
                rejection,
                key_problem,
            })?;
        // An answer to a request this browser did not start (or that expired) is not unsolicited.
        if !solicited && assertion.in_response_to.is_some() {
            return Err(SsoRefusal::UnknownSamlRequest {
                in_response_to: assertion.in_response_to.unwrap_or_default(),
            });
        }
        Ok(assertion)
    }

    /// Re-checks the last refused response against the newest configuration,
    /// at the time it arrived: the admin sees whether an edit fixed it.
    pub async fn recheck_failed_saml(
        &self,
        admin: &OrgAdmin,
    ) -> ServiceResult<Result<VerifiedAssertion, String>> {
        let org = admin.org();
        let (response, at) = self
            .store
            .failed_response(org.id)
            .await?
            .ok_or(ServiceError::NotFound(Entity::RefusedResponse))?;
        let config = self
            .store
            .latest_sso_config(org.id)
            .await?
            .ok_or(ServiceError::NotFound(Entity::SsoConfiguration))?;
        let settings = SamlSettings::from_config(&config).ok_or(Precondition::NewestNotSaml)?;
        let sp = self.saml_endpoints(&org.name);
        let mut sp_config = match settings.sp_config(&sp) {
            Ok(c) => c,
            Err(refusal) => return Ok(Err(refusal.admin_detail())),
        };
        sp_config.decryption_keys = match self.saml_decryption_keys(org).await? {
            Ok(keys) => keys,
            Err(problem) => return Ok(Err(problem)),
        };
        Ok(match run_verifier(&response, sp_config, at).await {
            Ok(verdict) => verdict.map_err(|r| format!("{} ({})", r, r.code())),
            Err(refusal) => Err(refusal.admin_detail()),
        })
    }
}

/// Verifications allowed at once, per core: XML parsing, canonicalization and RSA are CPU
/// work, so more than this only queues behind the cores and starves the async runtime.
const VERIFICATIONS_PER_CORE: usize = 2;

/// A verification (waiting for a slot included) that has not finished by then is refused.
/// The input limits keep the worst hostile Response to a few milliseconds
/// (`cargo bench -p orgsso-saml --bench hostile`); this is for a saturated machine.
const VERIFY_DEADLINE: std::time::Duration = std::time::Duration::from_secs(5);

/// The slots bounding concurrent verifications: `VERIFICATIONS_PER_CORE` × cores, shared by
/// every hub in the process (they share the cores).
fn verification_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        tokio::sync::Semaphore::new(cores * VERIFICATIONS_PER_CORE)
    })
}

/// Runs `orgsso_saml::verify` on the blocking pool, bounded in concurrency and in time, so a
/// slow Response cannot stall the async runtime. The permit moves into the blocking task: a
/// verification abandoned at the deadline keeps its slot until it really ends.
async fn run_verifier(
    response: &str,
    config: SpConfig,
    now: Timestamp,
) -> Result<Result<VerifiedAssertion, orgsso_saml::Rejection>, SsoRefusal> {
    let busy = |reason: String| SsoRefusal::VerifierUnavailable { reason };
    let response = response.as_bytes().to_vec();
    let work = async {
        let permit = verification_slots()
            .acquire()
            .await
            .map_err(|_| busy("the verifier is shutting down".into()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            orgsso_saml::verify(&response, &config, now)
        })
        .await
        .map_err(|e| busy(format!("the verifier failed: {e}")))
    };
    tokio::time::timeout(VERIFY_DEADLINE, work)
        .await
        .unwrap_or_else(|_| {
            Err(busy(format!(
                "the response was not verified within {} s (server busy)",
                VERIFY_DEADLINE.as_secs()
            )))
        })
}
