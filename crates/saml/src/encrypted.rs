//! Decrypts the one `saml:EncryptedAssertion` of a Response with the SP's private keys
//! (XML Encryption: RSA-OAEP key transport, AES-GCM or AES-CBC content), and hands back the
//! Response text with the Assertion in its place, for the ordinary checks to run on.
//!
//! A Response signature is verified over the encrypted form, before anything is decrypted,
//! and removed from the rebuilt text (its digest covered the ciphertext); the caller is told
//! it verified. RSA 1.5 key transport is refused outright (Bleichenbacher oracles), and every
//! decryption failure reads the same, whatever failed (wrong key, tag, padding, or a
//! CBC plaintext that is not one Assertion), so refusals are no padding oracle.

use crate::dsig::verify_enveloped;
use crate::limits;
use crate::rejection::{Rejection, SignedElement};
use crate::sp_keys::SpDecryptionKey;
use crate::xml::{children, text_of, DSIG_NS, SAMLP_NS, SAML_NS};
use crate::SpConfig;
use base64::Engine as _;
use roxmltree::{Document, Node, ParsingOptions};
use rsa::Oaep;

pub(crate) const XENC_NS: &str = "http://www.w3.org/2001/04/xmlenc#";
const XENC11_NS: &str = "http://www.w3.org/2009/xmlenc11#";

const ALG_RSA_1_5: &str = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";
const ALG_RSA_OAEP_MGF1P: &str = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
const ALG_RSA_OAEP: &str = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
const TYPE_ELEMENT: &str = "http://www.w3.org/2001/04/xmlenc#Element";

/// EncryptedKeys per Response: IdPs send one, for the one SP certificate they use.
/// Each costs one RSA private-key operation per SP key (the ones whose size does not
/// match are skipped unopened), so a hostile Response costs at most two of them, and
/// those only during a rotation.
pub const MAX_ENCRYPTED_KEYS: usize = 1;

/// SP decryption keys tried: the current one and, during a rotation, the previous one.
pub const MAX_DECRYPTION_KEYS: usize = 2;

/// Same bound as the verifier's own parse.
const MAX_NODES: u32 = 100_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Content {
    Gcm128,
    Gcm256,
    Cbc128,
    Cbc192,
    Cbc256,
}

impl Content {
    fn from_uri(uri: &str) -> Option<Self> {
        Some(match uri {
            "http://www.w3.org/2009/xmlenc11#aes128-gcm" => Self::Gcm128,
            "http://www.w3.org/2009/xmlenc11#aes256-gcm" => Self::Gcm256,
            "http://www.w3.org/2001/04/xmlenc#aes128-cbc" => Self::Cbc128,
            "http://www.w3.org/2001/04/xmlenc#aes192-cbc" => Self::Cbc192,
            "http://www.w3.org/2001/04/xmlenc#aes256-cbc" => Self::Cbc256,
            _ => return None,
        })
    }

    fn key_len(self) -> usize {
        match self {
            Self::Gcm128 | Self::Cbc128 => 16,
            Self::Cbc192 => 24,
            Self::Gcm256 | Self::Cbc256 => 32,
        }
    }

