//! Property tests: byte flips, renamed and injected elements, moved fragments and random
//! input never make `verify` panic, and never yield an identity other than the signed one.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test root: failing loudly is the point

use orgsso_core::Timestamp;
use orgsso_saml::{verify, IdpCertificate, SpConfig, VerifiedAssertion};
use proptest::prelude::*;
use std::sync::OnceLock;

const SIGNED: &str = include_str!("fixtures/signed/both-rsa-sha256-7k.xml");
const CERT: &str = include_str!("fixtures/test-idp-rsa.crt");

fn config() -> &'static SpConfig {
    static CONFIG: OnceLock<SpConfig> = OnceLock::new();
    CONFIG.get_or_init(|| {
        SpConfig::new(
            "https://sp.example/saml/metadata",
            "https://sp.example/saml/acs",
            vec![IdpCertificate::from_pem(CERT).unwrap()],
        )
    })
}

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-03-02T10:01:00Z").unwrap()
}

fn original() -> &'static VerifiedAssertion {
    static ORIGINAL: OnceLock<VerifiedAssertion> = OnceLock::new();
    ORIGINAL.get_or_init(|| verify(SIGNED.as_bytes(), config(), now()).unwrap())
}

/// Accepting is fine only if nothing the caller relies on changed.
fn check(input: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(verified) = verify(input, config(), now()) {
        prop_assert_eq!(&verified, original());
    }
    Ok(())
}

/// Byte offsets of every `<` that opens an element, for structural mutations.
fn tag_starts() -> &'static [usize] {
    static STARTS: OnceLock<Vec<usize>> = OnceLock::new();
    STARTS.get_or_init(|| {
        SIGNED
            .match_indices('<')
            .map(|(i, _)| i)
            .filter(|&i| {
                SIGNED
                    .as_bytes()
                    .get(i + 1)
                    .is_some_and(|b| b.is_ascii_alphabetic())
            })
            .collect()
    })
}

const INJECTIONS: &[&str] = &[
    r#"<saml:Assertion ID="_evil" Version="2.0" IssueInstant="2026-03-02T10:00:00Z"><saml:Issuer>https://idp.example/metadata</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">admin@example.com</saml:NameID></saml:Subject></saml:Assertion>"#,
    r#"<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">admin@example.com</saml:NameID>"#,
    r#"<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"/>"#,
    r#"<saml:Subject><saml:NameID>admin@example.com</saml:NameID></saml:Subject>"#,
    r#"<saml:Conditions NotOnOrAfter="2099-01-01T00:00:00Z"/>"#,
    r#"<saml:Attribute Name="role"><saml:AttributeValue>admin</saml:AttributeValue></saml:Attribute>"#,
    r#"<x ID="_assert1"/>"#,
    r#"<!-- comment -->"#,
    r#"<?pi data?>"#,
    "&lt;",
];

const RENAMES: &[(&str, &str)] = &[
    ("saml:", "saml2:"),
    ("saml:", "samlp:"),
    ("samlp:", "saml:"),
    ("ds:", "dsig:"),
    ("Assertion", "Assertion2"),
    ("Signature", "SignatureX"),
    ("ID=", "Id="),
    ("ID=", "id="),
    ("NameID", "NameId"),
    ("Reference", "Manifest"),
];

proptest! {
    // 64 cases keep the suite fast; PROPTEST_CASES=100000 for a long run.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    #[test]
    fn flipping_any_byte_never_changes_the_identity(pos in 0..SIGNED.len(), bit in 0u8..8) {
        let mut bytes = SIGNED.as_bytes().to_vec();
        bytes[pos] ^= 1 << bit;
        check(&bytes)?;
    }

    #[test]
    fn renaming_one_element_never_changes_the_identity(
        which in 0..RENAMES.len(),
        occurrence in 0usize..40,
    ) {
        let (from, to) = RENAMES[which];
        let hits: Vec<usize> = SIGNED.match_indices(from).map(|(i, _)| i).collect();
        prop_assume!(!hits.is_empty());
        let at = hits[occurrence % hits.len()];
        let mutated = format!("{}{}{}", &SIGNED[..at], to, &SIGNED[at + from.len()..]);
        check(mutated.as_bytes())?;
    }

    #[test]
    fn injecting_an_element_never_changes_the_identity(
        which in 0..INJECTIONS.len(),
        slot in 0usize..1000,
    ) {
        let at = tag_starts()[slot % tag_starts().len()];
        let mutated = format!("{}{}{}", &SIGNED[..at], INJECTIONS[which], &SIGNED[at..]);
        check(mutated.as_bytes())?;
    }

    #[test]
    fn moving_a_fragment_never_changes_the_identity(
        a in 0usize..1000,
        b in 0usize..1000,
        c in 0usize..1000,
    ) {
        let starts = tag_starts();
        let mut cuts = [starts[a % starts.len()], starts[b % starts.len()], starts[c % starts.len()]];
        cuts.sort_unstable();
        let [x, y, z] = cuts;
        // Swap [x, y) and [y, z): a reorder of sibling runs, or a broken document.
        let mutated = format!("{}{}{}{}", &SIGNED[..x], &SIGNED[y..z], &SIGNED[x..y], &SIGNED[z..]);
        check(mutated.as_bytes())?;
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes)?;
    }

    #[test]
    fn random_bytes_spliced_into_a_valid_response_never_change_the_identity(
        slot in 0usize..1000,
        junk in "[<>/=\"'a-zA-Z0-9:#&; -]{1,40}",
    ) {
        let at = tag_starts()[slot % tag_starts().len()];
        let mutated = format!("{}{}{}", &SIGNED[..at], junk, &SIGNED[at..]);
        check(mutated.as_bytes())?;
    }
}

#[test]
fn the_unmodified_fixture_is_accepted() {
    assert_eq!(original().name_id, "alice@example.com");
}
