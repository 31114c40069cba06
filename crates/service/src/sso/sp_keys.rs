//! The organization's SAML SP key pairs: one signs AuthnRequests, one decrypts
//! EncryptedAssertions. Generated on first need, private keys sealed with the secrets key
//! (bound to the org and the use), published in SP metadata, and rotated in two steps: a
//! new key next to the old (both decrypt), then the old one retired.

use super::OrgAdmin;
use crate::{Hub, ServiceError, ServiceResult};
use base64::Engine as _;
use orgsso_core::Timestamp;
use orgsso_saml::{SpDecryptionKey, SpMetadataKeys, SpSigningKey};
use orgsso_store::{NewSpKey, Org, SpKey, SpKeyUse, StoreError};

/// One SP key as the settings page shows it.
#[derive(Clone, Debug)]
pub struct SpKeyInfo {
    pub usage: SpKeyUse,
    /// `false`: the previous key of a rotation, still published and still decrypting.
    pub current: bool,
    pub certificate_pem: String,
    pub fingerprint_sha256: String,
    pub created_at: Timestamp,
}

/// What a rotation action did, for the page and the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpKeyRotation {
    Started,
    /// A rotation is already under way: retire the previous keys first.
    AlreadyRotating,
    Retired {
        keys: u64,
    },
    NothingToRetire,
}

fn seal_context(org: &Org, usage: SpKeyUse) -> String {
    format!("orgsso/saml-sp-key/org/{}/{}", org.id, usage.as_str())
}

/// A server-side fault (key generation, a sealed key the secrets key cannot open): a 500
/// whose cause is logged, never a refusal of the request.
fn internal(detail: String) -> ServiceError {
    ServiceError::Store(StoreError::Backend(detail.into()))
}

impl Hub {
    /// Generates one key pair per use, off the async runtime (RSA key generation is slow).
    async fn generate_sp_keys(&self, org: &Org) -> ServiceResult<Vec<NewSpKey>> {
        let common_name = format!("{} SAML SP", self.saml_endpoints(&org.name).entity_id);
        let now = self.clock.now().unix();
        let mut keys = Vec::new();
        for usage in SpKeyUse::ALL {
            let name = common_name.clone();
            let generated =
                tokio::task::spawn_blocking(move || orgsso_saml::generate_sp_key(&name, now))
                    .await
                    .map_err(|e| internal(format!("SP key generation stopped: {e}")))?
                    .map_err(|e| internal(e.to_string()))?;
            let encoded = base64::engine::general_purpose::STANDARD.encode(&generated.pkcs8_der);
            keys.push(NewSpKey {
                usage,
                private_key_ciphertext: self.secrets.seal(
                    &encoded,
                    &seal_context(org, usage),
                    self.entropy.as_ref(),
                ),
                certificate_pem: generated.certificate_pem,
            });
        }
        Ok(keys)
    }

    /// The org's SP keys, generated on first need (a concurrent first use elsewhere wins).
    pub(crate) async fn ensure_sp_keys(&self, org: &Org) -> ServiceResult<Vec<SpKey>> {
        let keys = self.store.sp_keys(org.id).await?;
        if SpKeyUse::ALL
            .iter()
            .all(|u| keys.iter().any(|k| k.usage == *u && k.current))
        {
            return Ok(keys);
        }
        // One generation at a time in this process: a burst of first uses (metadata is
        // public) costs one key generation, not one per request.
        static GENERATING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        let _one_at_a_time = GENERATING.lock().await;
        let keys = self.store.sp_keys(org.id).await?;
        if SpKeyUse::ALL
            .iter()
            .all(|u| keys.iter().any(|k| k.usage == *u && k.current))
        {
            return Ok(keys);
        }
        let new = self.generate_sp_keys(org).await?;
        let missing: Vec<NewSpKey> = new
            .into_iter()
            .filter(|n| !keys.iter().any(|k| k.usage == n.usage && k.current))
            .collect();
        self.store
            .create_sp_keys(org.id, &missing, self.clock.now())
            .await?;
        Ok(self.store.sp_keys(org.id).await?)
    }

    fn open_sp_key(&self, org: &Org, key: &SpKey) -> Result<Vec<u8>, String> {
        let encoded = self
            .secrets
            .open(&key.private_key_ciphertext, &seal_context(org, key.usage))
            .ok_or_else(|| {
                format!(
                    "the organization's {} SP key cannot be opened with this server's secrets key (was the key changed?)",
                    key.usage.as_str()
                )
            })?;
        base64::engine::general_purpose::STANDARD
            .decode(encoded.expose())
            .map_err(|_| "a stored SP key is corrupt".to_owned())
    }

