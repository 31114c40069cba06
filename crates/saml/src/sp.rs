//! What the service provider sends: the AuthnRequest of an SP-initiated
//! login (HTTP-Redirect binding, signed when the IdP requires it) and the SP
//! metadata an IdP imports, with the SP's signing and encryption certificates.

use crate::sp_keys::{SpKeyError, SpSigningKey};
use orgsso_core::Timestamp;

const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The one AuthnRequest signature algorithm we send.
pub const SIG_ALG_RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// What we decrypt, strongest first, as advertised in SP metadata. RSA 1.5 is absent on
/// purpose: it is refused.
const ENCRYPTION_METHODS: [&str; 7] = [
    "http://www.w3.org/2009/xmlenc11#aes256-gcm",
    "http://www.w3.org/2009/xmlenc11#aes128-gcm",
    "http://www.w3.org/2001/04/xmlenc#aes256-cbc",
    "http://www.w3.org/2001/04/xmlenc#aes192-cbc",
    "http://www.w3.org/2001/04/xmlenc#aes128-cbc",
    "http://www.w3.org/2009/xmlenc11#rsa-oaep",
    "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p",
];

/// Escapes text for an XML attribute value or element content.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The AuthnRequest XML. `request_id` must start with a letter or `_` (an
/// XML ID) and carry at least 128 random bits; the response must answer it.
pub fn authn_request_xml(
    request_id: &str,
    issue_instant: Timestamp,
    destination: &str,
    sp_entity_id: &str,
    acs_url: &str,
) -> String {
    format!(
        concat!(
            r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" "#,
            r#"ID="{id}" Version="2.0" IssueInstant="{instant}" Destination="{destination}" "#,
            r#"ProtocolBinding="{binding}" AssertionConsumerServiceURL="{acs}">"#,
            r#"<saml:Issuer>{issuer}</saml:Issuer>"#,
            r#"<samlp:NameIDPolicy Format="{format}" AllowCreate="true"/>"#,
            r#"</samlp:AuthnRequest>"#
        ),
        id = escape_xml(request_id),
        instant = issue_instant.to_rfc3339(),
        destination = escape_xml(destination),
        binding = BINDING_POST,
        acs = escape_xml(acs_url),
        issuer = escape_xml(sp_entity_id),
        format = NAMEID_EMAIL,
    )
}

/// The IdP sign-on URL with `SAMLRequest` (raw DEFLATE, base64) and `RelayState`
/// appended, as the HTTP-Redirect binding specifies.
pub fn redirect_binding_url(
    idp_sso_url: &str,
    authn_request_xml: &str,
    relay_state: &str,
) -> String {
    let separator = if idp_sso_url.contains('?') { '&' } else { '?' };
    format!(
        "{idp_sso_url}{separator}{}",
        redirect_query(authn_request_xml, relay_state)
    )
}

/// As [`redirect_binding_url`], plus `SigAlg` (RSA-SHA256) and `Signature` computed over
/// `SAMLRequest=…&RelayState=…&SigAlg=…` exactly as the query carries them (SAML bindings
/// §3.4.4.1). Signature on the URL replaces an XML signature in the request.
pub fn signed_redirect_binding_url(
    idp_sso_url: &str,
    authn_request_xml: &str,
    relay_state: &str,
    key: &SpSigningKey,
) -> Result<String, SpKeyError> {
    use base64::Engine as _;
    let signed_part = format!(
        "{}&SigAlg={}",
        redirect_query(authn_request_xml, relay_state),
        percent_encode(SIG_ALG_RSA_SHA256)
    );
    let rng = ring::rand::SystemRandom::new();
    let mut signature = vec![0; key.key.public().modulus_len()];
    key.key
        .sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &rng,
            signed_part.as_bytes(),
            &mut signature,
        )
        .map_err(|_| SpKeyError::Signing)?;
    let separator = if idp_sso_url.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{idp_sso_url}{separator}{signed_part}&Signature={}",
        percent_encode(&base64::engine::general_purpose::STANDARD.encode(signature))
    ))
}

