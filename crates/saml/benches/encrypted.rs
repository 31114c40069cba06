//! Cost of an encrypted Response (libxmlsec1 fixture: signed Assertion, RSA-OAEP + AES-128-GCM)
//! next to the same identity in a plain doubly-signed Response, and the worst a hostile
//! encrypted Response can ask for within the limits: every EncryptedKey tried with both SP
//! keys of a rotation, none opening.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test root: failing loudly is the point

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use orgsso_core::Timestamp;
use orgsso_saml::{verify, IdpCertificate, SpConfig, SpDecryptionKey, MAX_ENCRYPTED_KEYS};

const PLAIN: &str = include_str!("../tests/fixtures/signed/both-rsa-sha256-7k.xml");
const GCM: &str = include_str!("../tests/fixtures/signed/encrypted-aes128-gcm.xml");
const CBC: &str = include_str!("../tests/fixtures/signed/encrypted-aes256-cbc.xml");
const CERT: &str = include_str!("../tests/fixtures/test-idp-rsa.crt");
const SP_KEY: &str = include_str!("../tests/fixtures/test-sp-rsa.key");
const OLD_SP_KEY: &str = include_str!("../tests/fixtures/test-sp-old-rsa.key");

fn bench(c: &mut Criterion) {
    let mut config = SpConfig::new(
        "https://sp.example/saml/metadata",
        "https://sp.example/saml/acs",
        vec![IdpCertificate::from_pem(CERT).unwrap()],
    );
    config.decryption_keys = vec![
        SpDecryptionKey::from_pem(SP_KEY).unwrap(),
        SpDecryptionKey::from_pem(OLD_SP_KEY).unwrap(),
    ];
    let now = Timestamp::parse_rfc3339("2026-03-02T10:01:00Z").unwrap();
    // Every EncryptedKey repeated up to the limit and made for neither key (one byte off):
    // each is tried with both keys, then refused.
    let start = GCM.find("<xenc:EncryptedKey>").unwrap();
    let end = GCM.find("</xenc:EncryptedKey>").unwrap() + "</xenc:EncryptedKey>".len();
    let value = GCM[start..end].find("<xenc:CipherValue>").unwrap() + start + 18;
    let mut bad_key = GCM[start..end].to_owned();
    let flip = value - start;
    let replacement = if &bad_key[flip..=flip] == "A" {
        "B"
    } else {
        "A"
    };
    bad_key.replace_range(flip..=flip, replacement);
    let hostile = format!(
        "{}{}{}",
        &GCM[..start],
        bad_key.repeat(MAX_ENCRYPTED_KEYS),
        &GCM[end..]
    );
    assert!(verify(PLAIN.as_bytes(), &config, now).is_ok());
    assert!(verify(GCM.as_bytes(), &config, now).is_ok());
    assert!(verify(CBC.as_bytes(), &config, now).is_ok());
    assert!(verify(hostile.as_bytes(), &config, now).is_err());

    let mut group = c.benchmark_group("saml_encrypted");
    group.bench_function("plain_doubly_signed_7k", |b| {
        b.iter(|| verify(black_box(PLAIN.as_bytes()), &config, now).unwrap())
    });
    group.bench_function("encrypted_aes128_gcm", |b| {
        b.iter(|| verify(black_box(GCM.as_bytes()), &config, now).unwrap())
    });
    group.bench_function("encrypted_aes256_cbc", |b| {
        b.iter(|| verify(black_box(CBC.as_bytes()), &config, now).unwrap())
    });
    group.bench_function("hostile_every_key_tried", |b| {
        b.iter(|| verify(black_box(hostile.as_bytes()), &config, now).unwrap_err())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
