//! Secrets at rest (OIDC client secrets): sealed with ChaCha20-Poly1305
//! under the server's secrets key, bound to what they belong to by the
//! associated data, so a ciphertext copied to another org does not open.

use orgsso_core::{Entropy, Secret};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};

pub struct SecretBox {
    key: LessSafeKey,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    pub fn new(key: &Secret<[u8; 32]>) -> Self {
        // A 32-byte key is exactly what ChaCha20-Poly1305 takes, so this cannot fail.
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, key.expose())
            .unwrap_or_else(|_| unreachable!("32-byte key"));
        Self {
            key: LessSafeKey::new(unbound),
        }
    }

    /// `nonce || ciphertext || tag`, with a fresh random 96-bit nonce.
    pub fn seal(&self, plaintext: &str, context: &str, entropy: &dyn Entropy) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        entropy.fill(&mut nonce);
        let mut buf = plaintext.as_bytes().to_vec();
        if self
            .key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(context.as_bytes()),
                &mut buf,
            )
            .is_err()
        {
            // Only fails for inputs beyond ChaCha20's 256 GiB limit.
            return Vec::new();
        }
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        out
    }

    /// `None` when the data was altered, sealed under another key or for another context.
    pub fn open(&self, sealed: &[u8], context: &str) -> Option<Secret<String>> {
        if sealed.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf)
            .ok()?;
        String::from_utf8(plain.to_vec()).ok().map(Secret::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orgsso_core::OsEntropy;

    fn sealer(byte: u8) -> SecretBox {
        SecretBox::new(&Secret::new([byte; 32]))
    }

    #[test]
    fn sealed_secrets_open_with_the_same_key_and_context() {
        let sealed = sealer(1).seal("client-secret", "org:7", &OsEntropy);
        assert!(!sealed.windows(13).any(|w| w == b"client-secret"));
        assert_eq!(
            sealer(1).open(&sealed, "org:7").unwrap().expose(),
            "client-secret"
        );
    }

    #[test]
    fn another_key_another_context_or_a_flipped_bit_does_not_open() {
        let sealed = sealer(1).seal("client-secret", "org:7", &OsEntropy);
        assert!(sealer(2).open(&sealed, "org:7").is_none());
        assert!(sealer(1).open(&sealed, "org:8").is_none());
        let mut tampered = sealed.clone();
        tampered[NONCE_LEN] ^= 1;
        assert!(sealer(1).open(&tampered, "org:7").is_none());
        assert!(sealer(1).open(&sealed[..5], "org:7").is_none());
    }
}
