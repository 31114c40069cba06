//! Encrypted assertions made by libxmlsec1 (`make-encrypted.sh`: RSA-OAEP key transport,
//! AES-128-GCM and AES-256-CBC content) decrypt and verify with our code; the same files with
//! one ciphertext byte flipped are checked against `xmlsec1 --decrypt`. Hard rule: we never
//! accept what xmlsec1 cannot decrypt. The xmlsec1 half is skipped with a note when it is not
//! installed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test root: failing loudly is the point

use orgsso_core::Timestamp;
use orgsso_saml::{verify, IdpCertificate, Rejection, SpConfig, SpDecryptionKey};
use std::path::{Path, PathBuf};
use std::process::Command;

const FILES: [&str; 2] = ["encrypted-aes128-gcm.xml", "encrypted-aes256-cbc.xml"];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).unwrap()
}

fn config(sp_key: &str) -> SpConfig {
    let mut config = SpConfig::new(
        "https://sp.example/saml/metadata",
        "https://sp.example/saml/acs",
        vec![IdpCertificate::from_pem(&read("test-idp-rsa.crt")).unwrap()],
    );
    config.decryption_keys = vec![SpDecryptionKey::from_pem(&read(sp_key)).unwrap()];
    config
}

fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-03-02T10:01:00Z").unwrap()
}

fn xmlsec_decrypts(file: &Path) -> Option<bool> {
    let output = Command::new("xmlsec1")
        .args(["--decrypt", "--privkey-pem"])
        .arg(fixtures().join("test-sp-rsa.key"))
        .arg(file)
        .output()
        .ok()?;
    Some(output.status.success())
}

#[test]
fn assertions_encrypted_by_xmlsec1_decrypt_and_verify() {
    for name in FILES {
        let xml = read(&format!("signed/{name}"));
        let verified = verify(xml.as_bytes(), &config("test-sp-rsa.key"), now())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(verified.email, "alice@example.com", "{name}");
        assert_eq!(
            verify(xml.as_bytes(), &config("test-sp-old-rsa.key"), now()).unwrap_err(),
            Rejection::DecryptionFailed,
            "{name} with another SP key"
        );
    }
}

#[test]
fn a_flipped_ciphertext_byte_is_never_accepted_where_xmlsec1_cannot_decrypt() {
    let available = Command::new("xmlsec1")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let dir = tempfile_dir();
    let (mut both_refuse, mut only_xmlsec_decrypts) = (0, 0);
    for name in FILES {
        let xml = read(&format!("signed/{name}"));
        // The content CipherValue is the last one.
        let start = xml.rfind("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len();
        let end = start + xml[start..].find("</xenc:CipherValue>").unwrap();
        for offset in [0, 5, 21, (end - start) / 2, end - start - 6] {
            let at = start + offset;
            let original = xml.as_bytes()[at];
            if !original.is_ascii_alphanumeric() {
                continue;
            }
            let flipped = if original == b'A' { "B" } else { "A" };
            let mut tampered = xml.clone();
            tampered.replace_range(at..=at, flipped);
            let ours = verify(tampered.as_bytes(), &config("test-sp-rsa.key"), now());
            if let Ok(accepted) = &ours {
                // Only a flip inside base64 padding bits can leave the bytes unchanged.
                assert_eq!(accepted.email, "alice@example.com");
            }
            if !available {
                assert!(ours.is_err() || name.contains("cbc"), "{name} at {offset}");
                continue;
            }
            let file = dir.join(format!("{offset}-{name}"));
            std::fs::write(&file, &tampered).unwrap();
            let theirs = xmlsec_decrypts(&file).unwrap();
            assert!(
                ours.is_err() || theirs,
                "{name} flipped at {offset}: we accept what xmlsec1 cannot decrypt"
            );
            if theirs {
                // CBC has no tag: xmlsec1 outputs garbage that we refuse on its content.
                only_xmlsec_decrypts += 1;
            } else {
                both_refuse += 1;
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    if available {
        eprintln!("flipped ciphertexts: {both_refuse} refused by both, {only_xmlsec_decrypts} decrypted by xmlsec1 and refused by us");
    } else {
        eprintln!("skipped the xmlsec1 comparison: xmlsec1 is not installed");
    }
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orgsso-encrypted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
