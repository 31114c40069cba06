//! Test signing keys and a JWT minter that can produce both honest and hostile ID tokens.
//! Shared by the hostile OpenID Provider tests and the callback benchmark.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Which key signs, and how.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Ps256,
    Es256,
    /// Unsigned (`alg: none`).
    None,
    /// HS256 keyed with the RSA *public* key: the classic algorithm-confusion forgery.
    Hs256WithRsaPublicKey,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    RsaA,
    RsaB,
    Ec,
}

impl Key {
    pub fn kid(self) -> &'static str {
        match self {
            Key::RsaA => "rsa-a",
            Key::RsaB => "rsa-b",
            Key::Ec => "ec-1",
        }
    }
}

pub struct Keys {
    rsa_a: RsaKeyPair,
    rsa_b: RsaKeyPair,
    ec: EcdsaKeyPair,
    rng: SystemRandom,
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).unwrap()
}

impl Keys {
    pub fn load() -> Self {
        let rng = SystemRandom::new();
        let rsa = |pem| RsaKeyPair::from_pkcs8(&pem_der(pem)).unwrap();
        Self {
            rsa_a: rsa(include_str!("../fixtures/rsa-a.pem")),
            rsa_b: rsa(include_str!("../fixtures/rsa-b.pem")),
            ec: EcdsaKeyPair::from_pkcs8(
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                &pem_der(include_str!("../fixtures/ec-p256.pem")),
                &rng,
            )
            .unwrap(),
            rng,
        }
    }

    fn rsa(&self, key: Key) -> &RsaKeyPair {
        match key {
            Key::RsaA => &self.rsa_a,
            Key::RsaB => &self.rsa_b,
            Key::Ec => panic!("not an RSA key"),
        }
    }

    /// The public JWK of `key`, published under its kid.
    pub fn jwk(&self, key: Key) -> Value {
        self.jwk_as(key, key.kid())
    }

    pub fn jwk_as(&self, key: Key, kid: &str) -> Value {
        match key {
            Key::Ec => {
                let point = self.ec.public_key().as_ref();
                json!({"kty": "EC", "crv": "P-256", "use": "sig", "kid": kid,
                       "x": b64(&point[1..33]), "y": b64(&point[33..65])})
            }
            rsa => {
                let parts = RsaPublicKeyComponents::<Vec<u8>>::from(self.rsa(rsa).public());
                json!({"kty": "RSA", "use": "sig", "kid": kid,
                       "n": b64(&parts.n), "e": b64(&parts.e)})
            }
        }
    }

    /// Signs `claims` with `alg` using `key`; `kid` goes into the header when given.
    pub fn sign(
        &self,
        alg: Alg,
        key: Key,
        kid: Option<&str>,
        claims: &Map<String, Value>,
    ) -> String {
        let alg_name = match alg {
            Alg::Rs256 => "RS256",
            Alg::Ps256 => "PS256",
            Alg::Es256 => "ES256",
            Alg::None => "none",
            Alg::Hs256WithRsaPublicKey => "HS256",
        };
        let mut header = json!({"alg": alg_name, "typ": "JWT"});
        if let Some(kid) = kid {
            header["kid"] = json!(kid);
        }
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(Value::Object(claims.clone()).to_string().as_bytes())
        );
        let signature = match alg {
            Alg::Rs256 | Alg::Ps256 => {
                let pair = self.rsa(key);
                let mut sig = vec![0; pair.public().modulus_len()];
                let padding: &dyn signature::RsaEncoding = if alg == Alg::Rs256 {
                    &signature::RSA_PKCS1_SHA256
                } else {
                    &signature::RSA_PSS_SHA256
                };
                pair.sign(padding, &self.rng, input.as_bytes(), &mut sig)
                    .unwrap();
                sig
            }
            Alg::Es256 => self
                .ec
                .sign(&self.rng, input.as_bytes())
                .unwrap()
                .as_ref()
                .to_vec(),
            Alg::None => Vec::new(),
            Alg::Hs256WithRsaPublicKey => {
                let public = self.rsa(key).public().as_ref().to_vec();
                let mac = ring::hmac::sign(
                    &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &public),
                    input.as_bytes(),
                );
                mac.as_ref().to_vec()
            }
        };
        format!("{input}.{}", b64(&signature))
    }
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `at_hash` for a SHA-256 based algorithm: the left half of SHA-256(access token).
pub fn at_hash(access_token: &str) -> String {
    b64(&Sha256::digest(access_token.as_bytes())[..16])
}

/// Flips one bit in the signature part, leaving it well-formed base64url.
pub fn corrupt(token: &str) -> String {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(sig).unwrap();
    bytes[10] ^= 0x01;
    format!("{input}.{}", b64(&bytes))
}

pub fn discovery_document(issuer: &str, extra: Value) -> Value {
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "PS256", "ES256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    });
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            doc[k] = v;
        }
    }
    doc
}
