//! Why a SAML Response was refused: one variant per reason, each with a stable machine code.

use orgsso_core::Timestamp;
use std::fmt;

/// Which signed element a signature problem concerns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignedElement {
    Response,
    Assertion,
}

impl fmt::Display for SignedElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Response => "Response",
            Self::Assertion => "Assertion",
        })
    }
}

/// The reason a SAML Response was refused. The `Display` text is shown to organization
/// admins (login failure page, audit log, `orgsso saml verify`), so it names what was
/// compared; [`Rejection::code`] is the stable identifier for JSON errors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    #[error("the SAMLResponse is {size} bytes long, more than the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("the SAMLResponse is neither XML nor valid base64: {reason}")]
    InvalidBase64 { reason: String },
    #[error("the SAMLResponse contains a DOCTYPE declaration; DTDs and entities are refused")]
    Doctype,
    #[error("the SAMLResponse is not well-formed XML: {reason}")]
    MalformedXml { reason: String },
    #[error("the SAMLResponse nests elements more than {limit} levels deep")]
    TooDeep { limit: usize },
    #[error("the SAMLResponse holds more than {limit} elements")]
    TooManyElements { limit: usize },
    #[error("the element <{element}> carries {count} attributes, more than the limit of {limit}")]
    TooManyAttributes {
        element: String,
        count: usize,
        limit: usize,
    },
    #[error("the SAMLResponse holds more than {limit} attributes")]
    TooManyAttributesInDocument { limit: usize },
    #[error("the element <{element}> declares {count} namespaces, more than the limit of {limit}")]
    TooManyNamespaces {
        element: String,
        count: usize,
        limit: usize,
    },
    #[error("the element <{element}> and its ancestors declare more than {limit} namespaces")]
    TooManyNamespacesInScope { element: String, limit: usize },
    #[error("the SAMLResponse declares more than {limit} namespaces in all")]
    TooManyNamespaceDeclarations { limit: usize },
    #[error(
        "an InclusiveNamespaces PrefixList names {count} prefixes, more than the limit of {limit}"
    )]
    PrefixListTooLong { count: usize, limit: usize },
    #[error(
        "the namespace URI {uri:?} is not an absolute URI; canonical XML refuses such documents"
    )]
    NamespaceUriNotAbsolute { uri: String },
    #[error("the document is a <{found}>, not a SAML 2.0 protocol <Response>")]
    NotAResponse { found: String },
    #[error("the Response carries an EncryptedAssertion; encrypted assertions are not supported")]
    EncryptedAssertion,
    #[error("the Response carries {count} EncryptedAssertions; exactly one is allowed")]
    MultipleEncryptedAssertions { count: usize },
    #[error("the Response carries both an EncryptedAssertion and a plain Assertion; exactly one assertion is allowed")]
    EncryptedAndPlainAssertion,
    #[error("the EncryptedAssertion is malformed: {reason}")]
    EncryptedAssertionMalformed { reason: String },
    #[error("the EncryptedAssertion holds {count} EncryptedKeys, more than the limit of {limit}")]
    TooManyEncryptedKeys { count: usize, limit: usize },
    #[error("the assertion's key is encrypted with RSA PKCS#1 v1.5 (xmlenc#rsa-1_5), which is refused as open to padding-oracle attacks; configure the IdP to use RSA-OAEP key transport")]
    KeyTransportRsa15,
    #[error("the assertion's key is encrypted with {algorithm:?}, which is not supported; use RSA-OAEP (xmlenc#rsa-oaep-mgf1p or xmlenc11#rsa-oaep)")]
    UnsupportedKeyTransport { algorithm: String },
    #[error("the assertion is encrypted with {algorithm:?}, which is not supported; use AES-GCM (xmlenc11#aes128-gcm, aes256-gcm) or AES-CBC")]
    UnsupportedContentEncryption { algorithm: String },
    #[error("the EncryptedAssertion could not be decrypted with this organization's SP encryption key(s): it was encrypted for another key (check the certificate the IdP uses from our SP metadata) or altered")]
    DecryptionFailed,
    #[error("the decrypted EncryptedAssertion is not one saml:Assertion: {reason}")]
    DecryptedNotAnAssertion { reason: String },
    #[error("the Response carries no Assertion")]
    NoAssertion,
    #[error("the document contains {count} Assertions; exactly one is allowed")]
    MultipleAssertions { count: usize },
    #[error("the Assertion sits inside <{parent}> instead of directly in the Response (signature wrapping)")]
    AssertionMisplaced { parent: String },
    #[error("the ID {id:?} is used by more than one element (signature wrapping)")]
    DuplicateId { id: String },
    #[error(
        "a Signature sits inside <{parent}>; only the Response and the Assertion may carry one"
    )]
    SignatureMisplaced { parent: String },
    #[error("the {element} carries {count} Signatures; exactly one is allowed")]
    MultipleSignatures {
        element: SignedElement,
        count: usize,
    },
    #[error("neither the Response nor the Assertion is signed")]
    Unsigned,
    #[error("the Response is signed but the Assertion is not; have the IdP sign the Assertion too, or, if it signs only the Response (Shibboleth's default), turn on \"Accept Response-only signatures\" in this SAML configuration (orgsso saml verify: --accept-response-only-signature)")]
    UnsignedAssertion,
    #[error("the signed {element} has no ID attribute")]
    MissingId { element: SignedElement },
    #[error("the {element} Signature is malformed: {problem}")]
    MalformedSignature {
        element: SignedElement,
        problem: &'static str,
    },
    #[error("the {element} Signature embeds a ds:Object; such signatures are refused")]
    SignatureObject { element: SignedElement },
    #[error("the {element} Signature has {count} References; exactly one is required")]
    ReferenceCount {
        element: SignedElement,
        count: usize,
    },
    #[error("the {element} Signature references {found:?} instead of the {element} itself ({expected:?})")]
    ReferenceMismatch {
        element: SignedElement,
        expected: String,
        found: String,
    },
    #[error("the {element} Signature uses the transform {algorithm}; only enveloped-signature and exclusive canonicalization are allowed")]
    TransformNotAllowed {
        element: SignedElement,
        algorithm: String,
    },
    #[error("the {element} Signature uses the canonicalization method {algorithm}; only exclusive (or inclusive 1.0) canonicalization without comments is allowed")]
    CanonicalizationNotAllowed {
        element: SignedElement,
        algorithm: String,
    },
    #[error("the {element} Signature uses SHA-1 ({algorithm}); SHA-1 is refused unless explicitly allowed for this IdP")]
    Sha1NotAllowed {
        element: SignedElement,
        algorithm: String,
    },
    #[error("the {element} Signature uses the unsupported algorithm {algorithm}; use RSA or ECDSA with SHA-256 or stronger")]
    UnsupportedAlgorithm {
        element: SignedElement,
        algorithm: String,
    },
    #[error("the {element} was modified after it was signed (digest mismatch)")]
    DigestMismatch { element: SignedElement },
    #[error("the {element} Signature was made with a {bits}-bit RSA key; keys under {minimum} bits are refused (only allowed together with SHA-1 for legacy IdPs)")]
    KeyTooSmall {
        element: SignedElement,
        bits: usize,
        minimum: usize,
    },
    #[error("the {element} Signature does not verify with any of the {trusted} trusted IdP certificate(s): it was made with another key or altered")]
    WrongKey {
        element: SignedElement,
        trusted: usize,
    },
    #[error("the IdP reported status {code}{} instead of Success", detail_suffix(.detail))]
    StatusNotSuccess { code: String, detail: String },
    #[error("the {element} element is missing")]
    MissingElement { element: &'static str },
    #[error("the {element} element appears {count} times; exactly one is allowed")]
    DuplicateElement { element: &'static str, count: usize },
    #[error("the {element} Issuer is {found:?}, expected the IdP entity ID {expected:?}")]
    IssuerMismatch {
        element: SignedElement,
        expected: String,
        found: String,
    },
    #[error(
        "the Response Destination is {found:?}, expected this organization's ACS URL {expected:?}"
    )]
    DestinationMismatch { expected: String, found: String },
    #[error("the Response has no InResponseTo, but it should answer the login request {expected:?} (unsolicited response to an SP-initiated login)")]
    InResponseToMissing { expected: String },
    #[error("the {element} InResponseTo is {found:?}, but the login request was {expected:?}")]
    InResponseToMismatch {
        element: &'static str,
        expected: String,
        found: String,
    },
    #[error("the Response is unsigned and the signed Assertion's bearer SubjectConfirmationData has no InResponseTo, so nothing the IdP signed says it answers the login request {expected:?} (an unsolicited assertion cannot finish an SP-initiated login)")]
    InResponseToUnsigned { expected: String },
    #[error("the Assertion has no Conditions, so it is not restricted to this service provider")]
    ConditionsMissing,
    #[error("the Assertion Conditions have no AudienceRestriction, so it is not restricted to this service provider")]
    AudienceRestrictionMissing,
    #[error(
        "the Assertion is meant for audience {found:?}, not this service provider {expected:?}"
    )]
    AudienceMismatch { expected: String, found: String },
    #[error("the {element} is not valid before {not_before} (now {now}, skew {skew_s}s)")]
    NotYetValid {
        element: &'static str,
        not_before: Timestamp,
        now: Timestamp,
        skew_s: u32,
    },
    #[error("the {element} expired at {not_on_or_after} (now {now}, skew {skew_s}s)")]
    Expired {
        element: &'static str,
        not_on_or_after: Timestamp,
        now: Timestamp,
        skew_s: u32,
    },
    #[error("the {attribute} value {value:?} is not a UTC date-time")]
    InvalidTimestamp {
        attribute: &'static str,
        value: String,
    },
    #[error("the Assertion has no bearer SubjectConfirmation")]
    NoBearerConfirmation,
    #[error("the bearer SubjectConfirmationData has no Recipient; it must name this organization's ACS URL")]
    RecipientMissing,
    #[error("the bearer SubjectConfirmationData Recipient is {found:?}, expected this organization's ACS URL {expected:?}")]
    RecipientMismatch { expected: String, found: String },
    #[error("neither the Conditions nor the bearer SubjectConfirmationData carry a NotOnOrAfter, so the Assertion would never expire")]
    NoExpiry,
    #[error("the Assertion Subject has no NameID")]
    NameIdMissing,
    #[error("the NameID contains markup instead of plain text")]
    NameIdMalformed,
    #[error("the NameID format is {format}; configure the IdP to send urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")]
    NameIdFormatNotAllowed { format: String },
    #[error("the NameID {value:?} (format {format}) is not an email address")]
    NameIdNotEmail { format: String, value: String },
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    }
}

