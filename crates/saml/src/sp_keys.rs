//! The service provider's own RSA key pairs: generating one with its self-signed certificate
//! (published in SP metadata), and loading a private key to decrypt assertions or to sign
//! AuthnRequests. Private key bytes never appear in `Debug` output.

use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use rsa::RsaPrivateKey;
use std::fmt;

/// Size of every key pair we generate: what IdPs expect and `ring` signs with.
pub const SP_KEY_BITS: usize = 2048;

/// Validity of the self-signed certificate. IdPs only use it to carry the public key;
/// rotation is the admin's decision, not the certificate's expiry.
const CERT_VALIDITY_DAYS: i64 = 3650;

/// Why an SP key could not be generated or loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpKeyError {
    #[error("the private key is not an RSA key in PKCS#8 (-----BEGIN PRIVATE KEY-----) or PKCS#1 (-----BEGIN RSA PRIVATE KEY-----) form")]
    NotRsaPrivateKey,
    #[error("the RSA key has {bits} bits; at least {minimum} are required")]
    TooSmall { bits: usize, minimum: usize },
    #[error("the key pair could not be generated: {reason}")]
    Generation { reason: String },
    #[error("the AuthnRequest could not be signed")]
    Signing,
}

/// A freshly generated SP key pair: the PKCS#8 private key (to be sealed before storage)
/// and the self-signed certificate that carries its public half.
pub struct GeneratedSpKey {
    pub pkcs8_der: Vec<u8>,
    pub certificate_pem: String,
}

impl fmt::Debug for GeneratedSpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedSpKey")
            .field("pkcs8_der", &"***")
            .field("certificate_pem", &self.certificate_pem)
            .finish()
    }
}

/// Generates an RSA-2048 key pair from the OS CSPRNG and a self-signed certificate for it
/// (`CN=common_name`, valid from `not_before_unix` for ten years).
pub fn generate_sp_key(
    common_name: &str,
    not_before_unix: i64,
) -> Result<GeneratedSpKey, SpKeyError> {
    let generation = |reason: String| SpKeyError::Generation { reason };
    let key = RsaPrivateKey::new(&mut rand_core::OsRng, SP_KEY_BITS)
        .map_err(|e| generation(e.to_string()))?;
    let pkcs8 = key.to_pkcs8_der().map_err(|e| generation(e.to_string()))?;
    let pkcs8_der = pkcs8.as_bytes().to_vec();
    let certificate_pem = self_signed_certificate(&pkcs8_der, common_name, not_before_unix)?;
    Ok(GeneratedSpKey {
        pkcs8_der,
        certificate_pem,
    })
}

/// A self-signed certificate (RSA-SHA256) for the PKCS#8 RSA key.
pub fn self_signed_certificate(
    pkcs8_der: &[u8],
    common_name: &str,
    not_before_unix: i64,
) -> Result<String, SpKeyError> {
    let generation = |reason: String| SpKeyError::Generation { reason };
    // rcgen signs RSA-SHA256 with ring's RsaKeyPair, which takes the key as PKCS#8.
    let key_pair = rcgen::KeyPair::try_from(pkcs8_der).map_err(|e| generation(e.to_string()))?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, common_name);
    let start = time::OffsetDateTime::from_unix_timestamp(not_before_unix)
        .map_err(|e| generation(e.to_string()))?;
    params.not_before = start;
    params.not_after = start + time::Duration::days(CERT_VALIDITY_DAYS);
    let cert = params
        .self_signed(&key_pair)
        .map_err(|e| generation(e.to_string()))?;
    Ok(cert.pem())
}

/// An SP private key for decrypting `EncryptedAssertion`s, parsed once.
#[derive(Clone)]
pub struct SpDecryptionKey {
    pub(crate) key: RsaPrivateKey,
}

impl fmt::Debug for SpDecryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpDecryptionKey(***)")
    }
}

impl SpDecryptionKey {
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, SpKeyError> {
        let key = RsaPrivateKey::from_pkcs8_der(der).map_err(|_| SpKeyError::NotRsaPrivateKey)?;
        Self::checked(key)
    }

    /// A PEM private key: PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<Self, SpKeyError> {
        use rsa::pkcs1::DecodeRsaPrivateKey as _;
        let key = RsaPrivateKey::from_pkcs8_pem(pem.trim())
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem.trim()))
            .map_err(|_| SpKeyError::NotRsaPrivateKey)?;
        Self::checked(key)
    }

    fn checked(key: RsaPrivateKey) -> Result<Self, SpKeyError> {
        use rsa::traits::PublicKeyParts as _;
        let bits = key.size() * 8;
        if bits < SP_KEY_BITS {
            return Err(SpKeyError::TooSmall {
                bits,
                minimum: SP_KEY_BITS,
            });
        }
        Ok(Self { key })
    }
}

/// An SP private key for signing AuthnRequests (RSA-SHA256), parsed once.
pub struct SpSigningKey {
    pub(crate) key: ring::signature::RsaKeyPair,
}

impl fmt::Debug for SpSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SpSigningKey(***)")
    }
}

impl SpSigningKey {
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, SpKeyError> {
        let key = ring::signature::RsaKeyPair::from_pkcs8(der)
            .map_err(|_| SpKeyError::NotRsaPrivateKey)?;
        Ok(Self { key })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_comes_with_a_certificate_the_verifier_accepts() {
        let generated = generate_sp_key("sp.example", 1_700_000_000).unwrap();
        assert!(generated
            .certificate_pem
            .starts_with("-----BEGIN CERTIFICATE-----"));
        let cert = crate::IdpCertificate::from_pem(&generated.certificate_pem).unwrap();
        assert!(format!("{cert:?}").contains("sp.example"));
        SpDecryptionKey::from_pkcs8_der(&generated.pkcs8_der).unwrap();
        SpSigningKey::from_pkcs8_der(&generated.pkcs8_der).unwrap();
        assert!(!format!("{generated:?}").contains("pkcs8_der: ["));
    }

    #[test]
    fn a_certificate_is_not_a_private_key() {
        assert_eq!(
            SpDecryptionKey::from_pem(
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"
            )
            .unwrap_err(),
            SpKeyError::NotRsaPrivateKey
        );
    }
}
