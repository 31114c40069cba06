//! Validates SAML 2.0 Responses: bytes, an organization's [`SpConfig`] and the current time
//! in; a [`VerifiedAssertion`] or the precise [`Rejection`] out. Pure: no I/O, no clock.
//! Replay protection (remembering assertion IDs until `not_on_or_after`) is the caller's.

mod assertion;
mod c14n;
#[cfg(test)]
mod c14n_reference;
mod config;
mod dsig;
mod encrypted;
mod idp_metadata;
mod input;
pub mod limits;
mod rejection;
mod sp;
mod sp_keys;
mod xml;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use assertion::VerifiedAssertion;
pub use config::{CertError, IdpCertificate, SpConfig, DEFAULT_CLOCK_SKEW_S};
pub use encrypted::{MAX_DECRYPTION_KEYS, MAX_ENCRYPTED_KEYS};
pub use idp_metadata::{parse_idp_metadata, IdpMetadata, MetadataError};
pub use input::MAX_RESPONSE_BYTES;
pub use rejection::{Rejection, SignedElement};
pub use sp::{
    authn_request_xml, escape_xml, percent_encode, redirect_binding_url,
    signed_redirect_binding_url, sp_metadata_xml, SpMetadataKeys, SIG_ALG_RSA_SHA256,
};
pub use sp_keys::{
    generate_sp_key, self_signed_certificate, GeneratedSpKey, SpDecryptionKey, SpKeyError,
    SpSigningKey, SP_KEY_BITS,
};

use orgsso_core::Timestamp;

/// Verifies a posted `SAMLResponse` (raw XML or base64, line breaks allowed).
pub fn verify(
    response: &[u8],
    config: &SpConfig,
    now: Timestamp,
) -> Result<VerifiedAssertion, Rejection> {
    let text = input::decode(response)?;
    let prepared = encrypted::decrypt(text, config)?;
    assertion::verify_document(
        &prepared.text,
        config,
        now,
        prepared.response_signature_verified,
    )
}

/// The checks made before any XML parser sees the bytes: size, base64, DOCTYPE, UTF-8 and the
/// structural [`limits`]; returns the XML text the parser would get. Exposed for the fuzz
/// target that holds the scan to what the parser then sees; `verify` runs it first.
#[doc(hidden)]
pub fn pre_parse(response: &[u8]) -> Result<String, Rejection> {
    input::decode(response)
}

/// Checks one XML-DSig signature alone (the Response's, or the first signed Assertion's)
/// without any SAML rule. Only for differential tests against other XML-DSig verifiers;
/// never a login decision.
#[doc(hidden)]
pub fn check_signature_only(
    response: &[u8],
    element: SignedElement,
    config: &SpConfig,
) -> Result<(), Rejection> {
    let text = input::decode(response)?;
    assertion::check_signature_only(&text, element, config)
}
