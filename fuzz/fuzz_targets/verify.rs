//! Fuzzes `orgsso_saml::verify`: raw input, or input spliced into a valid doubly-signed
//! Response so mutations reach the signature and SAML checks. Nothing may panic, and an
//! accepted splice must carry exactly the identity that was signed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orgsso_core::Timestamp;
use orgsso_saml::{verify, IdpCertificate, SpConfig, VerifiedAssertion};
use std::sync::OnceLock;

const SIGNED: &str = include_str!("../../crates/saml/tests/fixtures/signed/both-rsa-sha256-7k.xml");
const CERT: &str = include_str!("../../crates/saml/tests/fixtures/test-idp-rsa.crt");

struct Fixture {
    config: SpConfig,
    /// The same, accepting Response-only signatures: a splice that drops the Assertion's
    /// signature must still yield only the signed identity.
    response_only: SpConfig,
    now: Timestamp,
    original: VerifiedAssertion,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let certs = IdpCertificate::from_pem(CERT).into_iter().collect();
        let config = SpConfig::new(
            "https://sp.example/saml/metadata",
            "https://sp.example/saml/acs",
            certs,
        );
        let now = Timestamp::from_unix(1_772_445_660); // 2026-03-02T10:01:00Z
        let Ok(original) = verify(SIGNED.as_bytes(), &config, now) else {
            panic!("the fuzz fixture no longer verifies");
        };
        let mut response_only = config.clone();
        response_only.accept_response_only_signature = true;
        Fixture {
            config,
            response_only,
            now,
            original,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let (input, spliced) = match data.split_first() {
        // Odd selector: splice the rest into the valid Response at a position taken from
        // the next two bytes, replacing as many bytes as the selector says.
        Some((&selector, rest)) if selector & 1 == 1 && rest.len() >= 2 => {
            let at = usize::from(u16::from_le_bytes([rest[0], rest[1]])) % SIGNED.len();
            let cut = (at + usize::from(selector >> 1)).min(SIGNED.len());
            let mut spliced = SIGNED.as_bytes()[..at].to_vec();
            spliced.extend_from_slice(&rest[2..]);
            spliced.extend_from_slice(&SIGNED.as_bytes()[cut..]);
            (spliced, true)
        }
        _ => (data.to_vec(), false),
    };
    let outcome = verify(&input, &f.config, f.now);
    let response_only = verify(&input, &f.response_only, f.now);
    // Raw inputs may be other genuinely signed responses (the seeds are); a modified copy of
    // the fixture may only ever yield the fixture's own identity.
    if let (Ok(verified), true) = (outcome, spliced) {
        assert_eq!(verified, f.original, "accepted a modified identity");
    }
    if let (Ok(verified), true) = (response_only, spliced) {
        assert_eq!(
            verified, f.original,
            "accepted a modified identity with Response-only signatures"
        );
    }
});