    fn authenticated(self) -> bool {
        matches!(self, Self::Gcm128 | Self::Gcm256)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

fn oaep_digest(uri: &str) -> Option<Hash> {
    Some(match uri {
        "http://www.w3.org/2000/09/xmldsig#sha1" => Hash::Sha1,
        "http://www.w3.org/2001/04/xmlenc#sha256" => Hash::Sha256,
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => Hash::Sha384,
        "http://www.w3.org/2001/04/xmlenc#sha512" => Hash::Sha512,
        _ => return None,
    })
}

fn mgf_digest(uri: &str) -> Option<Hash> {
    Some(match uri {
        "http://www.w3.org/2009/xmlenc11#mgf1sha1" => Hash::Sha1,
        "http://www.w3.org/2009/xmlenc11#mgf1sha256" => Hash::Sha256,
        "http://www.w3.org/2009/xmlenc11#mgf1sha384" => Hash::Sha384,
        "http://www.w3.org/2009/xmlenc11#mgf1sha512" => Hash::Sha512,
        _ => return None,
    })
}

/// One EncryptedKey whose algorithm we accept: the OAEP digest and MGF1 digest, and the
/// wrapped key.
struct WrappedKey {
    digest: Hash,
    mgf: Hash,
    cipher: Vec<u8>,
}

/// The Response to verify, decrypted if it was encrypted.
pub(crate) struct Prepared {
    pub text: String,
    /// The Response carried a signature, verified over the encrypted form and then removed.
    pub response_signature_verified: bool,
}

/// Leaves a Response without `EncryptedAssertion` untouched (and unparsed); otherwise
/// decrypts it with the first of `config.decryption_keys` that opens it.
pub(crate) fn decrypt(text: String, config: &SpConfig) -> Result<Prepared, Rejection> {
    // Without a key the verifier refuses the EncryptedAssertion as it always did.
    if config.decryption_keys.is_empty() || !text.contains("EncryptedAssertion") {
        return Ok(Prepared {
            text,
            response_signature_verified: false,
        });
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
    };
    let doc = Document::parse_with_options(&text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => Rejection::Doctype,
        other => Rejection::MalformedXml {
            reason: other.to_string(),
        },
    })?;
    let response = doc.root_element();
    let encrypted: Vec<Node> = doc
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "EncryptedAssertion")
        .collect();
    let encrypted_assertion = match encrypted[..] {
        // Only the name matched, in text or an attribute: nothing to decrypt.
        [] => {
            drop(doc);
            return Ok(Prepared {
                text,
                response_signature_verified: false,
            });
        }
        [one] => one,
        ref many => {
            return Err(Rejection::MultipleEncryptedAssertions { count: many.len() });
        }
    };
    if !response.has_tag_name((SAMLP_NS, "Response")) {
        return Err(Rejection::NotAResponse {
            found: response.tag_name().name().to_owned(),
        });
    }
    if doc
        .descendants()
        .any(|n| n.is_element() && n.tag_name().name() == "Assertion")
    {
        return Err(Rejection::EncryptedAndPlainAssertion);
    }
    if !encrypted_assertion.has_tag_name((SAML_NS, "EncryptedAssertion")) {
        return Err(Rejection::EncryptedAssertionMalformed {
            reason: "it is not in the SAML assertion namespace".to_owned(),
        });
    }
    if encrypted_assertion.parent_element() != Some(response) {
        let parent = encrypted_assertion
            .parent_element()
            .map(|p| p.tag_name().name().to_owned())
            .unwrap_or_default();
        return Err(Rejection::AssertionMisplaced { parent });
    }

    // Only the Response may carry a signature here: the Assertion's is inside the ciphertext.
    let mut response_signature = None;
    for signature in doc
        .descendants()
        .filter(|n| n.is_element() && n.has_tag_name((DSIG_NS, "Signature")))
    {
        if signature.parent_element() != Some(response) {
            return Err(Rejection::SignatureMisplaced {
                parent: signature
                    .parent_element()
                    .map(|p| p.tag_name().name().to_owned())
                    .unwrap_or_default(),
            });
        }
        if response_signature.replace(signature).is_some() {
            return Err(Rejection::MultipleSignatures {
                element: SignedElement::Response,
                count: 2,
            });
        }
    }

    let (content, iv_and_cipher, wrapped) = read_encrypted_assertion(encrypted_assertion)?;
    if let Some(signature) = response_signature {
        verify_enveloped(
            response,
            signature,
            SignedElement::Response,
            config,
            &mut Vec::with_capacity(text.len()),
        )?;
    }

    let plaintext = open(
        content,
        &iv_and_cipher,
        &wrapped,
        &config.decryption_keys[..config.decryption_keys.len().min(MAX_DECRYPTION_KEYS)],
    )?;
    // Past the tag check a GCM plaintext is the sender's; a CBC one may be a tampered
    // ciphertext, so its shape errors must not tell a padding failure from a parse failure.
    let opaque = |e: Rejection| {
        if content.authenticated() {
            e
        } else {
            Rejection::DecryptionFailed
        }
    };
    let assertion_text = assertion_text(plaintext).map_err(opaque)?;

