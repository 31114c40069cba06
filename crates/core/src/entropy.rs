//! Randomness for secrets: session ids, tokens, nonces, request ids.
//! 256 bits from the OS CSPRNG; never UUIDv4.

use sha2::{Digest, Sha256};
use std::fmt;

pub trait Entropy: Send + Sync {
    fn fill(&self, buf: &mut [u8]);

    /// 32 random bytes, hex encoded (64 characters).
    fn token(&self) -> RandomToken {
        let mut bytes = [0u8; 32];
        self.fill(&mut bytes);
        RandomToken(hex::encode(bytes))
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&self, buf: &mut [u8]) {
        // The OS CSPRNG failing is unrecoverable; a zeroed "secret" would be worse.
        if let Err(err) = getrandom::fill(buf) {
            panic!("the operating system's random number generator failed: {err}");
        }
    }
}

/// A freshly generated secret value. Shown once to its owner; stored only as
/// its SHA-256 (`digest`).
#[derive(Clone, PartialEq, Eq)]
pub struct RandomToken(String);

impl RandomToken {
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn digest(&self) -> String {
        sha256_hex(&self.0)
    }
}

impl fmt::Debug for RandomToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RandomToken(***)")
    }
}

/// Hex SHA-256 of a presented secret: how tokens and session ids are looked up.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_bits_and_differ() {
        let a = OsEntropy.token();
        let b = OsEntropy.token();
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a, b);
        assert_ne!(a.digest(), a.expose());
    }

    #[test]
    fn token_debug_is_redacted() {
        let t = OsEntropy.token();
        assert!(!format!("{t:?}").contains(t.expose()));
    }
}