    /// Every decryption key of the org, the current one first; the inner error says why a
    /// stored key cannot be used (a changed secrets key), which only an encrypted response
    /// needs to report. A storage failure is the outer error, never a refusal.
    pub(crate) async fn saml_decryption_keys(
        &self,
        org: &Org,
    ) -> ServiceResult<Result<Vec<SpDecryptionKey>, String>> {
        let keys = self.ensure_sp_keys(org).await?;
        Ok(keys
            .iter()
            .filter(|k| k.usage == SpKeyUse::Encryption)
            .map(|k| {
                let der = self.open_sp_key(org, k)?;
                SpDecryptionKey::from_pkcs8_der(&der).map_err(|e| e.to_string())
            })
            .collect())
    }

    /// The current signing key of the org.
    pub(crate) async fn saml_signing_key(&self, org: &Org) -> ServiceResult<SpSigningKey> {
        let keys = self.ensure_sp_keys(org).await?;
        let key = keys
            .iter()
            .find(|k| k.usage == SpKeyUse::Signing && k.current)
            .ok_or_else(|| internal("the SP signing key is missing".into()))?;
        let der = self.open_sp_key(org, key).map_err(internal)?;
        SpSigningKey::from_pkcs8_der(&der).map_err(|e| internal(e.to_string()))
    }

    /// The certificates SP metadata publishes, current first.
    pub(crate) async fn saml_metadata_keys(
        &self,
        org: &Org,
        authn_requests_signed: bool,
    ) -> ServiceResult<SpMetadataKeys> {
        let keys = self.ensure_sp_keys(org).await?;
        let of = |usage: SpKeyUse| -> Vec<String> {
            keys.iter()
                .filter(|k| k.usage == usage)
                .map(|k| k.certificate_pem.clone())
                .collect()
        };
        Ok(SpMetadataKeys {
            signing_certificates: of(SpKeyUse::Signing),
            encryption_certificates: of(SpKeyUse::Encryption),
            authn_requests_signed,
        })
    }

    /// The org's SP keys for its admins (created if this is their first need).
    pub async fn saml_sp_keys(&self, admin: &OrgAdmin) -> ServiceResult<Vec<SpKeyInfo>> {
        let org = admin.org();
        let keys = self.ensure_sp_keys(org).await?;
        Ok(keys
            .into_iter()
            .map(|k| SpKeyInfo {
                usage: k.usage,
                current: k.current,
                fingerprint_sha256: orgsso_saml::IdpCertificate::from_pem(&k.certificate_pem)
                    .map(|c| c.sha256_fingerprint_hex())
                    .unwrap_or_default(),
                certificate_pem: k.certificate_pem,
                created_at: k.created_at,
            })
            .collect())
    }

    /// Starts a rotation: new signing and encryption keys become current and are published
    /// next to the old ones, which keep decrypting until retired.
    pub async fn rotate_saml_sp_keys(&self, admin: &OrgAdmin) -> ServiceResult<SpKeyRotation> {
        let org = admin.org();
        self.ensure_sp_keys(org).await?;
        let new = self.generate_sp_keys(org).await?;
        if !self
            .store
            .rotate_sp_keys(org.id, &new, self.clock.now())
            .await?
        {
            return Ok(SpKeyRotation::AlreadyRotating);
        }
        self.audit(
            org,
            Some(admin.admin()),
            "sso.sp_keys_rotated",
            "SAML SP key rotation started: new signing and encryption keys are published next to the previous ones, which still decrypt until retired".into(),
        )
        .await?;
        Ok(SpKeyRotation::Started)
    }

    /// Finishes a rotation: the previous keys are deleted and no longer published.
    pub async fn retire_saml_sp_keys(&self, admin: &OrgAdmin) -> ServiceResult<SpKeyRotation> {
        let org = admin.org();
        let keys = self.store.retire_sp_keys(org.id).await?;
        if keys == 0 {
            return Ok(SpKeyRotation::NothingToRetire);
        }
        self.audit(
            org,
            Some(admin.admin()),
            "sso.sp_keys_retired",
            format!("SAML SP key rotation finished: {keys} previous key(s) retired and no longer published or used"),
        )
        .await?;
        Ok(SpKeyRotation::Retired { keys })
    }
}
