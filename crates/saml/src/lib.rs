//! Validates SAML 2.0 Responses: bytes, an organization's [`SpConfig`] and the current time
//! in; a [`VerifiedAssertion`] or the precise [`Rejection`] out. Pure: no I/O, no clock.
//! Replay protection (remembering assertion IDs until `not_on_or_after`) is the caller's.

mod assertion;
mod c14n;
#[cfg(test)]
mod c14n_reference;
mod config;
mod dsig;
mod idp_metadata;
mod input;
pub mod limits;
mod rejection;
mod sp;
mod xml;

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;

pub use assertion::VerifiedAssertion;
pub use config::{CertError, IdpCertificate, SpConfig, DEFAULT_CLOCK_SKEW_S};
pub use idp_metadata::{parse_idp_metadata, IdpMetadata, MetadataError};
pub use input::MAX_RESPONSE_BYTES;
pub use rejection::{Rejection, SignedElement};
pub use sp::{
    authn_request_xml, escape_xml, percent_encode, redirect_binding_url, sp_metadata_xml,
};

use orgsso_core::Timestamp;

/// Verifies a posted `SAMLResponse` (raw XML or base64, line breaks allowed).
pub fn verify(
    response: &[u8],
    config: &SpConfig,
    now: Timestamp,
) -> Result<VerifiedAssertion, Rejection> {
    let text = input::decode(response)?;
    assertion::verify_document(&text, config, now)
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
