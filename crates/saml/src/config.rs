//! What the service provider trusts and expects: pinned IdP certificates, entity IDs, ACS URL.

use base64::Engine as _;
use orgsso_core::Timestamp;
use sha2::{Digest, Sha256};
use std::fmt;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// Clock skew tolerated on every SAML time bound unless configured otherwise.
pub const DEFAULT_CLOCK_SKEW_S: u32 = 180;

/// One organization's SAML service-provider settings, built once and reused for every login.
#[derive(Clone, Debug)]
pub struct SpConfig {
    /// Trust anchors: a signature must verify with one of these keys. Their validity dates
    /// are informational only; the admin pinned them explicitly.
    pub idp_certificates: Vec<IdpCertificate>,
    /// When set, the Assertion Issuer (and the Response Issuer, when present) must equal it.
    pub idp_entity_id: Option<String>,
    pub sp_entity_id: String,
    pub acs_url: String,
    pub clock_skew_s: u32,
    /// `Some` for SP-initiated logins: the ID of the AuthnRequest this Response must answer.
    pub expected_in_response_to: Option<String>,
    /// Admits RSA-SHA1 / SHA-1 digests and, with them, the 1024-bit RSA keys such legacy
    /// IdPs still use.
    pub allow_sha1: bool,
    /// Accepts a Response whose own verified signature covers its one Assertion while the
    /// Assertion is unsigned (Shibboleth's default). Off: such a Response is refused.
    pub accept_response_only_signature: bool,
    /// The SP's private keys for `EncryptedAssertion`s, tried in order: the current one and,
    /// during a rotation, the previous one. Empty: encrypted assertions are refused.
    pub decryption_keys: Vec<crate::SpDecryptionKey>,
}

impl SpConfig {
    pub fn new(
        sp_entity_id: impl Into<String>,
        acs_url: impl Into<String>,
        idp_certificates: Vec<IdpCertificate>,
    ) -> Self {
        Self {
            idp_certificates,
            idp_entity_id: None,
            sp_entity_id: sp_entity_id.into(),
            acs_url: acs_url.into(),
            clock_skew_s: DEFAULT_CLOCK_SKEW_S,
            expected_in_response_to: None,
            allow_sha1: false,
            accept_response_only_signature: false,
            decryption_keys: Vec::new(),
        }
    }
}

/// Why an IdP certificate given by an admin cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertError {
    #[error("this is a private key; paste the IdP's public certificate (-----BEGIN CERTIFICATE-----) instead, and treat the key as compromised")]
    PrivateKey,
    #[error("no -----BEGIN CERTIFICATE----- ... -----END CERTIFICATE----- block found")]
    NotPem,
    #[error("the text holds {count} certificates; add each certificate on its own")]
    MultipleCertificates { count: usize },
    #[error("the certificate block is not valid base64")]
    InvalidBase64,
    #[error("the certificate is not a valid X.509 certificate: {reason}")]
    InvalidCertificate { reason: String },
    #[error(
        "the certificate's public key ({algorithm}) is not supported; use RSA or ECDSA P-256/P-384"
    )]
    UnsupportedKey { algorithm: String },
}

impl CertError {
    /// Stable identifier for JSON error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            Self::PrivateKey => "saml.cert.private_key",
            Self::NotPem => "saml.cert.not_pem",
            Self::MultipleCertificates { .. } => "saml.cert.multiple",
            Self::InvalidBase64 => "saml.cert.invalid_base64",
            Self::InvalidCertificate { .. } => "saml.cert.invalid",
            Self::UnsupportedKey { .. } => "saml.cert.unsupported_key",
        }
    }
}

/// The public key of a pinned certificate, in the encoding `ring` verifies with.
#[derive(Clone)]
pub(crate) enum TrustedKey {
    /// PKCS#1 RSAPublicKey DER.
    Rsa {
        der: Vec<u8>,
        bits: usize,
    },
    /// Uncompressed SEC1 points.
    EcP256(Vec<u8>),
    EcP384(Vec<u8>),
}

/// A pinned IdP signing certificate, parsed once.
#[derive(Clone)]
pub struct IdpCertificate {
    subject: String,
    sha256_fingerprint: [u8; 32],
    not_before: Timestamp,
    not_after: Timestamp,
    pub(crate) key: TrustedKey,
}

const BEGIN_CERT: &str = "-----BEGIN CERTIFICATE-----";
const END_CERT: &str = "-----END CERTIFICATE-----";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";

impl IdpCertificate {
    /// Parses exactly one PEM certificate.
    pub fn from_pem(pem: &str) -> Result<Self, CertError> {
        if pem.contains("PRIVATE KEY-----") {
            return Err(CertError::PrivateKey);
        }
        let count = pem.matches(BEGIN_CERT).count();
        if count > 1 {
            return Err(CertError::MultipleCertificates { count });
        }
        let body = pem
            .split_once(BEGIN_CERT)
            .and_then(|(_, rest)| rest.split_once(END_CERT))
            .map(|(body, _)| body)
            .ok_or(CertError::NotPem)?;
        let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .map_err(|_| CertError::InvalidBase64)?;
        Self::from_der(&der)
    }