impl Rejection {
    /// Stable identifier for JSON error bodies and the audit log; never change a published code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLarge { .. } => "saml.too_large",
            Self::InvalidBase64 { .. } => "saml.invalid_base64",
            Self::Doctype => "saml.doctype",
            Self::MalformedXml { .. } => "saml.malformed_xml",
            Self::TooDeep { .. } => "saml.too_deep",
            Self::TooManyElements { .. } => "saml.too_many_elements",
            Self::TooManyAttributes { .. } => "saml.too_many_attributes",
            Self::TooManyAttributesInDocument { .. } => "saml.too_many_attributes_in_document",
            Self::TooManyNamespaces { .. } => "saml.too_many_namespaces",
            Self::TooManyNamespacesInScope { .. } => "saml.too_many_namespaces_in_scope",
            Self::TooManyNamespaceDeclarations { .. } => "saml.too_many_namespace_declarations",
            Self::PrefixListTooLong { .. } => "saml.prefix_list_too_long",
            Self::NamespaceUriNotAbsolute { .. } => "saml.namespace_uri_not_absolute",
            Self::NotAResponse { .. } => "saml.not_a_response",
            Self::EncryptedAssertion => "saml.encrypted_assertion",
            Self::MultipleEncryptedAssertions { .. } => "saml.multiple_encrypted_assertions",
            Self::EncryptedAndPlainAssertion => "saml.encrypted_and_plain_assertion",
            Self::EncryptedAssertionMalformed { .. } => "saml.encrypted_assertion_malformed",
            Self::TooManyEncryptedKeys { .. } => "saml.too_many_encrypted_keys",
            Self::KeyTransportRsa15 => "saml.key_transport_rsa15",
            Self::UnsupportedKeyTransport { .. } => "saml.unsupported_key_transport",
            Self::UnsupportedContentEncryption { .. } => "saml.unsupported_content_encryption",
            Self::DecryptionFailed => "saml.decryption_failed",
            Self::DecryptedNotAnAssertion { .. } => "saml.decrypted_not_an_assertion",
            Self::NoAssertion => "saml.no_assertion",
            Self::MultipleAssertions { .. } => "saml.multiple_assertions",
            Self::AssertionMisplaced { .. } => "saml.assertion_misplaced",
            Self::DuplicateId { .. } => "saml.duplicate_id",
            Self::SignatureMisplaced { .. } => "saml.signature_misplaced",
            Self::MultipleSignatures { .. } => "saml.multiple_signatures",
            Self::Unsigned => "saml.unsigned",
            Self::UnsignedAssertion => "saml.unsigned_assertion",
            Self::MissingId { .. } => "saml.missing_id",
            Self::MalformedSignature { .. } => "saml.malformed_signature",
            Self::SignatureObject { .. } => "saml.signature_object",
            Self::ReferenceCount { .. } => "saml.reference_count",
            Self::ReferenceMismatch { .. } => "saml.reference_mismatch",
            Self::TransformNotAllowed { .. } => "saml.transform_not_allowed",
            Self::CanonicalizationNotAllowed { .. } => "saml.canonicalization_not_allowed",
            Self::Sha1NotAllowed { .. } => "saml.sha1_not_allowed",
            Self::UnsupportedAlgorithm { .. } => "saml.unsupported_algorithm",
            Self::DigestMismatch { .. } => "saml.digest_mismatch",
            Self::KeyTooSmall { .. } => "saml.key_too_small",
            Self::WrongKey { .. } => "saml.wrong_key",
            Self::StatusNotSuccess { .. } => "saml.status_not_success",
            Self::MissingElement { .. } => "saml.missing_element",
            Self::DuplicateElement { .. } => "saml.duplicate_element",
            Self::IssuerMismatch { .. } => "saml.issuer_mismatch",
            Self::DestinationMismatch { .. } => "saml.destination_mismatch",
            Self::InResponseToMissing { .. } => "saml.in_response_to_missing",
            Self::InResponseToMismatch { .. } => "saml.in_response_to_mismatch",
            Self::InResponseToUnsigned { .. } => "saml.in_response_to_unsigned",
            Self::ConditionsMissing => "saml.conditions_missing",
            Self::AudienceRestrictionMissing => "saml.audience_restriction_missing",
            Self::AudienceMismatch { .. } => "saml.audience_mismatch",
            Self::NotYetValid { .. } => "saml.not_yet_valid",
            Self::Expired { .. } => "saml.expired",
            Self::InvalidTimestamp { .. } => "saml.invalid_timestamp",
            Self::NoBearerConfirmation => "saml.no_bearer_confirmation",
            Self::RecipientMissing => "saml.recipient_missing",
            Self::RecipientMismatch { .. } => "saml.recipient_mismatch",
            Self::NoExpiry => "saml.no_expiry",
            Self::NameIdMissing => "saml.name_id_missing",
            Self::NameIdMalformed => "saml.name_id_malformed",
            Self::NameIdFormatNotAllowed { .. } => "saml.name_id_format_not_allowed",
            Self::NameIdNotEmail { .. } => "saml.name_id_not_email",
        }
    }
}
