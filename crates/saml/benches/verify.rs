//! Cost of verifying a doubly-signed ~7 KB RSA-2048 Response, next to the floor it cannot
//! beat: the two RSA-2048 signature verifications inside it (ring, same keys and messages).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test root: failing loudly is the point

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use orgsso_core::Timestamp;
use orgsso_saml::{verify, IdpCertificate, SpConfig};

const RESPONSE: &str = include_str!("../tests/fixtures/signed/both-rsa-sha256-7k.xml");
const CERT: &str = include_str!("../tests/fixtures/test-idp-rsa.crt");

fn config() -> SpConfig {
    SpConfig::new(
        "https://sp.example/saml/metadata",
        "https://sp.example/saml/acs",
        vec![IdpCertificate::from_pem(CERT).unwrap()],
    )
}

fn bench(c: &mut Criterion) {
    let config = config();
    let now = Timestamp::parse_rfc3339("2026-03-02T10:01:00Z").unwrap();
    assert!(verify(RESPONSE.as_bytes(), &config, now).is_ok());
    let mut group = c.benchmark_group("saml");
    group.bench_function("verify_doubly_signed_7k_rsa2048", |b| {
        b.iter(|| verify(black_box(RESPONSE.as_bytes()), &config, now).unwrap())
    });

    // The two RSA-2048 PKCS#1 verifications alone, over a SignedInfo-sized message.
    let rng = ring::rand::SystemRandom::new();
    let key_pem = include_str!("../tests/fixtures/test-idp-rsa.key");
    let der = pem_body(key_pem);
    let key = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
    let message = [7u8; 700];
    let mut sig = vec![0; key.public().modulus_len()];
    key.sign(&ring::signature::RSA_PKCS1_SHA256, &rng, &message, &mut sig)
        .unwrap();
    let public = ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        ring::signature::KeyPair::public_key(&key).as_ref().to_vec(),
    );
    group.bench_function("ring_rsa2048_verify_x2", |b| {
        b.iter(|| {
            public.verify(black_box(&message), &sig).unwrap();
            public.verify(black_box(&message), &sig).unwrap();
        })
    });
    group.finish();
}

fn pem_body(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

criterion_group!(benches, bench);
criterion_main!(benches);