    pub fn from_der(der: &[u8]) -> Result<Self, CertError> {
        let (rest, cert) =
            X509Certificate::from_der(der).map_err(|e| CertError::InvalidCertificate {
                reason: e.to_string(),
            })?;
        if !rest.is_empty() {
            return Err(CertError::InvalidCertificate {
                reason: "trailing bytes after the certificate".to_owned(),
            });
        }
        let spki = cert.public_key();
        let unsupported = || CertError::UnsupportedKey {
            algorithm: spki.algorithm.algorithm.to_id_string(),
        };
        let key = match spki.parsed().map_err(|_| unsupported())? {
            PublicKey::RSA(rsa) => TrustedKey::Rsa {
                der: spki.subject_public_key.data.to_vec(),
                bits: rsa.key_size(),
            },
            PublicKey::EC(_) => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.as_oid().ok())
                    .map(|oid| oid.to_id_string());
                let point = spki.subject_public_key.data.to_vec();
                match curve.as_deref() {
                    Some(OID_P256) => TrustedKey::EcP256(point),
                    Some(OID_P384) => TrustedKey::EcP384(point),
                    _ => return Err(unsupported()),
                }
            }
            _ => return Err(unsupported()),
        };
        let validity = cert.validity();
        Ok(Self {
            subject: cert.subject().to_string(),
            sha256_fingerprint: Sha256::digest(der).into(),
            not_before: Timestamp::from_unix(validity.not_before.timestamp()),
            not_after: Timestamp::from_unix(validity.not_after.timestamp()),
            key,
        })
    }

    pub fn subject(&self) -> &str {
        &self.subject
    }
    pub fn sha256_fingerprint(&self) -> [u8; 32] {
        self.sha256_fingerprint
    }
    /// `AB:CD:…`, the form IdP admin consoles display.
    pub fn sha256_fingerprint_hex(&self) -> String {
        let hex: Vec<String> = self
            .sha256_fingerprint
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        hex.join(":")
    }
    pub fn not_before(&self) -> Timestamp {
        self.not_before
    }
    pub fn not_after(&self) -> Timestamp {
        self.not_after
    }
    /// `RSA 2048`, `ECDSA P-256`: for the settings page.
    pub fn key_description(&self) -> String {
        match &self.key {
            TrustedKey::Rsa { bits, .. } => format!("RSA {bits}"),
            TrustedKey::EcP256(_) => "ECDSA P-256".to_owned(),
            TrustedKey::EcP384(_) => "ECDSA P-384".to_owned(),
        }
    }
}

impl fmt::Debug for IdpCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdpCertificate")
            .field("subject", &self.subject)
            .field("sha256", &self.sha256_fingerprint_hex())
            .field("key", &self.key_description())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA: &str = include_str!("../tests/fixtures/test-idp-rsa.crt");
    const EC: &str = include_str!("../tests/fixtures/test-idp-ec.crt");
    const ED25519: &str = include_str!("../tests/fixtures/test-ed25519.crt");
    const KEY: &str = include_str!("../tests/fixtures/test-idp-rsa.key");

    #[test]
    fn pem_certificate_exposes_what_the_settings_page_shows() {
        let cert = IdpCertificate::from_pem(RSA).unwrap();
        assert!(
            cert.subject().contains("CN=orgsso unit-test IdP (RSA)"),
            "{}",
            cert.subject()
        );
        assert_eq!(cert.key_description(), "RSA 2048");
        assert_eq!(cert.sha256_fingerprint_hex().len(), 32 * 3 - 1);
        assert!(cert.not_before() < cert.not_after());
        assert_eq!(
            IdpCertificate::from_pem(EC).unwrap().key_description(),
            "ECDSA P-256"
        );
    }

    #[test]
    fn private_key_is_refused_as_such() {
        assert_eq!(
            IdpCertificate::from_pem(KEY).unwrap_err(),
            CertError::PrivateKey
        );
        let both = format!("{RSA}{KEY}");
        assert_eq!(
            IdpCertificate::from_pem(&both).unwrap_err(),
            CertError::PrivateKey
        );
    }

    #[test]
    fn text_without_a_certificate_block_is_refused() {
        assert_eq!(
            IdpCertificate::from_pem("MIIB...").unwrap_err(),
            CertError::NotPem
        );
        let unterminated = RSA.replace(END_CERT, "");
        assert_eq!(
            IdpCertificate::from_pem(&unterminated).unwrap_err(),
            CertError::NotPem
        );
    }

    #[test]
    fn two_certificates_in_one_text_are_refused() {
        let two = format!("{RSA}{EC}");
        assert_eq!(
            IdpCertificate::from_pem(&two).unwrap_err(),
            CertError::MultipleCertificates { count: 2 }
        );
    }

    #[test]
    fn broken_base64_and_non_certificates_are_refused() {
        let bad = format!("{BEGIN_CERT}\n!!!!\n{END_CERT}\n");
        assert_eq!(
            IdpCertificate::from_pem(&bad).unwrap_err(),
            CertError::InvalidBase64
        );
        let not_x509 = format!("{BEGIN_CERT}\naGVsbG8gd29ybGQ=\n{END_CERT}\n");
        assert_eq!(
            IdpCertificate::from_pem(&not_x509).unwrap_err().code(),
            "saml.cert.invalid"
        );
    }

    #[test]
    fn unsupported_key_types_are_refused() {
        let err = IdpCertificate::from_pem(ED25519).unwrap_err();
        assert_eq!(
            err,
            CertError::UnsupportedKey {
                algorithm: "1.3.101.112".to_owned()
            }
        );
    }
}