    let mut cuts = vec![(encrypted_assertion.range(), assertion_text.as_str())];
    if let Some(signature) = response_signature {
        cuts.push((signature.range(), ""));
    }
    cuts.sort_by_key(|(range, _)| range.start);
    let mut rebuilt = String::with_capacity(text.len());
    let mut at = 0;
    let mut assertion_start = 0;
    for (range, replacement) in cuts {
        rebuilt.push_str(&text[at..range.start]);
        if !replacement.is_empty() {
            assertion_start = rebuilt.len();
        }
        rebuilt.push_str(replacement);
        at = range.end;
    }
    rebuilt.push_str(&text[at..]);
    let response_signature_verified = response_signature.is_some();
    drop(doc);

    limits::scan(rebuilt.as_bytes()).map_err(opaque)?;
    check_spliced(&rebuilt, assertion_start, assertion_text.len()).map_err(opaque)?;
    Ok(Prepared {
        text: rebuilt,
        response_signature_verified,
    })
}

/// The EncryptedData's algorithm and `IV || ciphertext (|| tag)`, and every EncryptedKey
/// (in its KeyInfo, or beside it in the EncryptedAssertion), all algorithms checked before
/// any key is used.
fn read_encrypted_assertion(
    encrypted_assertion: Node,
) -> Result<(Content, Vec<u8>, Vec<WrappedKey>), Rejection> {
    let malformed = |reason: &str| Rejection::EncryptedAssertionMalformed {
        reason: reason.to_owned(),
    };
    let data = match children(encrypted_assertion, XENC_NS, "EncryptedData").collect::<Vec<_>>()[..]
    {
        [one] => one,
        [] => return Err(malformed("it holds no xenc:EncryptedData")),
        _ => return Err(malformed("it holds more than one xenc:EncryptedData")),
    };
    if let Some(kind) = data.attribute("Type") {
        if kind != TYPE_ELEMENT {
            return Err(malformed("the EncryptedData Type is not xmlenc#Element"));
        }
    }
    let method = children(data, XENC_NS, "EncryptionMethod")
        .next()
        .and_then(|m| m.attribute("Algorithm"))
        .ok_or_else(|| malformed("the EncryptedData names no EncryptionMethod"))?;
    let content =
        Content::from_uri(method).ok_or_else(|| Rejection::UnsupportedContentEncryption {
            algorithm: method.to_owned(),
        })?;
    let cipher = cipher_value(data)?;

    let mut key_nodes: Vec<Node> = children(data, DSIG_NS, "KeyInfo")
        .flat_map(|info| children(info, XENC_NS, "EncryptedKey"))
        .collect();
    key_nodes.extend(children(encrypted_assertion, XENC_NS, "EncryptedKey"));
    if key_nodes.is_empty() {
        return Err(malformed("it holds no xenc:EncryptedKey"));
    }
    if key_nodes.len() > MAX_ENCRYPTED_KEYS {
        return Err(Rejection::TooManyEncryptedKeys {
            count: key_nodes.len(),
            limit: MAX_ENCRYPTED_KEYS,
        });
    }
    let wrapped = key_nodes
        .into_iter()
        .map(read_encrypted_key)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((content, cipher, wrapped))
}