fn redirect_query(authn_request_xml: &str, relay_state: &str) -> String {
    use base64::Engine as _;
    let deflated = miniz_oxide::deflate::compress_to_vec(authn_request_xml.as_bytes(), 6);
    let encoded = base64::engine::general_purpose::STANDARD.encode(deflated);
    format!(
        "SAMLRequest={}&RelayState={}",
        percent_encode(&encoded),
        percent_encode(relay_state)
    )
}

/// RFC 3986 unreserved characters stay; everything else is %-encoded.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3 / 2);
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SP's own certificates (PEM) for its metadata, current first; during a rotation the
/// previous one follows, so IdPs that read metadata trust both.
#[derive(Clone, Debug, Default)]
pub struct SpMetadataKeys {
    pub signing_certificates: Vec<String>,
    pub encryption_certificates: Vec<String>,
    /// `AuthnRequestsSigned="true"`: this SP signs every AuthnRequest.
    pub authn_requests_signed: bool,
}

/// SP metadata: entity ID, the ACS (HTTP-POST), NameID format emailAddress, that
/// assertions must be signed, and the SP's signing and encryption certificates.
pub fn sp_metadata_xml(sp_entity_id: &str, acs_url: &str, keys: &SpMetadataKeys) -> String {
    let mut descriptors = String::new();
    for (usage, certificates) in [
        ("signing", &keys.signing_certificates),
        ("encryption", &keys.encryption_certificates),
    ] {
        for pem in certificates {
            descriptors.push_str(&format!(
                concat!(
                    r#"    <md:KeyDescriptor use="{usage}">"#,
                    "\n",
                    r#"      <ds:KeyInfo xmlns:ds="{ds}"><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"#,
                    "\n",
                ),
                usage = usage,
                ds = DSIG_NS,
                cert = certificate_base64(pem),
            ));
            if usage == "encryption" {
                for method in ENCRYPTION_METHODS {
                    descriptors.push_str(&format!(
                        "      <md:EncryptionMethod Algorithm=\"{method}\"/>\n"
                    ));
                }
            }
            descriptors.push_str("    </md:KeyDescriptor>\n");
        }
    }
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            "\n",
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity}">"#,
            "\n",
            r#"  <md:SPSSODescriptor AuthnRequestsSigned="{signed}" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">"#,
            "\n",
            "{descriptors}",
            r#"    <md:NameIDFormat>{format}</md:NameIDFormat>"#,
            "\n",
            r#"    <md:AssertionConsumerService Binding="{binding}" Location="{acs}" index="0" isDefault="true"/>"#,
            "\n",
            r#"  </md:SPSSODescriptor>"#,
            "\n",
            r#"</md:EntityDescriptor>"#,
            "\n"
        ),
        entity = escape_xml(sp_entity_id),
        signed = keys.authn_requests_signed,
        descriptors = descriptors,
        format = NAMEID_EMAIL,
        binding = BINDING_POST,
        acs = escape_xml(acs_url),
    )
}

