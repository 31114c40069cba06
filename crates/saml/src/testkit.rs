//! Test-only IdP: a fixed unsigned Response template and an enveloped-signature signer with
//! the throwaway keys under `tests/fixtures`, so every rule can be exercised on signed input.

use crate::c14n::{self, Method};
use crate::{IdpCertificate, SpConfig};
use base64::Engine as _;
use orgsso_core::Timestamp;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use sha2::Digest as _;

pub(crate) const SP: &str = "https://sp.example/saml/metadata";
pub(crate) const ACS: &str = "https://sp.example/saml/acs";
pub(crate) const IDP: &str = "https://idp.example/metadata";
pub(crate) const RSA_CERT: &str = include_str!("../tests/fixtures/test-idp-rsa.crt");
pub(crate) const OTHER_CERT: &str = include_str!("../tests/fixtures/test-other-rsa.crt");
pub(crate) const EC_CERT: &str = include_str!("../tests/fixtures/test-idp-ec.crt");
const RSA_KEY: &str = include_str!("../tests/fixtures/test-idp-rsa.key");
const OTHER_KEY: &str = include_str!("../tests/fixtures/test-other-rsa.key");
const EC_KEY: &str = include_str!("../tests/fixtures/test-idp-ec.key");

pub(crate) const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub(crate) const EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub(crate) const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/// An unsigned, otherwise valid Response for `now()`: Response `_resp1`, Assertion `_assert1`.
pub(crate) const TEMPLATE: &str = concat!(
    r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_resp1" Version="2.0" IssueInstant="2026-03-02T10:00:00Z" Destination="https://sp.example/saml/acs">"#,
    r#"<saml:Issuer>https://idp.example/metadata</saml:Issuer>"#,
    r#"<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>"#,
    r#"<saml:Assertion ID="_assert1" IssueInstant="2026-03-02T10:00:00Z" Version="2.0">"#,
    r#"<saml:Issuer>https://idp.example/metadata</saml:Issuer>"#,
    r#"<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">alice@example.com</saml:NameID>"#,
    r#"<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="2026-03-02T10:05:00Z" Recipient="https://sp.example/saml/acs"/></saml:SubjectConfirmation></saml:Subject>"#,
    r#"<saml:Conditions NotBefore="2026-03-02T09:59:30Z" NotOnOrAfter="2026-03-02T10:05:00Z"><saml:AudienceRestriction><saml:Audience>https://sp.example/saml/metadata</saml:Audience></saml:AudienceRestriction></saml:Conditions>"#,
    r#"<saml:AuthnStatement AuthnInstant="2026-03-02T10:00:00Z" SessionIndex="_session1" SessionNotOnOrAfter="2026-03-02T18:00:00Z"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"#,
    r#"<saml:AttributeStatement><saml:Attribute Name="email"><saml:AttributeValue>alice@example.com</saml:AttributeValue></saml:Attribute>"#,
    r#"<saml:Attribute Name="groups"><saml:AttributeValue>admins</saml:AttributeValue><saml:AttributeValue>devs</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>"#,
    r#"</saml:Assertion></samlp:Response>"#,
);

pub(crate) fn now() -> Timestamp {
    at("2026-03-02T10:01:00Z")
}

pub(crate) fn at(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

pub(crate) fn config() -> SpConfig {
    SpConfig::new(SP, ACS, vec![IdpCertificate::from_pem(RSA_CERT).unwrap()])
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    Rsa,
    Other,
    Ec,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Algorithms {
    pub key: Key,
    pub signature: &'static str,
    pub digest: &'static str,
}

pub(crate) const RSA_SHA256: Algorithms = Algorithms {
    key: Key::Rsa,
    signature: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    digest: "http://www.w3.org/2001/04/xmlenc#sha256",
};

/// Signs the element whose `ID` is `id`, inserting the Signature after its Issuer (or as
/// its first child), the way IdPs do. ring cannot sign RSA-SHA1: SHA-1 signed input comes
/// from the xmlsec1 fixtures.
pub(crate) fn sign_with(xml: &str, id: &str, alg: Algorithms) -> String {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let element = doc
        .descendants()
        .find(|n| n.attribute("ID") == Some(id))
        .unwrap();
    let mut canonical = Vec::new();
    let exclusive = Method::Exclusive {
        inclusive_prefixes: vec![],
    };
    c14n::canonicalize(element, None, &exclusive, &mut canonical);
    let digest = match alg.digest {
        "http://www.w3.org/2000/09/xmldsig#sha1" => {
            ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &canonical)
                .as_ref()
                .to_vec()
        }
        "http://www.w3.org/2001/04/xmlenc#sha512" => sha2::Sha512::digest(&canonical).to_vec(),
        _ => sha2::Sha256::digest(&canonical).to_vec(),
    };
    let b64 = |v: &[u8]| base64::engine::general_purpose::STANDARD.encode(v);
    let signed_info_body = format!(
        concat!(
            r#"<ds:CanonicalizationMethod Algorithm="{exc}"></ds:CanonicalizationMethod>"#,
            r#"<ds:SignatureMethod Algorithm="{sig}"></ds:SignatureMethod>"#,
            r##"<ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="{env}"></ds:Transform>"##,
            r#"<ds:Transform Algorithm="{exc}"></ds:Transform></ds:Transforms>"#,
            r#"<ds:DigestMethod Algorithm="{dig}"></ds:DigestMethod><ds:DigestValue>{value}</ds:DigestValue></ds:Reference>"#
        ),
        exc = EXC,
        env = ENVELOPED,
        sig = alg.signature,
        dig = alg.digest,
        id = id,
        value = b64(&digest),
    );
    let canonical_signed_info =
        format!(r#"<ds:SignedInfo xmlns:ds="{DS}">{signed_info_body}</ds:SignedInfo>"#);
    let signature_value = raw_sign(alg, canonical_signed_info.as_bytes());
    let signature = format!(
        r#"<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>{signed_info_body}</ds:SignedInfo><ds:SignatureValue>{}</ds:SignatureValue></ds:Signature>"#,
        b64(&signature_value)
    );
    let at = element
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "Issuer")
        .map(|issuer| issuer.range().end)
        .or_else(|| element.first_child().map(|c| c.range().start))
        .unwrap();
    format!("{}{}{}", &xml[..at], signature, &xml[at..])
}

fn raw_sign(alg: Algorithms, message: &[u8]) -> Vec<u8> {
    let rng = SystemRandom::new();
    let pem = match alg.key {
        Key::Rsa => RSA_KEY,
        Key::Other => OTHER_KEY,
        Key::Ec => EC_KEY,
    };
    let der = pem_body(pem);
    if alg.key == Key::Ec {
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng).unwrap();
        return key.sign(&rng, message).unwrap().as_ref().to_vec();
    }
    let key = RsaKeyPair::from_pkcs8(&der).unwrap();
    let padding: &'static dyn ring::signature::RsaEncoding = match alg.signature {
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => &ring::signature::RSA_PKCS1_SHA512,
        _ => &ring::signature::RSA_PKCS1_SHA256,
    };
    let mut out = vec![0; key.public().modulus_len()];
    key.sign(padding, &rng, message, &mut out).unwrap();
    out
}

fn pem_body(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

pub(crate) fn sign_assertion(xml: &str) -> String {
    sign_with(xml, "_assert1", RSA_SHA256)
}

/// Assertion first, then the Response over it, as IdPs sign.
pub(crate) fn sign_both(xml: &str) -> String {
    sign_with(&sign_assertion(xml), "_resp1", RSA_SHA256)
}
