//! Reads an IdP's SAML metadata (pasted, uploaded or fetched from its URL): its entity
//! ID, its HTTP-Redirect sign-on URL and its signing certificates. The
//! document is parsed like a Response: no DTD, bounded size.

use base64::Engine as _;

const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
const BINDING_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const MAX_METADATA_BYTES: usize = 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdpMetadata {
    pub entity_id: String,
    pub sso_url: String,
    /// PEM blocks, one per signing certificate (several during a key rotation).
    pub certificates_pem: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("the metadata is larger than 1 MiB")]
    TooLarge,
    #[error("the metadata declares a DOCTYPE, which is refused")]
    Doctype,
    #[error("the metadata is not well-formed XML: {0}")]
    Malformed(String),
    #[error("no IdP EntityDescriptor (IDPSSODescriptor) found in the metadata")]
    NoIdpDescriptor,
    #[error("the metadata describes {count} identity providers (a federation aggregate?); give the metadata of the one IdP")]
    SeveralIdps { count: usize },
    #[error("the IdP offers no SingleSignOnService with the HTTP-Redirect binding")]
    NoRedirectBinding,
    #[error("the IdP metadata lists no signing certificate")]
    NoSigningCertificate,
}

pub fn parse_idp_metadata(xml: &str) -> Result<IdpMetadata, MetadataError> {
    if xml.len() > MAX_METADATA_BYTES {
        return Err(MetadataError::TooLarge);
    }
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(MetadataError::Doctype);
    }
    let doc =
        roxmltree::Document::parse(xml).map_err(|e| MetadataError::Malformed(e.to_string()))?;
    // Picking one IdP out of several would be a guess about whom to trust.
    let idps: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name((MD_NS, "EntityDescriptor")))
        .filter(|n| {
            n.children()
                .any(|c| c.has_tag_name((MD_NS, "IDPSSODescriptor")))
        })
        .collect();
    let entity = match idps[..] {
        [] => return Err(MetadataError::NoIdpDescriptor),
        [one] => one,
        ref many => return Err(MetadataError::SeveralIdps { count: many.len() }),
    };
    let entity_id = entity
        .attribute("entityID")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let idp = entity
        .children()
        .find(|c| c.has_tag_name((MD_NS, "IDPSSODescriptor")))
        .ok_or(MetadataError::NoIdpDescriptor)?;
    let sso_url = idp
        .children()
        .filter(|c| c.has_tag_name((MD_NS, "SingleSignOnService")))
        .find(|c| c.attribute("Binding") == Some(BINDING_REDIRECT))
        .and_then(|c| c.attribute("Location"))
        .ok_or(MetadataError::NoRedirectBinding)?
        .trim()
        .to_owned();
    let mut certificates_pem = Vec::new();
    for key in idp
        .children()
        .filter(|c| c.has_tag_name((MD_NS, "KeyDescriptor")))
    {
        if matches!(key.attribute("use"), Some(u) if u != "signing") {
            continue;
        }
        for cert in key
            .descendants()
            .filter(|n| n.has_tag_name((DS_NS, "X509Certificate")))
        {
            let b64: String = cert
                .text()
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if base64::engine::general_purpose::STANDARD
                .decode(&b64)
                .is_err()
            {
                continue;
            }
            let pem = to_pem(&b64);
            if !certificates_pem.contains(&pem) {
                certificates_pem.push(pem);
            }
        }
    }
    if certificates_pem.is_empty() {
        return Err(MetadataError::NoSigningCertificate);
    }
    Ok(IdpMetadata {
        entity_id,
        sso_url,
        certificates_pem,
    })
}

fn to_pem(b64: &str) -> String {
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    pem
}

#[cfg(test)]
mod tests {
    use super::*;

    const METADATA: &str = r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example/metadata">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
      QUJD
    </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>REVG</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"#;

    #[test]
    fn metadata_yields_entity_id_redirect_url_and_signing_certificates() {
        let md = parse_idp_metadata(METADATA).unwrap();
        assert_eq!(md.entity_id, "https://idp.example/metadata");
        assert_eq!(md.sso_url, "https://idp.example/sso");
        assert_eq!(
            md.certificates_pem,
            vec!["-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n".to_owned()]
        );
    }

    #[test]
    fn doctype_in_metadata_is_refused() {
        let evil = format!(
            "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{}",
            METADATA.trim_start_matches("<?xml version=\"1.0\"?>")
        );
        assert_eq!(parse_idp_metadata(&evil), Err(MetadataError::Doctype));
    }

    #[test]
    fn metadata_without_redirect_binding_is_refused() {
        let md = METADATA.replace("bindings:HTTP-Redirect", "bindings:SOAP");
        assert_eq!(
            parse_idp_metadata(&md),
            Err(MetadataError::NoRedirectBinding)
        );
    }

    #[test]
    fn an_aggregate_of_several_idps_is_refused_and_of_one_is_read() {
        let entity = METADATA.trim_start_matches("<?xml version=\"1.0\"?>");
        let aggregate = |entities: &[&str]| {
            format!(
                r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">{}</md:EntitiesDescriptor>"#,
                entities.concat()
            )
        };
        let other = entity.replace("https://idp.example/metadata", "https://other.example/md");
        assert_eq!(
            parse_idp_metadata(&aggregate(&[entity, &other])),
            Err(MetadataError::SeveralIdps { count: 2 })
        );
        let sp = crate::sp::sp_metadata_xml("https://sp", "https://sp/acs", &Default::default());
        let sp = sp.trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
        let one = parse_idp_metadata(&aggregate(&[sp, entity])).unwrap();
        assert_eq!(one.entity_id, "https://idp.example/metadata");
    }

    #[test]
    fn sp_metadata_is_not_idp_metadata() {
        let sp = crate::sp::sp_metadata_xml("https://sp", "https://sp/acs", &Default::default());
        assert_eq!(parse_idp_metadata(&sp), Err(MetadataError::NoIdpDescriptor));
    }
}
