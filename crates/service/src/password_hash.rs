//! argon2id hashing of user passwords.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use orgsso_core::{Entropy, Password};

pub struct Passwords {
    argon2: Argon2<'static>,
    /// Verified against when the user does not exist, so unknown users and
    /// wrong passwords take the same time.
    dummy_hash: String,
}

impl Passwords {
    pub fn new() -> Self {
        let argon2 = Argon2::default(); // argon2id, OWASP's recommended parameters
        let dummy_hash = SaltString::encode_b64(&[7u8; 16])
            .ok()
            .and_then(|salt| {
                argon2
                    .hash_password(b"not a real password", &salt)
                    .ok()
                    .map(|h| h.to_string())
            })
            .unwrap_or_default();
        Self { argon2, dummy_hash }
    }

    pub fn hash(&self, password: &Password, entropy: &dyn Entropy) -> Option<String> {
        let mut salt = [0u8; 16];
        entropy.fill(&mut salt);
        let salt = SaltString::encode_b64(&salt).ok()?;
        self.argon2
            .hash_password(password.expose().as_bytes(), &salt)
            .ok()
            .map(|h| h.to_string())
    }

    pub fn verify(&self, candidate: &str, stored: Option<&str>) -> bool {
        let hash = stored.unwrap_or(&self.dummy_hash);
        let ok = PasswordHash::new(hash)
            .map(|parsed| {
                self.argon2
                    .verify_password(candidate.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && stored.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orgsso_core::OsEntropy;

    #[test]
    fn hashes_verify_and_wrong_passwords_do_not() {
        let p = Passwords::new();
        let hash = p
            .hash(&Password::parse("correct horse").unwrap(), &OsEntropy)
            .unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(p.verify("correct horse", Some(&hash)));
        assert!(!p.verify("wrong horse", Some(&hash)));
        assert!(!p.verify("not a real password", None));
    }
}
