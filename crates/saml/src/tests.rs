//! Every acceptance and rejection path of `verify`, on responses signed by the test IdP.

use crate::rejection::SignedElement::{Assertion, Response};
use crate::testkit::*;
use crate::{verify, IdpCertificate, Rejection, SpConfig};

fn accept(xml: &str) -> crate::VerifiedAssertion {
    verify(xml.as_bytes(), &config(), now()).unwrap()
}

fn reject(xml: &str) -> Rejection {
    reject_with(xml, &config())
}

fn reject_with(xml: &str, config: &SpConfig) -> Rejection {
    verify(xml.as_bytes(), config, now()).unwrap_err()
}

/// The template with `from` replaced by `to` (which must occur), then signed on both levels.
fn both_with(from: &str, to: &str) -> String {
    assert!(TEMPLATE.contains(from), "{from}");
    sign_both(&TEMPLATE.replace(from, to))
}

fn signed() -> String {
    sign_both(TEMPLATE)
}

// ---- acceptance ----------------------------------------------------------------------

#[test]
fn doubly_signed_response_is_accepted_with_every_field() {
    let v = accept(&signed());
    assert_eq!(v.name_id, "alice@example.com");
    assert_eq!(v.email, "alice@example.com");
    assert_eq!(
        v.name_id_format,
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    );
    assert_eq!(v.session_index.as_deref(), Some("_session1"));
    assert_eq!(v.issuer, IDP);
    assert_eq!(v.assertion_id, "_assert1");
    assert_eq!(v.not_on_or_after, at("2026-03-02T10:05:00Z"));
    assert_eq!(v.session_not_on_or_after, Some(at("2026-03-02T18:00:00Z")));
    assert_eq!(v.attributes["groups"], vec!["admins", "devs"]);
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["not_on_or_after"], "2026-03-02T10:05:00Z");
    assert_eq!(json["attributes"]["email"][0], "alice@example.com");
}

#[test]
fn assertion_only_signature_is_accepted() {
    accept(&sign_assertion(TEMPLATE));
}

#[test]
fn base64_with_line_breaks_is_accepted() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(signed());
    let wrapped: Vec<String> = b64
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    verify(wrapped.join("\r\n").as_bytes(), &config(), now()).unwrap();
}

#[test]
fn ecdsa_p256_signature_is_accepted() {
    let alg = Algorithms {
        key: Key::Ec,
        signature: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        digest: RSA_SHA256.digest,
    };
    let xml = sign_with(&sign_with(TEMPLATE, "_assert1", alg), "_resp1", alg);
    let config = SpConfig::new(SP, ACS, vec![IdpCertificate::from_pem(EC_CERT).unwrap()]);
    verify(xml.as_bytes(), &config, now()).unwrap();
}

#[test]
fn rsa_sha512_signature_is_accepted() {
    let alg = Algorithms {
        key: Key::Rsa,
        signature: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
        digest: "http://www.w3.org/2001/04/xmlenc#sha512",
    };
    accept(&sign_with(
        &sign_with(TEMPLATE, "_assert1", alg),
        "_resp1",
        alg,
    ));
}

#[test]
fn ecdsa_sha512_signatures_on_p256_and_p384_are_accepted() {
    for (name, xml, cert) in [
        (
            "P-256",
            include_str!("../tests/fixtures/signed/both-ecdsa-p256-sha512.xml"),
            EC_CERT,
        ),
        (
            "P-384",
            include_str!("../tests/fixtures/signed/both-ecdsa-p384-sha512.xml"),
            include_str!("../tests/fixtures/test-idp-ec384.crt"),
        ),
    ] {
        let config = SpConfig::new(SP, ACS, vec![IdpCertificate::from_pem(cert).unwrap()]);
        let v = verify(xml.as_bytes(), &config, now()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.name_id, "alice@example.com", "{name}");
        // Altering one byte of r: the signature no longer verifies.
        let (head, rest) = xml.split_once("<ds:SignatureValue>").unwrap();
        let flipped = if rest.starts_with('A') { 'B' } else { 'A' };
        let altered = format!("{head}<ds:SignatureValue>{flipped}{}", &rest[1..]);
        assert_eq!(
            verify(altered.as_bytes(), &config, now())
                .unwrap_err()
                .code(),
            "saml.wrong_key",
            "{name}"
        );
        // The other curve's key never verifies it.
        let other = if name == "P-256" {
            include_str!("../tests/fixtures/test-idp-ec384.crt")
        } else {
            EC_CERT
        };
        let config = SpConfig::new(SP, ACS, vec![IdpCertificate::from_pem(other).unwrap()]);
        assert_eq!(
            verify(xml.as_bytes(), &config, now()).unwrap_err().code(),
            "saml.wrong_key",
            "{name}"
        );
    }
}

#[test]
fn rsa_1024_key_is_refused_as_too_small_unless_legacy_sha1_is_allowed() {
    let xml = include_str!("../tests/fixtures/signed/assertion-rsa1024-sha256.xml");
    let cert =
        IdpCertificate::from_pem(include_str!("../tests/fixtures/test-idp-rsa1024.crt")).unwrap();
    let mut config = SpConfig::new(SP, ACS, vec![cert]);
    assert_eq!(
        reject_with(xml, &config),
        Rejection::KeyTooSmall {
            element: Assertion,
            bits: 1024,
            minimum: 2048
        }
    );
    // Next to a 2048-bit key that did not sign it, the size is still the reason.
    config
        .idp_certificates
        .insert(0, IdpCertificate::from_pem(RSA_CERT).unwrap());
    assert_eq!(reject_with(xml, &config).code(), "saml.key_too_small");
    // A signature the small key did not make is another key's, whatever its size.
    let foreign = sign_assertion(TEMPLATE);
    config.idp_certificates.remove(0);
    assert_eq!(reject_with(&foreign, &config).code(), "saml.wrong_key");
    // Legacy IdPs (SHA-1 allowed) keep their 1024-bit keys.
    config.allow_sha1 = true;
    verify(xml.as_bytes(), &config, now()).unwrap();
}

