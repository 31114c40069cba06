//! Our share of a login callback with the JWKS already cached: parsing the token endpoint's
//! response and validating its ID token (signature, claims, nonce), for RS256 and ES256.
//! No network. `scripts/oidc-bench.sh` compares the figures with `openssl speed`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use openidconnect::core::CoreTokenResponse;
use orgsso_core::{Secret, Timestamp};
use orgsso_oidc::{verify_token_response, EmailClaim, Provider, ProviderSettings};
use serde_json::json;
use support::{at_hash, discovery_document, Alg, Key, Keys};

const ISSUER: &str = "https://idp.example";
const CLIENT_ID: &str = "orgsso-acme";
const NONCE: &str = "q1e2c3Vh5YtZr0aK8Gm9pLwX4nB7sD6fJ3oU2iE1rT0";
const NOW: Timestamp = Timestamp::from_unix(1_800_000_000);

fn token_response(keys: &Keys, alg: Alg, key: Key) -> Vec<u8> {
    let access_token = "SlAV32hkKG-access-token-of-typical-length-0123456789";
    let claims = json!({
        "iss": ISSUER, "aud": CLIENT_ID, "sub": "248289761001", "iat": NOW.unix(),
        "exp": NOW.unix() + 300, "nonce": NONCE, "at_hash": at_hash(access_token),
        "email": "alice@example.com", "email_verified": true, "name": "Alice Example",
        "groups": ["orgsso-admins", "engineering"], "auth_time": NOW.unix() - 5,
    });
    let id_token = keys.sign(alg, key, Some(key.kid()), claims.as_object().unwrap());
    json!({"access_token": access_token, "token_type": "Bearer", "expires_in": 3600, "id_token": id_token})
        .to_string()
        .into_bytes()
}

fn bench(c: &mut Criterion) {
    let keys = Keys::load();
    let jwks = json!({"keys": [keys.jwk(Key::RsaA), keys.jwk(Key::RsaB), keys.jwk(Key::Ec)]});
    let provider = Provider::from_documents(
        ISSUER,
        discovery_document(ISSUER, json!({})).to_string().as_bytes(),
        jwks.to_string().as_bytes(),
        NOW,
    )
    .unwrap();
    let settings = ProviderSettings {
        issuer_url: ISSUER.into(),
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new("bench-secret".into()),
        scopes: ProviderSettings::default_scopes(),
        email_claim: EmailClaim::Email,
        max_age_s: None,
        prompt_login: false,
    };

    let mut group = c.benchmark_group("callback");
    for (name, alg, key) in [
        ("rs256", Alg::Rs256, Key::RsaA),
        ("es256", Alg::Es256, Key::Ec),
    ] {
        let body = token_response(&keys, alg, key);
        verify_token_response(&provider, &settings, &body, NONCE, NOW, 180).unwrap();
        group.bench_function(name, |b| {
            b.iter(|| {
                verify_token_response(&provider, &settings, black_box(&body), NONCE, NOW, 180)
                    .unwrap()
            })
        });
    }
    // The parse alone, to tell JSON/base64 work from signature work when profiling.
    let body = token_response(&keys, Alg::Rs256, Key::RsaA);
    group.bench_function("parse_only", |b| {
        b.iter(|| serde_json::from_slice::<CoreTokenResponse>(black_box(&body)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
