//! Fuzzes decryption of `EncryptedAssertion`s inside `orgsso_saml::verify`: raw input, or
//! input spliced into a Response whose signed Assertion libxmlsec1 encrypted for the test SP
//! key (AES-128-GCM and AES-256-CBC), so mutations reach the key transport, the ciphers, the
//! padding and the splice of the plaintext. Nothing may panic, and an accepted splice must
//! carry exactly the identity that was signed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orgsso_core::Timestamp;
use orgsso_saml::{verify, IdpCertificate, SpConfig, SpDecryptionKey, VerifiedAssertion};
use std::sync::OnceLock;

const ENCRYPTED: [&str; 2] = [
    include_str!("../../crates/saml/tests/fixtures/signed/encrypted-aes128-gcm.xml"),
    include_str!("../../crates/saml/tests/fixtures/signed/encrypted-aes256-cbc.xml"),
];
const CERT: &str = include_str!("../../crates/saml/tests/fixtures/test-idp-rsa.crt");
const SP_KEY: &str = include_str!("../../crates/saml/tests/fixtures/test-sp-rsa.key");

struct Fixture {
    config: SpConfig,
    now: Timestamp,
    original: VerifiedAssertion,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let certs = IdpCertificate::from_pem(CERT).into_iter().collect();
        let mut config = SpConfig::new(
            "https://sp.example/saml/metadata",
            "https://sp.example/saml/acs",
            certs,
        );
        config.decryption_keys = SpDecryptionKey::from_pem(SP_KEY).into_iter().collect();
        let now = Timestamp::from_unix(1_772_445_660); // 2026-03-02T10:01:00Z
        let Ok(original) = verify(ENCRYPTED[0].as_bytes(), &config, now) else {
            panic!("the fuzz fixture no longer decrypts and verifies");
        };
        Fixture { config, now, original }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let (input, spliced) = match data.split_first() {
        // Odd selector: splice the rest into one of the encrypted Responses (bit 1) at a
        // position from the next two bytes, replacing as many bytes as the selector says.
        Some((&selector, rest)) if selector & 1 == 1 && rest.len() >= 2 => {
            let base = ENCRYPTED[usize::from(selector >> 1 & 1)].as_bytes();
            let at = usize::from(u16::from_le_bytes([rest[0], rest[1]])) % base.len();
            let cut = (at + usize::from(selector >> 2)).min(base.len());
            let mut spliced = base[..at].to_vec();
            spliced.extend_from_slice(&rest[2..]);
            spliced.extend_from_slice(&base[cut..]);
            (spliced, true)
        }
        _ => (data.to_vec(), false),
    };
    if let Ok(accepted) = verify(&input, &f.config, f.now) {
        if spliced {
            assert_eq!(
                accepted, f.original,
                "a modified encrypted Response was accepted with another identity"
            );
        }
    }
});