/// The base64 body of a PEM certificate, on one line.
fn certificate_base64(pem: &str) -> String {
    pem.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    #[test]
    fn redirect_url_carries_a_deflated_request_and_the_relay_state() {
        let xml = authn_request_xml(
            "_abc",
            Timestamp::from_unix(0),
            "https://idp/sso",
            "https://sp/meta",
            "https://sp/acs",
        );
        let url = redirect_binding_url("https://idp/sso?x=1", &xml, "handle/1");
        assert!(url.starts_with("https://idp/sso?x=1&SAMLRequest="));
        assert!(url.ends_with("&RelayState=handle%2F1"));
        let encoded = url
            .split("SAMLRequest=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap();
        let decoded = encoded
            .replace("%2B", "+")
            .replace("%2F", "/")
            .replace("%3D", "=");
        let raw = base64::engine::general_purpose::STANDARD
            .decode(decoded)
            .unwrap();
        let inflated = miniz_oxide::inflate::decompress_to_vec(&raw).unwrap();
        assert_eq!(String::from_utf8(inflated).unwrap(), xml);
    }

    #[test]
    fn request_and_metadata_escape_their_values() {
        let xml = authn_request_xml(
            "_a",
            Timestamp::from_unix(0),
            "https://idp/?a=1&b=\"2\"",
            "sp",
            "https://sp/acs",
        );
        assert!(xml.contains("Destination=\"https://idp/?a=1&amp;b=&quot;2&quot;\""));
        assert!(roxmltree::Document::parse(&xml).is_ok());
        let md = sp_metadata_xml(
            "https://sp/<meta>",
            "https://sp/acs?a&b",
            &SpMetadataKeys::default(),
        );
        let doc = roxmltree::Document::parse(&md).unwrap();
        assert_eq!(
            doc.root_element().attribute("entityID"),
            Some("https://sp/<meta>")
        );
    }

    const SP_KEY: &str = include_str!("../tests/fixtures/test-sp-rsa.key");
    const SP_CERT: &str = include_str!("../tests/fixtures/test-sp-rsa.crt");
    const OLD_SP_CERT: &str = include_str!("../tests/fixtures/test-sp-old-rsa.crt");

    fn pem_der(pem: &str) -> Vec<u8> {
        base64::engine::general_purpose::STANDARD
            .decode(certificate_base64(pem))
            .unwrap()
    }

    #[test]
    fn a_signed_redirect_url_carries_sig_alg_and_a_signature_over_the_query_as_sent() {
        let key = SpSigningKey::from_pkcs8_der(&pem_der(SP_KEY)).unwrap();
        let xml = authn_request_xml(
            "_abc",
            Timestamp::from_unix(0),
            "https://idp/sso",
            "https://sp/meta",
            "https://sp/acs",
        );
        let url = signed_redirect_binding_url("https://idp/sso", &xml, "r/1", &key).unwrap();
        let query = url.strip_prefix("https://idp/sso?").unwrap();
        let (signed_part, signature) = query.split_once("&Signature=").unwrap();
        assert!(signed_part.starts_with("SAMLRequest="));
        assert!(signed_part.ends_with(
            "&RelayState=r%2F1&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256"
        ));
        let signature = base64::engine::general_purpose::STANDARD
            .decode(
                signature
                    .replace("%2B", "+")
                    .replace("%2F", "/")
                    .replace("%3D", "="),
            )
            .unwrap();
        let public = crate::IdpCertificate::from_pem(SP_CERT).unwrap();
        let crate::config::TrustedKey::Rsa { der, .. } = &public.key else {
            panic!("an RSA key")
        };
        ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, der)
            .verify(signed_part.as_bytes(), &signature)
            .unwrap();
        // The unsigned URL is the same query without the two parameters.
        assert_eq!(
            redirect_binding_url("https://idp/sso", &xml, "r/1"),
            format!(
                "https://idp/sso?{}",
                signed_part.split("&SigAlg=").next().unwrap()
            )
        );
    }

    #[test]
    fn metadata_publishes_both_keys_of_a_rotation_and_whether_requests_are_signed() {
        let keys = SpMetadataKeys {
            signing_certificates: vec![SP_CERT.to_owned()],
            encryption_certificates: vec![SP_CERT.to_owned(), OLD_SP_CERT.to_owned()],
            authn_requests_signed: true,
        };
        let md = sp_metadata_xml("https://sp/meta", "https://sp/acs", &keys);
        let doc = roxmltree::Document::parse(&md).unwrap();
        let descriptor = doc
            .descendants()
            .find(|n| n.has_tag_name("SPSSODescriptor"))
            .unwrap();
        assert_eq!(descriptor.attribute("AuthnRequestsSigned"), Some("true"));
        let uses: Vec<&str> = descriptor
            .children()
            .filter(|n| n.has_tag_name("KeyDescriptor"))
            .filter_map(|n| n.attribute("use"))
            .collect();
        assert_eq!(uses, ["signing", "encryption", "encryption"]);
        let published: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("X509Certificate"))
            .filter_map(|n| n.text().map(str::to_owned))
            .collect();
        assert_eq!(published[1], certificate_base64(SP_CERT));
        assert_eq!(published[2], certificate_base64(OLD_SP_CERT));
        assert!(md.contains("xmlenc11#aes256-gcm"));
        assert!(!md.contains("rsa-1_5"));
        let unsigned = sp_metadata_xml(
            "https://sp/meta",
            "https://sp/acs",
            &SpMetadataKeys::default(),
        );
        assert!(unsigned.contains(r#"AuthnRequestsSigned="false""#));
    }
}