fn read_encrypted_key(key: Node) -> Result<WrappedKey, Rejection> {
    let method = children(key, XENC_NS, "EncryptionMethod")
        .next()
        .ok_or_else(|| Rejection::EncryptedAssertionMalformed {
            reason: "an EncryptedKey names no EncryptionMethod".to_owned(),
        })?;
    let algorithm = method.attribute("Algorithm").unwrap_or_default();
    let unsupported = || Rejection::UnsupportedKeyTransport {
        algorithm: algorithm.to_owned(),
    };
    let digest_uri = children(method, DSIG_NS, "DigestMethod")
        .next()
        .and_then(|d| d.attribute("Algorithm"));
    let digest = match digest_uri {
        None => Hash::Sha1,
        Some(uri) => oaep_digest(uri).ok_or_else(|| Rejection::UnsupportedKeyTransport {
            algorithm: format!("{algorithm} with digest {uri}"),
        })?,
    };
    let mgf = match algorithm {
        ALG_RSA_1_5 => return Err(Rejection::KeyTransportRsa15),
        ALG_RSA_OAEP_MGF1P => Hash::Sha1,
        ALG_RSA_OAEP => match children(method, XENC11_NS, "MGF")
            .next()
            .and_then(|m| m.attribute("Algorithm"))
        {
            None => Hash::Sha1,
            Some(uri) => mgf_digest(uri).ok_or_else(|| Rejection::UnsupportedKeyTransport {
                algorithm: format!("{algorithm} with mask generation {uri}"),
            })?,
        },
        _ => return Err(unsupported()),
    };
    let label = children(method, XENC_NS, "OAEPparams")
        .next()
        .map(text_of)
        .unwrap_or_default();
    if !label.trim().is_empty() {
        return Err(Rejection::UnsupportedKeyTransport {
            algorithm: format!("{algorithm} with OAEPparams"),
        });
    }
    Ok(WrappedKey {
        digest,
        mgf,
        cipher: cipher_value(key)?,
    })
}

fn cipher_value(parent: Node) -> Result<Vec<u8>, Rejection> {
    let malformed = |reason: &str| Rejection::EncryptedAssertionMalformed {
        reason: reason.to_owned(),
    };
    let data = children(parent, XENC_NS, "CipherData")
        .next()
        .ok_or_else(|| malformed("a CipherData element is missing"))?;
    let value = children(data, XENC_NS, "CipherValue")
        .next()
        .ok_or_else(|| malformed("only an inline CipherValue is supported"))?;
    let compact: Vec<u8> = text_of(value)
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .map_err(|_| malformed("a CipherValue is not valid base64"))
}

/// Tries each SP key on each EncryptedKey; the first content key that also opens the
/// EncryptedData wins. Every failure is the same [`Rejection::DecryptionFailed`].
fn open(
    content: Content,
    iv_and_cipher: &[u8],
    wrapped: &[WrappedKey],
    keys: &[SpDecryptionKey],
) -> Result<Vec<u8>, Rejection> {
    for key in keys {
        for w in wrapped {
            let Some(content_key) = unwrap_key(key, w) else {
                continue;
            };
            if content_key.len() != content.key_len() {
                continue;
            }
            if let Some(plain) = decrypt_content(content, &content_key, iv_and_cipher) {
                return Ok(plain);
            }
        }
    }
    Err(Rejection::DecryptionFailed)
}

fn unwrap_key(key: &SpDecryptionKey, w: &WrappedKey) -> Option<Vec<u8>> {
    use rsa::traits::PublicKeyParts as _;
    // A ciphertext of another length was not made for this key: no RSA operation for it.
    if w.cipher.len() != key.key.size() {
        return None;
    }
    use sha1::Sha1;
    use sha2::{Sha256, Sha384, Sha512};
    fn oaep<D>(mgf: Hash) -> Oaep
    where
        D: 'static + sha2::Digest + rsa::sha2::digest::DynDigest + Send + Sync,
    {
        match mgf {
            Hash::Sha1 => Oaep::new_with_mgf_hash::<D, Sha1>(),
            Hash::Sha256 => Oaep::new_with_mgf_hash::<D, Sha256>(),
            Hash::Sha384 => Oaep::new_with_mgf_hash::<D, Sha384>(),
            Hash::Sha512 => Oaep::new_with_mgf_hash::<D, Sha512>(),
        }
    }
    let padding = match w.digest {
        Hash::Sha1 => oaep::<Sha1>(w.mgf),
        Hash::Sha256 => oaep::<Sha256>(w.mgf),
        Hash::Sha384 => oaep::<Sha384>(w.mgf),
        Hash::Sha512 => oaep::<Sha512>(w.mgf),
    };
    // Blinded: the private-key operation's timing does not depend on the ciphertext.
    key.key
        .decrypt_blinded(&mut rand_core::OsRng, padding, &w.cipher)
        .ok()
}