const SHA1: Algorithms = Algorithms {
    key: Key::Rsa,
    signature: "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
    digest: "http://www.w3.org/2000/09/xmldsig#sha1",
};

#[test]
fn sha1_signature_is_accepted_only_when_allowed() {
    let xml = include_str!("../tests/fixtures/signed/assertion-rsa-sha1.xml");
    assert_eq!(reject(xml).code(), "saml.sha1_not_allowed");
    let mut config = config();
    config.allow_sha1 = true;
    verify(xml.as_bytes(), &config, now()).unwrap();
}

#[test]
fn key_rotation_accepts_a_signature_by_the_second_certificate() {
    let alg = Algorithms {
        key: Key::Other,
        ..RSA_SHA256
    };
    let xml = sign_with(TEMPLATE, "_assert1", alg);
    let mut config = config();
    config
        .idp_certificates
        .push(IdpCertificate::from_pem(OTHER_CERT).unwrap());
    verify(xml.as_bytes(), &config, now()).unwrap();
}

#[test]
fn saml2_prefix_and_default_namespace_spellings_are_accepted() {
    let renamed = TEMPLATE
        .replace("saml:", "saml2:")
        .replace("xmlns:saml=", "xmlns:saml2=");
    assert_eq!(accept(&sign_both(&renamed)).name_id, "alice@example.com");
    let default_ns = TEMPLATE
        .replace(
            "<saml:Assertion ",
            r#"<Assertion xmlns="urn:oasis:names:tc:SAML:2.0:assertion" "#,
        )
        .replace("</saml:Assertion>", "</Assertion>");
    let (head, rest) = default_ns.split_once("<Assertion").unwrap();
    let (assertion, tail) = rest.split_once("</Assertion>").unwrap();
    let assertion = assertion.replace("<saml:", "<").replace("</saml:", "</");
    let xml = format!("{head}<Assertion{assertion}</Assertion>{tail}");
    assert_eq!(accept(&sign_both(&xml)).name_id, "alice@example.com");
}

#[test]
fn comment_inside_nameid_cannot_truncate_the_identity() {
    let xml = both_with(
        ">alice@example.com</saml:NameID>",
        ">admin@example.com<!-- x -->.evil.example</saml:NameID>",
    );
    assert_eq!(accept(&xml).name_id, "admin@example.com.evil.example");
}

#[test]
fn escaped_nameid_is_returned_unescaped() {
    let xml = both_with(
        ">alice@example.com</saml:NameID>",
        ">o'brien+x&amp;y@example.com</saml:NameID>",
    );
    assert_eq!(accept(&xml).name_id, "o'brien+x&y@example.com");
}

#[test]
fn a_second_failing_bearer_confirmation_does_not_hide_a_passing_one() {
    let xml = both_with(
        "<saml:SubjectConfirmation ",
        r#"<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="2026-03-02T10:05:00Z" Recipient="https://other.example/acs"/></saml:SubjectConfirmation><saml:SubjectConfirmation "#,
    );
    accept(&xml);
}

