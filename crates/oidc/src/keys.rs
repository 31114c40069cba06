//! The IdP's public signing keys as openidconnect sees them, with signatures checked by
//! `ring`. openidconnect keeps JWT parsing, key selection (`kid`, `kty`, `use`, `alg`) and
//! every claim check; only the primitive is swapped through its `JsonWebKey` extension
//! point, because its RustCrypto RSA verify (num-bigint-dig) cost ~25× an OpenSSL verify.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{
    CoreJsonWebKey, CoreJsonWebKeyType, CoreJsonWebKeyUse, CoreJwsSigningAlgorithm,
};
use openidconnect::{JsonWebKey, JsonWebKeyAlgorithm, JsonWebKeyId, SignatureVerificationError};
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The IdP's key set, as cached in the [`crate::Provider`].
pub(crate) type JwkSet = openidconnect::JsonWebKeySet<RingJwk>;

/// A JWK from the IdP's key set: openidconnect's view plus the decoded public key material.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RingJwk {
    core: CoreJsonWebKey,
    public: Public,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Public {
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
    /// `crv` and the uncompressed point `04 || x || y`.
    Ec {
        crv: String,
        point: Vec<u8>,
    },
    Ed25519 {
        x: Vec<u8>,
    },
    /// Symmetric or malformed: never verifies anything.
    None,
}

/// Keys shorter than this are refused outright; ring would refuse them anyway, and the
/// admin deserves a clearer message than "bad signature".
const MIN_RSA_BITS: usize = 2048;

impl Public {
    fn from_json(jwk: &Value) -> Self {
        let field = |name: &str| {
            jwk.get(name)
                .and_then(Value::as_str)
                .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        };
        match jwk.get("kty").and_then(Value::as_str) {
            Some("RSA") => match (field("n"), field("e")) {
                (Some(n), Some(e)) => Self::Rsa { n, e },
                _ => Self::None,
            },
            Some("EC") => match (
                jwk.get("crv").and_then(Value::as_str),
                field("x"),
                field("y"),
            ) {
                (Some(crv), Some(x), Some(y)) => {
                    let mut point = Vec::with_capacity(1 + x.len() + y.len());
                    point.push(0x04);
                    point.extend_from_slice(&x);
                    point.extend_from_slice(&y);
                    Self::Ec {
                        crv: crv.to_owned(),
                        point,
                    }
                }
                _ => Self::None,
            },
            Some("OKP") if jwk.get("crv").and_then(Value::as_str) == Some("Ed25519") => {
                field("x").map_or(Self::None, |x| Self::Ed25519 { x })
            }
            _ => Self::None,
        }
    }
}

impl<'de> Deserialize<'de> for RingJwk {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = Value::deserialize(deserializer)?;
        let core = CoreJsonWebKey::deserialize(&json).map_err(serde::de::Error::custom)?;
        Ok(Self {
            public: Public::from_json(&json),
            core,
        })
    }
}

impl Serialize for RingJwk {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.core.serialize(serializer)
    }
}

fn invalid(reason: &str) -> SignatureVerificationError {
    SignatureVerificationError::InvalidKey(reason.to_owned())
}

impl JsonWebKey for RingJwk {
    type KeyUse = CoreJsonWebKeyUse;
    type SigningAlgorithm = CoreJwsSigningAlgorithm;

    fn key_id(&self) -> Option<&JsonWebKeyId> {
        self.core.key_id()
    }

    fn key_type(&self) -> &CoreJsonWebKeyType {
        self.core.key_type()
    }

    fn key_use(&self) -> Option<&CoreJsonWebKeyUse> {
        self.core.key_use()
    }

    fn signing_alg(&self) -> JsonWebKeyAlgorithm<&CoreJwsSigningAlgorithm> {
        self.core.signing_alg()
    }

    fn new_symmetric(key: Vec<u8>) -> Self {
        Self {
            core: CoreJsonWebKey::new_symmetric(key),
            public: Public::None,
        }
    }

    fn verify_signature(
        &self,
        alg: &CoreJwsSigningAlgorithm,
        message: &[u8],
        sig: &[u8],
    ) -> Result<(), SignatureVerificationError> {
        use CoreJwsSigningAlgorithm as A;
        let verified = match (&self.public, alg) {
            (Public::Rsa { n, e }, _) => {
                let params: &signature::RsaParameters = match alg {
                    A::RsaSsaPkcs1V15Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    A::RsaSsaPkcs1V15Sha384 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    A::RsaSsaPkcs1V15Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
                    A::RsaSsaPssSha256 => &signature::RSA_PSS_2048_8192_SHA256,
                    A::RsaSsaPssSha384 => &signature::RSA_PSS_2048_8192_SHA384,
                    A::RsaSsaPssSha512 => &signature::RSA_PSS_2048_8192_SHA512,
                    _ => return Err(invalid("an RSA key cannot verify this algorithm")),
                };
                let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
                if bits < MIN_RSA_BITS {
                    return Err(invalid("the RSA key is shorter than 2048 bits"));
                }
                RsaPublicKeyComponents { n, e }.verify(params, message, sig)
            }
            (Public::Ec { crv, point }, A::EcdsaP256Sha256) if crv == "P-256" => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, sig)
            }
            (Public::Ec { crv, point }, A::EcdsaP384Sha384) if crv == "P-384" => {
                UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point)
                    .verify(message, sig)
            }
            (Public::Ec { .. }, _) => {
                return Err(invalid("the EC key's curve does not match the algorithm"))
            }
            (Public::Ed25519 { x }, A::EdDsa) => {
                UnparsedPublicKey::new(&signature::ED25519, x).verify(message, sig)
            }
            (Public::Ed25519 { .. }, _) => {
                return Err(invalid("an Ed25519 key cannot verify this algorithm"))
            }
            (Public::None, _) => return Err(invalid("the key has no usable public key material")),
        };
        verified.map_err(|_| {
            SignatureVerificationError::CryptoError("signature does not verify".into())
        })
    }

    fn hash_bytes(&self, bytes: &[u8], alg: &CoreJwsSigningAlgorithm) -> Result<Vec<u8>, String> {
        self.core.hash_bytes(bytes, alg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_rsa_keys_are_refused_with_a_clear_reason() {
        let jwk: RingJwk = serde_json::from_value(serde_json::json!({
            "kty": "RSA", "kid": "k", "n": URL_SAFE_NO_PAD.encode([0xc5u8; 128]), "e": "AQAB"
        }))
        .unwrap();
        let err = jwk
            .verify_signature(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, b"m", b"s")
            .unwrap_err();
        assert!(err.to_string().contains("shorter than 2048 bits"), "{err}");
    }

    #[test]
    fn curve_must_match_the_algorithm() {
        let jwk: RingJwk = serde_json::from_value(serde_json::json!({
            "kty": "EC", "crv": "P-256", "kid": "k",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
        }))
        .unwrap();
        assert!(matches!(
            jwk.verify_signature(&CoreJwsSigningAlgorithm::EcdsaP384Sha384, b"m", &[0; 96]),
            Err(SignatureVerificationError::InvalidKey(_))
        ));
        assert!(matches!(
            jwk.verify_signature(&CoreJwsSigningAlgorithm::EcdsaP256Sha256, b"m", &[1; 64]),
            Err(SignatureVerificationError::CryptoError(_))
        ));
    }
}