fn decrypt_content(content: Content, key: &[u8], iv_and_cipher: &[u8]) -> Option<Vec<u8>> {
    match content {
        Content::Gcm128 | Content::Gcm256 => {
            use ring::aead;
            let algorithm = if content == Content::Gcm128 {
                &aead::AES_128_GCM
            } else {
                &aead::AES_256_GCM
            };
            let (iv, sealed) = iv_and_cipher.split_at_checked(aead::NONCE_LEN)?;
            let nonce = aead::Nonce::try_assume_unique_for_key(iv).ok()?;
            let key = aead::LessSafeKey::new(aead::UnboundKey::new(algorithm, key).ok()?);
            let mut buffer = sealed.to_vec();
            let plain_len = key
                .open_in_place(nonce, aead::Aad::empty(), &mut buffer)
                .ok()?
                .len();
            buffer.truncate(plain_len);
            Some(buffer)
        }
        Content::Cbc128 => cbc_decrypt::<aes::Aes128>(key, iv_and_cipher),
        Content::Cbc192 => cbc_decrypt::<aes::Aes192>(key, iv_and_cipher),
        Content::Cbc256 => cbc_decrypt::<aes::Aes256>(key, iv_and_cipher),
    }
}

/// AES-CBC with the XML Encryption padding: the last byte counts the padding bytes
/// (1..=16), whose other values are arbitrary.
fn cbc_decrypt<C>(key: &[u8], iv_and_cipher: &[u8]) -> Option<Vec<u8>>
where
    C: aes::cipher::BlockDecrypt + aes::cipher::BlockCipher + aes::cipher::KeyInit,
    cbc::Decryptor<C>: aes::cipher::KeyIvInit + aes::cipher::BlockDecryptMut,
{
    use aes::cipher::block_padding::NoPadding;
    use aes::cipher::{BlockDecryptMut as _, KeyIvInit as _};
    const BLOCK: usize = 16;
    let (iv, cipher) = iv_and_cipher.split_at_checked(BLOCK)?;
    if cipher.is_empty() || cipher.len() % BLOCK != 0 {
        return None;
    }
    let decryptor = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
    let mut buffer = cipher.to_vec();
    let plain_len = decryptor
        .decrypt_padded_mut::<NoPadding>(&mut buffer)
        .ok()?
        .len();
    let pad = usize::from(*buffer[..plain_len].last()?);
    if pad == 0 || pad > BLOCK || pad > plain_len {
        return None;
    }
    buffer.truncate(plain_len - pad);
    Some(buffer)
}

/// The decrypted bytes as the Assertion's text: UTF-8, an optional XML declaration dropped.
fn assertion_text(plaintext: Vec<u8>) -> Result<String, Rejection> {
    let text = String::from_utf8(plaintext).map_err(|_| Rejection::DecryptedNotAnAssertion {
        reason: "it is not UTF-8".to_owned(),
    })?;
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    let body = if trimmed.starts_with("<?xml") {
        trimmed
            .find("?>")
            .map(|end| trimmed[end + 2..].trim_start())
            .unwrap_or(trimmed)
    } else {
        trimmed
    };
    Ok(body.to_owned())
}

/// The spliced text parses, and exactly the decrypted bytes form one saml:Assertion element
/// in the Response: the plaintext cannot close the Response or add siblings.
fn check_spliced(rebuilt: &str, start: usize, len: usize) -> Result<(), Rejection> {
    let not_assertion = |reason: String| Rejection::DecryptedNotAnAssertion { reason };
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
    };
    let doc = Document::parse_with_options(rebuilt, options)
        .map_err(|e| not_assertion(format!("the result is not well-formed XML: {e}")))?;
    let response = doc.root_element();
    let placed = response
        .children()
        .find(|n| n.is_element() && n.range().start == start);
    match placed {
        Some(node) if node.range().end == start + len => {
            if node.has_tag_name((SAML_NS, "Assertion")) {
                Ok(())
            } else {
                Err(not_assertion(format!(
                    "it is a <{}>, not a saml:Assertion",
                    node.tag_name().name()
                )))
            }
        }
        _ => Err(not_assertion(
            "it is not exactly one XML element".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests;
