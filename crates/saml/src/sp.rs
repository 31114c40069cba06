//! What the service provider sends: the AuthnRequest of an SP-initiated
//! login (HTTP-Redirect binding) and the SP metadata an IdP imports.

use orgsso_core::Timestamp;

const NAMEID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const BINDING_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

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
    use base64::Engine as _;
    let deflated = miniz_oxide::deflate::compress_to_vec(authn_request_xml.as_bytes(), 6);
    let encoded = base64::engine::general_purpose::STANDARD.encode(deflated);
    let separator = if idp_sso_url.contains('?') { '&' } else { '?' };
    format!(
        "{idp_sso_url}{separator}SAMLRequest={}&RelayState={}",
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

/// SP metadata: entity ID, the ACS (HTTP-POST), NameID format emailAddress,
/// and that assertions must be signed.
pub fn sp_metadata_xml(sp_entity_id: &str, acs_url: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            "\n",
            r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{entity}">"#,
            "\n",
            r#"  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">"#,
            "\n",
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
        format = NAMEID_EMAIL,
        binding = BINDING_POST,
        acs = escape_xml(acs_url),
    )
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
        let md = sp_metadata_xml("https://sp/<meta>", "https://sp/acs?a&b");
        let doc = roxmltree::Document::parse(&md).unwrap();
        assert_eq!(
            doc.root_element().attribute("entityID"),
            Some("https://sp/<meta>")
        );
    }
}
