//! Fuzzes `orgsso_saml::parse_idp_metadata`: metadata comes from an admin's paste or from a
//! URL the server fetches, so any bytes must give a result or an error, never a panic; a
//! result must hold what the rest of the hub relies on.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orgsso_saml::parse_idp_metadata;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(md) = parse_idp_metadata(text) {
        assert!(!md.certificates_pem.is_empty());
        for pem in &md.certificates_pem {
            assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        }
    }
});