#[test]
fn in_response_to_is_reported_for_unsolicited_logins_and_checked_when_expected() {
    let xml = both_with(r#"Destination="#, r#"InResponseTo="_req1" Destination="#);
    // Without an expected request the library accepts and reports it: the caller decides.
    assert_eq!(accept(&xml).in_response_to.as_deref(), Some("_req1"));
    assert_eq!(accept(&signed()).in_response_to, None);
    let mut config = config();
    config.expected_in_response_to = Some("_req1".to_owned());
    let v = verify(xml.as_bytes(), &config, now()).unwrap();
    assert_eq!(v.in_response_to.as_deref(), Some("_req1"));
}

/// The attack on the IdP-initiated off switch: an unsolicited assertion (signed, no
/// InResponseTo of its own) under an unsigned Response whose InResponseTo the presenter
/// wrote to match their own pending request.
#[test]
fn an_unsigned_response_in_response_to_does_not_make_an_unsolicited_assertion_an_answer() {
    let mut config = config();
    config.expected_in_response_to = Some("_req1".to_owned());
    let forged = sign_assertion(TEMPLATE).replacen(
        "<samlp:Response ",
        r#"<samlp:Response InResponseTo="_req1" "#,
        1,
    );
    let rejection = reject_with(&forged, &config);
    assert_eq!(
        rejection,
        Rejection::InResponseToUnsigned {
            expected: "_req1".into()
        }
    );
    assert_eq!(rejection.code(), "saml.in_response_to_unsigned");

    // A second bearer confirmation that does carry it is what must match, not the first.
    let with_irt = r#"<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="_req1" NotOnOrAfter="2026-03-02T10:05:00Z" Recipient="https://sp.example/saml/acs"/></saml:SubjectConfirmation></saml:Subject>"#;
    let signed_match = sign_assertion(
        &TEMPLATE
            .replace("Destination=", r#"InResponseTo="_req1" Destination="#)
            .replace("</saml:Subject>", with_irt),
    );
    assert_eq!(
        verify(signed_match.as_bytes(), &config, now())
            .unwrap()
            .in_response_to
            .as_deref(),
        Some("_req1")
    );

    // Signed content naming the request: the bearer confirmation alone, or the Response.
    let in_confirmation = sign_assertion(
        &TEMPLATE
            .replace("Destination=", r#"InResponseTo="_req1" Destination="#)
            .replace(
                "<saml:SubjectConfirmationData ",
                r#"<saml:SubjectConfirmationData InResponseTo="_req1" "#,
            ),
    );
    verify(in_confirmation.as_bytes(), &config, now()).unwrap();
    let response_signed = both_with("Destination=", r#"InResponseTo="_req1" Destination="#);
    verify(response_signed.as_bytes(), &config, now()).unwrap();

    // Unsolicited (no request expected), the same response is still the caller's to judge.
    assert_eq!(accept(&forged).in_response_to.as_deref(), Some("_req1"));
}

#[test]
fn clock_skew_bounds_are_inclusive_before_and_exclusive_after() {
    let xml = signed();
    let mut config = config();
    config.clock_skew_s = 0;
    assert!(verify(xml.as_bytes(), &config, at("2026-03-02T09:59:30Z")).is_ok());
    assert!(verify(xml.as_bytes(), &config, at("2026-03-02T10:04:59Z")).is_ok());
    config.clock_skew_s = 180;
    assert!(verify(xml.as_bytes(), &config, at("2026-03-02T09:56:30Z")).is_ok());
    assert!(verify(xml.as_bytes(), &config, at("2026-03-02T10:07:59Z")).is_ok());
}

// ---- input and document shape --------------------------------------------------------

#[test]
fn truncated_xml_is_rejected_as_malformed() {
    let xml = signed();
    assert_eq!(reject(&xml[..xml.len() / 2]).code(), "saml.malformed_xml");
}

#[test]
fn doctype_is_rejected() {
    let xml = format!("<!DOCTYPE r>{}", signed());
    assert_eq!(reject(&xml), Rejection::Doctype);
}

#[test]
fn deep_nesting_is_rejected_without_exhausting_the_stack() {
    let deep = format!("{}{}", "<a>".repeat(30_000), "</a>".repeat(30_000));
    let xml = TEMPLATE.replace("<samlp:Status>", &format!("{deep}<samlp:Status>"));
    assert_eq!(reject(&xml).code(), "saml.too_deep");
}

#[test]
fn a_document_that_is_not_a_response_is_rejected() {
    let r = reject(r#"<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>"#);
    assert_eq!(
        r,
        Rejection::NotAResponse {
            found: "samlp:LogoutRequest".to_owned()
        }
    );
}

#[test]
fn encrypted_assertion_is_rejected() {
    let xml = TEMPLATE.replace(
        "<saml:Assertion ",
        "<saml:EncryptedAssertion><x/></saml:EncryptedAssertion><saml:Assertion ",
    );
    assert_eq!(reject(&sign_both(&xml)), Rejection::EncryptedAssertion);
}

#[test]
fn response_without_assertion_is_rejected() {
    let (head, _) = TEMPLATE.split_once("<saml:Assertion").unwrap();
    let xml = sign_with(&format!("{head}</samlp:Response>"), "_resp1", RSA_SHA256);
    assert_eq!(reject(&xml), Rejection::NoAssertion);
}

#[test]
fn assertion_in_a_foreign_namespace_is_not_an_assertion() {
    let xml = TEMPLATE
        .replace("<saml:Assertion ", r#"<x:Assertion xmlns:x="urn:evil" "#)
        .replace("</saml:Assertion>", "</x:Assertion>");
    assert_eq!(reject(&xml), Rejection::NoAssertion);
}

#[test]
fn two_assertions_are_rejected_even_when_both_are_signed() {
    let one = sign_assertion(TEMPLATE);
    let (_, rest) = one.split_once("<saml:Assertion").unwrap();
    let (body, _) = rest.split_once("</saml:Assertion>").unwrap();
    let second = format!(
        "<saml:Assertion{}</saml:Assertion>",
        body.replace("_assert1", "_assert2")
    );
    let xml = one.replace("</samlp:Response>", &format!("{second}</samlp:Response>"));
    assert_eq!(reject(&xml), Rejection::MultipleAssertions { count: 2 });
}

#[test]
fn assertion_nested_anywhere_counts() {
    let xml = sign_assertion(TEMPLATE);
    let evil = xml.replace(
        "<samlp:Status>",
        "<samlp:Extensions><saml:Assertion ID=\"_evil\"/></samlp:Extensions><samlp:Status>",
    );
    assert_eq!(reject(&evil), Rejection::MultipleAssertions { count: 2 });
}

#[test]
fn assertion_wrapped_in_another_element_is_rejected() {
    let xml = sign_assertion(TEMPLATE)
        .replace("<saml:Assertion ", "<samlp:Extensions><saml:Assertion ")
        .replace("</saml:Assertion>", "</saml:Assertion></samlp:Extensions>");
    assert_eq!(
        reject(&xml),
        Rejection::AssertionMisplaced {
            parent: "samlp:Extensions".to_owned()
        }
    );
}

#[test]
fn duplicate_ids_are_rejected_whatever_the_id_attribute_spelling() {
    for attr in ["ID", "Id", "id"] {
        let xml = sign_assertion(TEMPLATE).replace(
            "<samlp:Status>",
            &format!("<samlp:Extensions><x {attr}=\"_assert1\"/></samlp:Extensions><samlp:Status>"),
        );
        assert_eq!(
            reject(&xml),
            Rejection::DuplicateId {
                id: "_assert1".to_owned()
            },
            "{attr}"
        );
    }
}

// ---- signature placement and structure -----------------------------------------------

#[test]
fn unsigned_response_is_rejected() {
    assert_eq!(reject(TEMPLATE), Rejection::Unsigned);
}

#[test]
fn response_signed_without_a_signed_assertion_is_rejected() {
    assert_eq!(
        reject(&sign_with(TEMPLATE, "_resp1", RSA_SHA256)),
        Rejection::UnsignedAssertion
    );
}

// ---- Response-only signatures (an opt-in per configuration) -----------------------------

fn response_only_config() -> SpConfig {
    let mut config = config();
    config.accept_response_only_signature = true;
    config
}

fn response_only_signed(xml: &str) -> String {
    sign_with(xml, "_resp1", RSA_SHA256)
}

#[test]
fn response_only_signature_is_refused_unless_the_configuration_accepts_it() {
    let xml = response_only_signed(TEMPLATE);
    assert_eq!(reject(&xml), Rejection::UnsignedAssertion);
    assert!(reject(&xml)
        .to_string()
        .contains("Accept Response-only signatures"));
    let v = verify(xml.as_bytes(), &response_only_config(), now()).unwrap();
    assert_eq!(v.name_id, "alice@example.com");
    assert_eq!(v.assertion_id, "_assert1");
}

#[test]
fn response_only_option_still_verifies_an_assertion_signature_when_present() {
    let config = response_only_config();
    verify(signed().as_bytes(), &config, now()).unwrap();
    verify(sign_assertion(TEMPLATE).as_bytes(), &config, now()).unwrap();
    assert_eq!(reject_with(TEMPLATE, &config), Rejection::Unsigned);
}

#[test]
fn response_only_signature_over_two_assertions_is_refused() {
    let (_, rest) = TEMPLATE.split_once("<saml:Assertion").unwrap();
    let (body, _) = rest.split_once("</saml:Assertion>").unwrap();
    let second = format!(
        "<saml:Assertion{}</saml:Assertion>",
        body.replace("_assert1", "_assert2")
            .replace("alice@example.com", "admin@example.com")
    );
    let two = TEMPLATE.replace("</samlp:Response>", &format!("{second}</samlp:Response>"));
    assert_eq!(
        reject_with(&response_only_signed(&two), &response_only_config()),
        Rejection::MultipleAssertions { count: 2 }
    );
}

#[test]
fn response_only_signature_with_the_assertion_moved_outside_is_refused() {
    let config = response_only_config();
    let signed = response_only_signed(TEMPLATE);
    // Into an Extensions element of the signed Response.
    let wrapped = signed
        .replace("<saml:Assertion ", "<samlp:Extensions><saml:Assertion ")
        .replace("</saml:Assertion>", "</saml:Assertion></samlp:Extensions>");
    assert_eq!(
        reject_with(&wrapped, &config),
        Rejection::AssertionMisplaced {
            parent: "samlp:Extensions".to_owned()
        }
    );
    // Out of the signed Response, into an evil one that keeps the signed original inside
    // its Signature (XSW1): two Assertions, or a misplaced one once the evil one is gone.
    let (_, rest) = signed.split_once("<ds:Signature").unwrap();
    let (sig_body, _) = rest.split_once("</ds:Signature>").unwrap();
    let evil_assertion = {
        let (_, a) = TEMPLATE.split_once("<saml:Assertion").unwrap();
        let (a, _) = a.split_once("</saml:Assertion>").unwrap();
        format!(
            "<saml:Assertion{}</saml:Assertion>",
            a.replace("_assert1", "_evil")
        )
        .replace("alice@example.com", "admin@example.com")
    };
    let (head, _) = TEMPLATE.split_once("<saml:Assertion").unwrap();
    let evil = format!(
        "{}<ds:Signature{sig_body}<ds:Object>{signed}</ds:Object></ds:Signature>{}{evil_assertion}</samlp:Response>",
        head.replace("_resp1", "_evilresp"),
        "",
    );
    let rejection = reject_with(&evil, &config);
    assert!(
        matches!(
            rejection,
            Rejection::MultipleAssertions { .. }
                | Rejection::AssertionMisplaced { .. }
                | Rejection::SignatureObject { .. }
                | Rejection::ReferenceMismatch { .. }
        ),
        "{rejection:?}"
    );
    // The signed Response nested inside an unsigned one, with no other Assertion.
    let nested = format!(
        "{}<samlp:Extensions>{signed}</samlp:Extensions></samlp:Response>",
        head.replace("_resp1", "_outer")
    );
    assert!(matches!(
        reject_with(&nested, &config),
        Rejection::AssertionMisplaced { .. } | Rejection::Unsigned
    ));
}

#[test]
fn response_only_signature_over_a_modified_assertion_is_refused() {
    let xml = response_only_signed(TEMPLATE).replace(
        ">alice@example.com</saml:NameID>",
        ">admin@example.com</saml:NameID>",
    );
    assert_eq!(
        reject_with(&xml, &response_only_config()),
        Rejection::DigestMismatch { element: Response }
    );
}

#[test]
fn response_only_signature_must_reference_the_response_itself() {
    let xml = response_only_signed(TEMPLATE).replace("URI=\"#_resp1\"", "URI=\"#_assert1\"");
    assert_eq!(
        reject_with(&xml, &response_only_config()),
        Rejection::ReferenceMismatch {
            element: Response,
            expected: "#_resp1".to_owned(),
            found: "#_assert1".to_owned()
        }
    );
}

#[test]
fn signature_outside_the_response_and_assertion_is_rejected() {
    let signed = sign_assertion(TEMPLATE);
    let (_, rest) = signed.split_once("<ds:Signature").unwrap();
    let (sig, _) = rest.split_once("</ds:Signature>").unwrap();
    let sig = format!("<ds:Signature{sig}</ds:Signature>");
    let xml = signed.replace(
        "<saml:AttributeValue>devs</saml:AttributeValue>",
        &format!("<saml:AttributeValue>devs{sig}</saml:AttributeValue>"),
    );
    assert_eq!(
        reject(&xml),
        Rejection::SignatureMisplaced {
            parent: "saml:AttributeValue".to_owned()
        }
    );
}

#[test]
fn two_signatures_on_the_assertion_are_rejected() {
    let signed = sign_assertion(TEMPLATE);
    let (_, rest) = signed.split_once("<ds:Signature").unwrap();
    let (sig, _) = rest.split_once("</ds:Signature>").unwrap();
    let sig = format!("<ds:Signature{sig}</ds:Signature>");
    let xml = signed.replacen(&sig, &format!("{sig}{sig}"), 1);
    assert_eq!(
        reject(&xml),
        Rejection::MultipleSignatures {
            element: Assertion,
            count: 2
        }
    );
}

#[test]
fn assertion_without_id_is_rejected() {
    let xml =
        sign_assertion(TEMPLATE).replace(r#"<saml:Assertion ID="_assert1""#, "<saml:Assertion");
    assert_eq!(reject(&xml), Rejection::MissingId { element: Assertion });
}

#[test]
fn signature_object_is_rejected() {
    let xml = sign_assertion(TEMPLATE).replace(
        "</ds:SignatureValue>",
        "</ds:SignatureValue><ds:Object><x/></ds:Object>",
    );
    assert_eq!(
        reject(&xml),
        Rejection::SignatureObject { element: Assertion }
    );
}

#[test]
fn malformed_signature_structures_are_rejected() {
    let signed = sign_assertion(TEMPLATE);
    let value = signed
        .split_once("<ds:SignatureValue>")
        .unwrap()
        .1
        .split_once("<")
        .unwrap()
        .0;
    let transforms = format!(
        "<ds:Transforms>{}</ds:Transforms>",
        signed
            .split_once("<ds:Transforms>")
            .unwrap()
            .1
            .split_once("</ds:Transforms>")
            .unwrap()
            .0
    );
    for (from, to) in [
        ("<ds:SignedInfo>", "<ds:KeyInfo/><ds:SignedInfo>"),
        ("</ds:SignatureValue>", "</ds:SignatureValue><ds:Foo/>"),
        (
            "<ds:CanonicalizationMethod",
            "<ds:Foo/><ds:CanonicalizationMethod",
        ),
        (transforms.as_str(), ""),
        ("<ds:DigestValue>", "<ds:Foo/><ds:DigestValue>"),
        (value, "!!!"),
        ("<ds:SignedInfo>", "<ds:SignedInfo>text"),
    ] {
        let xml = signed.replacen(from, to, 1);
        assert_eq!(
            reject(&xml).code(),
            "saml.malformed_signature",
            "{from} -> {to}"
        );
    }
}

#[test]
fn more_than_one_reference_is_rejected() {
    let signed = sign_assertion(TEMPLATE);
    let (_, rest) = signed.split_once("<ds:Reference").unwrap();
    let (reference, _) = rest.split_once("</ds:Reference>").unwrap();
    let reference = format!("<ds:Reference{reference}</ds:Reference>");
    let xml = signed.replace(
        &reference,
        &format!("{reference}{}", reference.replace("#_assert1", "#_resp1")),
    );
    assert_eq!(
        reject(&xml),
        Rejection::ReferenceCount {
            element: Assertion,
            count: 2
        }
    );
}

#[test]
fn reference_to_another_element_or_outside_is_rejected() {
    for uri in ["#_resp1", "", "http://evil.example/a.xml", "_assert1"] {
        let xml =
            sign_assertion(TEMPLATE).replace(r##"URI="#_assert1""##, &format!(r#"URI="{uri}""#));
        assert_eq!(
            reject(&xml),
            Rejection::ReferenceMismatch {
                element: Assertion,
                expected: "#_assert1".into(),
                found: uri.into()
            }
        );
    }
}

#[test]
fn transforms_other_than_enveloped_then_exclusive_are_rejected() {
    let xslt = "http://www.w3.org/TR/1999/REC-xslt-19991116";
    let xml = sign_assertion(TEMPLATE).replacen(ENVELOPED, xslt, 1);
    assert_eq!(
        reject(&xml),
        Rejection::TransformNotAllowed {
            element: Assertion,
            algorithm: xslt.into()
        }
    );
    let with_comments = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
    let signed = sign_assertion(TEMPLATE);
    let at = signed
        .find(&format!(r#"<ds:Transform Algorithm="{EXC}">"#))
        .unwrap();
    let xml = format!(
        "{}{}",
        &signed[..at],
        signed[at..].replacen(EXC, with_comments, 1)
    );
    assert_eq!(reject(&xml).code(), "saml.transform_not_allowed");
}

#[test]
fn canonicalization_with_comments_is_rejected() {
    let alg = "http://www.w3.org/2006/12/xml-c14n11";
    let xml = sign_assertion(TEMPLATE).replacen(EXC, alg, 1);
    assert_eq!(
        reject(&xml),
        Rejection::CanonicalizationNotAllowed {
            element: Assertion,
            algorithm: alg.into()
        }
    );
}

#[test]
fn sha1_is_rejected_unless_allowed() {
    let xml = sign_assertion(TEMPLATE).replace(RSA_SHA256.signature, SHA1.signature);
    assert_eq!(
        reject(&xml),
        Rejection::Sha1NotAllowed {
            element: Assertion,
            algorithm: SHA1.signature.into()
        }
    );
    let xml = sign_with(
        TEMPLATE,
        "_assert1",
        Algorithms {
            digest: SHA1.digest,
            ..RSA_SHA256
        },
    );
    assert_eq!(
        reject(&xml),
        Rejection::Sha1NotAllowed {
            element: Assertion,
            algorithm: SHA1.digest.into()
        }
    );
}

#[test]
fn hmac_and_unknown_algorithms_are_rejected() {
    let hmac = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";
    let xml = sign_assertion(TEMPLATE).replace(RSA_SHA256.signature, hmac);
    assert_eq!(
        reject(&xml),
        Rejection::UnsupportedAlgorithm {
            element: Assertion,
            algorithm: hmac.into()
        }
    );
    let md5 = "http://www.w3.org/2001/04/xmldsig-more#md5";
    let xml = sign_assertion(TEMPLATE).replace(RSA_SHA256.digest, md5);
    assert_eq!(
        reject(&xml),
        Rejection::UnsupportedAlgorithm {
            element: Assertion,
            algorithm: md5.into()
        }
    );
}

#[test]
fn nameid_changed_after_signing_is_a_digest_mismatch() {
    let xml = sign_assertion(TEMPLATE).replace(
        ">alice@example.com</saml:NameID>",
        ">admin@example.com</saml:NameID>",
    );
    assert_eq!(
        reject(&xml),
        Rejection::DigestMismatch { element: Assertion }
    );
}

#[test]
fn response_changed_after_signing_is_a_digest_mismatch() {
    let xml = signed().replace(
        r#"IssueInstant="2026-03-02T10:00:00Z" Destination"#,
        r#"IssueInstant="2026-03-02T10:00:01Z" Destination"#,
    );
    assert_eq!(
        reject(&xml),
        Rejection::DigestMismatch { element: Response }
    );
}

#[test]
fn signature_by_an_untrusted_key_is_rejected() {
    let alg = Algorithms {
        key: Key::Other,
        ..RSA_SHA256
    };
    let xml = sign_with(TEMPLATE, "_assert1", alg);
    assert_eq!(
        reject(&xml),
        Rejection::WrongKey {
            element: Assertion,
            trusted: 1
        }
    );
    let xml = sign_with(&sign_assertion(TEMPLATE), "_resp1", alg);
    assert_eq!(
        reject(&xml),
        Rejection::WrongKey {
            element: Response,
            trusted: 1
        }
    );
}

#[test]
fn altered_signature_value_is_rejected() {
    let signed = sign_assertion(TEMPLATE);
    let at = signed.find("<ds:SignatureValue>").unwrap() + "<ds:SignatureValue>".len() + 10;
    let mut bytes = signed.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let xml = String::from_utf8(bytes).unwrap();
    assert_eq!(
        reject(&xml),
        Rejection::WrongKey {
            element: Assertion,
            trusted: 1
        }
    );
}

#[test]
fn ec_signature_is_not_checked_against_an_rsa_key() {
    let alg = Algorithms {
        key: Key::Ec,
        signature: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
        digest: RSA_SHA256.digest,
    };
    let xml = sign_with(TEMPLATE, "_assert1", alg);
    assert_eq!(
        reject(&xml),
        Rejection::WrongKey {
            element: Assertion,
            trusted: 1
        }
    );
}

// ---- response rules --------------------------------------------------------------------

#[test]
fn non_success_status_is_rejected_even_with_a_nested_success() {
    let xml = both_with(
        r#"<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>"#,
        r#"<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Requester"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:StatusCode><samlp:StatusMessage>denied</samlp:StatusMessage>"#,
    );
    assert_eq!(
        reject(&xml),
        Rejection::StatusNotSuccess {
            code: "urn:oasis:names:tc:SAML:2.0:status:Requester".into(),
            detail: "urn:oasis:names:tc:SAML:2.0:status:Success: denied".into()
        }
    );
}

#[test]
fn missing_status_is_rejected() {
    let xml = both_with(
        r#"<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>"#,
        "",
    );
    assert_eq!(
        reject(&xml),
        Rejection::MissingElement {
            element: "Response/Status"
        }
    );
}

#[test]
fn wrong_destination_is_rejected_and_missing_destination_accepted() {
    let xml = both_with(
        r#"Destination="https://sp.example/saml/acs""#,
        r#"Destination="https://sp.example/saml/acs2""#,
    );
    assert_eq!(
        reject(&xml),
        Rejection::DestinationMismatch {
            expected: ACS.into(),
            found: "https://sp.example/saml/acs2".into()
        }
    );
    accept(&both_with(
        r#" Destination="https://sp.example/saml/acs""#,
        "",
    ));
}

#[test]
fn expected_in_response_to_must_be_present_and_equal() {
    let mut config = config();
    config.expected_in_response_to = Some("_req1".to_owned());
    assert_eq!(
        reject_with(&signed(), &config),
        Rejection::InResponseToMissing {
            expected: "_req1".into()
        }
    );
    let xml = both_with("Destination=", r#"InResponseTo="_req2" Destination="#);
    assert_eq!(
        reject_with(&xml, &config),
        Rejection::InResponseToMismatch {
            element: "Response",
            expected: "_req1".into(),
            found: "_req2".into()
        }
    );
    let xml = sign_both(
        &TEMPLATE
            .replace("Destination=", r#"InResponseTo="_req1" Destination="#)
            .replace(
                "<saml:SubjectConfirmationData ",
                r#"<saml:SubjectConfirmationData InResponseTo="_req2" "#,
            ),
    );
    assert_eq!(
        reject_with(&xml, &config),
        Rejection::InResponseToMismatch {
            element: "SubjectConfirmationData",
            expected: "_req1".into(),
            found: "_req2".into()
        }
    );
}

#[test]
fn issuer_must_match_the_configured_idp_on_both_levels() {
    let mut config = config();
    config.idp_entity_id = Some(IDP.to_owned());
    verify(signed().as_bytes(), &config, now()).unwrap();
    let evil = "https://evil.example/metadata";
    let xml = sign_both(&TEMPLATE.replacen(IDP, evil, 1));
    assert_eq!(
        reject_with(&xml, &config),
        Rejection::IssuerMismatch {
            element: Response,
            expected: IDP.into(),
            found: evil.into()
        }
    );
    let at = TEMPLATE.rfind(IDP).unwrap();
    let xml = sign_both(&format!(
        "{}{evil}{}",
        &TEMPLATE[..at],
        &TEMPLATE[at + IDP.len()..]
    ));
    assert_eq!(
        reject_with(&xml, &config),
        Rejection::IssuerMismatch {
            element: Assertion,
            expected: IDP.into(),
            found: evil.into()
        }
    );
}

#[test]
fn duplicate_response_issuer_is_rejected() {
    let xml = both_with(
        "<saml:Issuer>https://idp.example/metadata</saml:Issuer><samlp:Status>",
        "<saml:Issuer>https://idp.example/metadata</saml:Issuer><saml:Issuer>x</saml:Issuer><samlp:Status>",
    );
    assert_eq!(
        reject(&xml),
        Rejection::DuplicateElement {
            element: "Response/Issuer",
            count: 2
        }
    );
}

// ---- assertion rules -----------------------------------------------------------------

#[test]
fn assertion_without_issuer_is_rejected() {
    let at = TEMPLATE.rfind("<saml:Issuer>").unwrap();
    let end = TEMPLATE.rfind("</saml:Issuer>").unwrap() + "</saml:Issuer>".len();
    let xml = sign_both(&format!("{}{}", &TEMPLATE[..at], &TEMPLATE[end..]));
    assert_eq!(
        reject(&xml),
        Rejection::MissingElement {
            element: "Assertion/Issuer"
        }
    );
}

#[test]
fn missing_conditions_are_rejected() {
    let (head, rest) = TEMPLATE.split_once("<saml:Conditions").unwrap();
    let (_, tail) = rest.split_once("</saml:Conditions>").unwrap();
    assert_eq!(
        reject(&sign_both(&format!("{head}{tail}"))),
        Rejection::ConditionsMissing
    );
}

#[test]
fn two_conditions_elements_are_rejected() {
    let xml = both_with(
        "<saml:AuthnStatement ",
        r#"<saml:Conditions NotOnOrAfter="2030-01-01T00:00:00Z"/><saml:AuthnStatement "#,
    );
    assert_eq!(
        reject(&xml),
        Rejection::DuplicateElement {
            element: "Assertion/Conditions",
            count: 2
        }
    );
}

#[test]
fn missing_audience_restriction_is_rejected() {
    let xml = both_with(
        "<saml:AudienceRestriction><saml:Audience>https://sp.example/saml/metadata</saml:Audience></saml:AudienceRestriction>",
        "",
    );
    assert_eq!(reject(&xml), Rejection::AudienceRestrictionMissing);
}

#[test]
fn audience_must_match_exactly() {
    for other in [
        "https://sp.example/saml/metadata2",
        "https://sp.example/saml",
        "HTTPS://sp.example/saml/metadata",
    ] {
        let xml = both_with(">https://sp.example/saml/metadata<", &format!(">{other}<"));
        assert_eq!(
            reject(&xml),
            Rejection::AudienceMismatch {
                expected: SP.into(),
                found: other.into()
            }
        );
    }
    accept(&both_with(
        "<saml:Audience>https://sp.example/saml/metadata</saml:Audience>",
        "<saml:Audience>urn:other</saml:Audience><saml:Audience>https://sp.example/saml/metadata</saml:Audience>",
    ));
}

#[test]
fn every_audience_restriction_must_name_this_sp() {
    let xml = both_with(
        "</saml:AudienceRestriction>",
        "</saml:AudienceRestriction><saml:AudienceRestriction><saml:Audience>urn:other</saml:Audience></saml:AudienceRestriction>",
    );
    assert_eq!(
        reject(&xml),
        Rejection::AudienceMismatch {
            expected: SP.into(),
            found: "urn:other".into()
        }
    );
}

#[test]
fn expired_assertion_is_rejected() {
    let xml = signed();
    let r = verify(xml.as_bytes(), &config(), at("2026-03-02T10:08:00Z")).unwrap_err();
    assert_eq!(
        r,
        Rejection::Expired {
            element: "Assertion Conditions",
            not_on_or_after: at("2026-03-02T10:05:00Z"),
            now: at("2026-03-02T10:08:00Z"),
            skew_s: 180
        }
    );
    assert_eq!(r.to_string(), "the Assertion Conditions expired at 2026-03-02T10:05:00Z (now 2026-03-02T10:08:00Z, skew 180s)");
    let mut exact = config();
    exact.clock_skew_s = 0;
    assert_eq!(
        verify(xml.as_bytes(), &exact, at("2026-03-02T10:05:00Z"))
            .unwrap_err()
            .code(),
        "saml.expired"
    );
}

#[test]
fn expired_bearer_confirmation_is_rejected_while_conditions_are_valid() {
    let xml = both_with(
        r#"<saml:SubjectConfirmationData NotOnOrAfter="2026-03-02T10:05:00Z""#,
        r#"<saml:SubjectConfirmationData NotOnOrAfter="2026-03-02T10:00:30Z""#,
    );
    let r = verify(xml.as_bytes(), &config(), at("2026-03-02T10:04:00Z")).unwrap_err();
    assert_eq!(
        r,
        Rejection::Expired {
            element: "bearer SubjectConfirmationData",
            not_on_or_after: at("2026-03-02T10:00:30Z"),
            now: at("2026-03-02T10:04:00Z"),
            skew_s: 180
        }
    );
}

#[test]
fn assertion_not_yet_valid_is_rejected() {
    let r = verify(signed().as_bytes(), &config(), at("2026-03-02T09:56:29Z")).unwrap_err();
    assert_eq!(
        r,
        Rejection::NotYetValid {
            element: "Assertion Conditions",
            not_before: at("2026-03-02T09:59:30Z"),
            now: at("2026-03-02T09:56:29Z"),
            skew_s: 180
        }
    );
}

#[test]
fn fractional_not_before_is_rounded_up() {
    let xml = both_with(
        r#"NotBefore="2026-03-02T09:59:30Z""#,
        r#"NotBefore="2026-03-02T09:59:30.250Z""#,
    );
    let mut config = config();
    config.clock_skew_s = 0;
    assert_eq!(
        verify(xml.as_bytes(), &config, at("2026-03-02T09:59:30Z"))
            .unwrap_err()
            .code(),
        "saml.not_yet_valid"
    );
    assert!(verify(xml.as_bytes(), &config, at("2026-03-02T09:59:31Z")).is_ok());
}

#[test]
fn unparsable_time_is_rejected() {
    let xml = both_with(
        r#"NotBefore="2026-03-02T09:59:30Z""#,
        r#"NotBefore="yesterday""#,
    );
    assert_eq!(
        reject(&xml),
        Rejection::InvalidTimestamp {
            attribute: "NotBefore",
            value: "yesterday".into()
        }
    );
}

#[test]
fn assertion_without_any_expiry_is_rejected() {
    let xml = both_with(
        r#" NotOnOrAfter="2026-03-02T10:05:00Z" Recipient"#,
        " Recipient",
    );
    accept(&xml);
    let xml = sign_both(
        &TEMPLATE
            .replace(
                r#" NotOnOrAfter="2026-03-02T10:05:00Z" Recipient"#,
                " Recipient",
            )
            .replace(r#" NotOnOrAfter="2026-03-02T10:05:00Z">"#, ">"),
    );
    assert_eq!(reject(&xml), Rejection::NoExpiry);
}

#[test]
fn missing_subject_is_rejected() {
    let (head, rest) = TEMPLATE.split_once("<saml:Subject>").unwrap();
    let (_, tail) = rest.split_once("</saml:Subject>").unwrap();
    assert_eq!(
        reject(&sign_both(&format!("{head}{tail}"))),
        Rejection::MissingElement {
            element: "Assertion/Subject"
        }
    );
}

#[test]
fn subject_without_bearer_confirmation_is_rejected() {
    let xml = both_with(
        "urn:oasis:names:tc:SAML:2.0:cm:bearer",
        "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key",
    );
    assert_eq!(reject(&xml), Rejection::NoBearerConfirmation);
}

#[test]
fn recipient_is_required_and_must_match() {
    let xml = both_with(r#" Recipient="https://sp.example/saml/acs""#, "");
    assert_eq!(reject(&xml), Rejection::RecipientMissing);
    let xml = both_with(
        r#"Recipient="https://sp.example/saml/acs""#,
        r#"Recipient="https://sp.example/saml/acs/""#,
    );
    assert_eq!(
        reject(&xml),
        Rejection::RecipientMismatch {
            expected: ACS.into(),
            found: "https://sp.example/saml/acs/".into()
        }
    );
    let xml = both_with(
        r#"<saml:SubjectConfirmationData NotOnOrAfter="2026-03-02T10:05:00Z" Recipient="https://sp.example/saml/acs"/>"#,
        "",
    );
    assert_eq!(reject(&xml), Rejection::RecipientMissing);
}

#[test]
fn missing_nameid_is_rejected() {
    let (head, rest) = TEMPLATE.split_once("<saml:NameID").unwrap();
    let (_, tail) = rest.split_once("</saml:NameID>").unwrap();
    assert_eq!(
        reject(&sign_both(&format!("{head}{tail}"))),
        Rejection::NameIdMissing
    );
}

#[test]
fn two_nameids_are_rejected() {
    let xml = both_with(
        "</saml:NameID>",
        "</saml:NameID><saml:NameID>bob@example.com</saml:NameID>",
    );
    assert_eq!(
        reject(&xml),
        Rejection::DuplicateElement {
            element: "Subject/NameID",
            count: 2
        }
    );
}

#[test]
fn nameid_with_child_elements_is_rejected() {
    let xml = both_with(
        ">alice@example.com</saml:NameID>",
        "><b>alice@example.com</b></saml:NameID>",
    );
    assert_eq!(reject(&xml), Rejection::NameIdMalformed);
}

#[test]
fn transient_and_persistent_nameids_are_rejected() {
    for format in [
        "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
    ] {
        let xml = both_with(
            "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
            format,
        );
        assert_eq!(
            reject(&xml),
            Rejection::NameIdFormatNotAllowed {
                format: format.into()
            }
        );
    }
}

#[test]
fn unspecified_nameid_is_accepted_only_when_it_is_an_email() {
    let unspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
    accept(&both_with(
        "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
        unspecified,
    ));
    let no_format = both_with(
        r#" Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress""#,
        "",
    );
    assert_eq!(accept(&no_format).name_id_format, unspecified);
    for value in [
        "alice",
        "alice@localhost",
        "alice smith@example.com",
        "@example.com",
    ] {
        let xml = sign_both(
            &TEMPLATE
                .replace(
                    "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                    unspecified,
                )
                .replace(
                    ">alice@example.com</saml:NameID>",
                    &format!(">{value}</saml:NameID>"),
                ),
        );
        assert_eq!(
            reject(&xml),
            Rejection::NameIdNotEmail {
                format: unspecified.into(),
                value: value.into()
            }
        );
    }
}

#[test]
fn every_rejection_has_a_distinct_dotted_code() {
    let samples = [
        Rejection::Doctype,
        Rejection::Unsigned,
        Rejection::UnsignedAssertion,
        Rejection::KeyTooSmall {
            element: Assertion,
            bits: 1024,
            minimum: 2048,
        },
        Rejection::NoAssertion,
        Rejection::EncryptedAssertion,
        Rejection::ConditionsMissing,
        Rejection::AudienceRestrictionMissing,
        Rejection::NoBearerConfirmation,
        Rejection::RecipientMissing,
        Rejection::NoExpiry,
        Rejection::NameIdMissing,
        Rejection::NameIdMalformed,
    ];
    let codes: std::collections::HashSet<_> = samples.iter().map(Rejection::code).collect();
    assert_eq!(codes.len(), samples.len());
    assert!(codes.iter().all(|c| c.starts_with("saml.")));
}

// ---- responses signed by libxmlsec1: our canonicalization must agree with it ---------------

#[test]
fn xmlsec1_signed_responses_are_accepted() {
    let rsa = config();
    let ec = SpConfig::new(SP, ACS, vec![IdpCertificate::from_pem(EC_CERT).unwrap()]);
    for (name, xml, config) in [
        (
            "both-rsa-sha256-7k",
            include_str!("../tests/fixtures/signed/both-rsa-sha256-7k.xml"),
            &rsa,
        ),
        (
            "both-ecdsa-p256",
            include_str!("../tests/fixtures/signed/both-ecdsa-p256.xml"),
            &ec,
        ),
        (
            "assertion-prefixlist",
            include_str!("../tests/fixtures/signed/assertion-prefixlist.xml"),
            &rsa,
        ),
        (
            "assertion-inclusive-c14n",
            include_str!("../tests/fixtures/signed/assertion-inclusive-c14n.xml"),
            &rsa,
        ),
    ] {
        let v = verify(xml.as_bytes(), config, now()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(v.name_id, "alice@example.com", "{name}");
    }
}

#[test]
fn explicit_inclusive_c14n_carries_inherited_xml_attributes_like_xmlsec1() {
    // Signed by xmlsec1: xml:lang, xml:space and xml:base on the Response are part of the
    // signed Assertion's canonical form, under an explicit inclusive c14n transform.
    let xml =
        include_str!("../tests/fixtures/signed/assertion-inclusive-explicit-xml-attributes.xml");
    assert_eq!(accept(xml).name_id, "alice@example.com");
    // They are signed: changing one on the Response breaks the Assertion's digest.
    let changed = xml.replacen("xml:lang=\"en\"", "xml:lang=\"de\"", 1);
    assert_eq!(
        reject(&changed),
        Rejection::DigestMismatch { element: Assertion }
    );
    // A parameter on the inclusive transform is not something it takes.
    let c14n = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
    let with_child = xml.replacen(
        &format!("<ds:Transform Algorithm=\"{c14n}\"/>"),
        &format!("<ds:Transform Algorithm=\"{c14n}\"><x/></ds:Transform>"),
        1,
    );
    assert_eq!(reject(&with_child).code(), "saml.transform_not_allowed");
}

#[test]
fn keyinfo_certificate_is_never_trusted() {
    // The fixture embeds the signer's certificate; trusting only another key must fail.
    let xml = include_str!("../tests/fixtures/signed/both-rsa-sha256-7k.xml");
    let config = SpConfig::new(SP, ACS, vec![IdpCertificate::from_pem(OTHER_CERT).unwrap()]);
    assert_eq!(
        reject_with(xml, &config),
        Rejection::WrongKey {
            element: Assertion,
            trusted: 1
        }
    );
}
