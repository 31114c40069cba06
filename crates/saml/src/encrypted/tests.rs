use super::*;
use crate::testkit::*;
use crate::{verify, SpDecryptionKey};
use rsa::traits::PublicKeyParts as _;
use rsa::{Pkcs1v15Encrypt, RsaPublicKey};

const SP_KEY: &str = include_str!("../../tests/fixtures/test-sp-rsa.key");
const OLD_SP_KEY: &str = include_str!("../../tests/fixtures/test-sp-old-rsa.key");

const GCM128: &str = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
const GCM256: &str = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
const CBC128: &str = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
const CBC192: &str = "http://www.w3.org/2001/04/xmlenc#aes192-cbc";
const CBC256: &str = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";

fn key(pem: &str) -> SpDecryptionKey {
    SpDecryptionKey::from_pem(pem).unwrap()
}

fn sp_config() -> SpConfig {
    let mut config = config();
    config.decryption_keys = vec![key(SP_KEY)];
    config
}

/// How the content key is wrapped: an EncryptionMethod element and the RSA padding.
#[derive(Clone, Copy)]
enum Transport {
    OaepMgf1p,
    /// xmlenc11#rsa-oaep with SHA-256 for both the digest and MGF1.
    Oaep11Sha256,
    Rsa15,
}

impl Transport {
    fn method(self) -> String {
        match self {
            Self::OaepMgf1p => format!(
                r#"<xenc:EncryptionMethod Algorithm="{ALG_RSA_OAEP_MGF1P}"><ds:DigestMethod xmlns:ds="{DS}" Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/></xenc:EncryptionMethod>"#
            ),
            Self::Oaep11Sha256 => format!(
                r#"<xenc:EncryptionMethod Algorithm="{ALG_RSA_OAEP}"><ds:DigestMethod xmlns:ds="{DS}" Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><xenc11:MGF xmlns:xenc11="{XENC11_NS}" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/></xenc:EncryptionMethod>"#
            ),
            Self::Rsa15 => format!(r#"<xenc:EncryptionMethod Algorithm="{ALG_RSA_1_5}"/>"#),
        }
    }

    fn wrap(self, public: &RsaPublicKey, content_key: &[u8]) -> Vec<u8> {
        let mut rng = rand_core::OsRng;
        match self {
            Self::OaepMgf1p => public
                .encrypt(&mut rng, Oaep::new::<sha1::Sha1>(), content_key)
                .unwrap(),
            Self::Oaep11Sha256 => public
                .encrypt(
                    &mut rng,
                    Oaep::new_with_mgf_hash::<sha2::Sha256, sha2::Sha256>(),
                    content_key,
                )
                .unwrap(),
            Self::Rsa15 => public
                .encrypt(&mut rng, Pkcs1v15Encrypt, content_key)
                .unwrap(),
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn content_key_len(content: &str) -> usize {
    Content::from_uri(content).map_or(16, Content::key_len)
}

/// Encrypts `plaintext` under a fresh content key; the raw `IV || ciphertext (|| tag)`.
fn seal(content: &str, content_key: &[u8], plaintext: &[u8]) -> Vec<u8> {
    use aes::cipher::block_padding::Pkcs7;
    use aes::cipher::{BlockEncryptMut as _, KeyIvInit as _};
    fn cbc<C>(key: &[u8], plaintext: &[u8]) -> Vec<u8>
    where
        C: aes::cipher::BlockEncrypt + aes::cipher::BlockCipher + aes::cipher::KeyInit,
        cbc::Encryptor<C>: aes::cipher::KeyIvInit + aes::cipher::BlockEncryptMut,
    {
        let iv = [7u8; 16];
        let mut buffer = vec![0u8; plaintext.len() + 16];
        buffer[..plaintext.len()].copy_from_slice(plaintext);
        let len = cbc::Encryptor::<C>::new_from_slices(key, &iv)
            .unwrap()
            .encrypt_padded_mut::<Pkcs7>(&mut buffer, plaintext.len())
            .unwrap()
            .len();
        buffer.truncate(len);
        [&iv[..], &buffer].concat()
    }
    match Content::from_uri(content).unwrap() {
        Content::Gcm128 | Content::Gcm256 => {
            use ring::aead;
            let algorithm = if content_key.len() == 16 {
                &aead::AES_128_GCM
            } else {
                &aead::AES_256_GCM
            };
            let iv = [9u8; 12];
            let sealing =
                aead::LessSafeKey::new(aead::UnboundKey::new(algorithm, content_key).unwrap());
            let mut buffer = plaintext.to_vec();
            sealing
                .seal_in_place_append_tag(
                    aead::Nonce::assume_unique_for_key(iv),
                    aead::Aad::empty(),
                    &mut buffer,
                )
                .unwrap();
            [&iv[..], &buffer].concat()
        }
        Content::Cbc128 => cbc::<aes::Aes128>(content_key, plaintext),
        Content::Cbc192 => cbc::<aes::Aes192>(content_key, plaintext),
        Content::Cbc256 => cbc::<aes::Aes256>(content_key, plaintext),
    }
}

/// An EncryptedAssertion as IdPs write it, EncryptedKey inside the EncryptedData's KeyInfo.
fn encrypted_assertion(
    plaintext: &str,
    content: &str,
    transport: Transport,
    recipient_pem: &str,
) -> String {
    let content_key = vec![0x5au8; content_key_len(content)];
    let sealed = seal(content, &content_key, plaintext.as_bytes());
    wrap_element(
        content,
        &sealed,
        &[(transport, recipient_pem, &content_key)],
    )
}

fn wrap_element(content: &str, sealed: &[u8], keys: &[(Transport, &str, &[u8])]) -> String {
    let encrypted_keys: String = keys
        .iter()
        .map(|(transport, pem, content_key)| {
            let public = RsaPublicKey::from(&key(pem).key);
            assert_eq!(public.size(), 256);
            format!(
                r#"<xenc:EncryptedKey>{}<xenc:CipherData><xenc:CipherValue>{}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>"#,
                transport.method(),
                b64(&transport.wrap(&public, content_key))
            )
        })
        .collect();
    format!(
        concat!(
            r#"<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="{xenc}" Type="{element}">"#,
            r#"<xenc:EncryptionMethod Algorithm="{content}"/>"#,
            r#"<ds:KeyInfo xmlns:ds="{ds}">{keys}</ds:KeyInfo>"#,
            r#"<xenc:CipherData><xenc:CipherValue>{value}</xenc:CipherValue></xenc:CipherData>"#,
            r#"</xenc:EncryptedData></saml:EncryptedAssertion>"#
        ),
        xenc = XENC_NS,
        element = TYPE_ELEMENT,
        content = content,
        ds = DS,
        keys = encrypted_keys,
        value = b64(sealed),
    )
}

/// The template's Assertion, signed, as the text an IdP encrypts.
fn signed_assertion() -> String {
    assertion_of(&sign_assertion(TEMPLATE))
}

fn assertion_of(xml: &str) -> String {
    let start = xml.find("<saml:Assertion").unwrap();
    let end = xml.find("</saml:Assertion>").unwrap() + "</saml:Assertion>".len();
    xml[start..end].to_owned()
}

/// The template with its Assertion replaced by `replacement`.
fn response_with(replacement: &str) -> String {
    let assertion = assertion_of(TEMPLATE);
    TEMPLATE.replace(&assertion, replacement)
}

fn encrypted_response(content: &str, transport: Transport, recipient_pem: &str) -> String {
    response_with(&encrypted_assertion(
        &signed_assertion(),
        content,
        transport,
        recipient_pem,
    ))
}

fn reject_with(xml: &str, config: &SpConfig) -> Rejection {
    verify(xml.as_bytes(), config, now()).unwrap_err()
}

#[test]
fn an_encrypted_signed_assertion_is_accepted_with_every_content_algorithm() {
    for content in [GCM128, GCM256, CBC128, CBC192, CBC256] {
        let xml = encrypted_response(content, Transport::OaepMgf1p, SP_KEY);
        let verified = verify(xml.as_bytes(), &sp_config(), now())
            .unwrap_or_else(|e| panic!("{content}: {e}"));
        assert_eq!(verified.email, "alice@example.com", "{content}");
        assert_eq!(verified.assertion_id, "_assert1");
    }
}

#[test]
fn xmlenc11_rsa_oaep_with_sha256_digest_and_mgf_is_accepted() {
    let xml = encrypted_response(GCM256, Transport::Oaep11Sha256, SP_KEY);
    assert!(verify(xml.as_bytes(), &sp_config(), now()).is_ok());
}

#[test]
fn an_encrypted_key_beside_the_encrypted_data_is_used() {
    let xml = encrypted_response(GCM128, Transport::OaepMgf1p, SP_KEY);
    let start = xml.find("<ds:KeyInfo").unwrap();
    let end = xml.find("</ds:KeyInfo>").unwrap() + "</ds:KeyInfo>".len();
    let key_info = &xml[start..end];
    let encrypted_key = key_info
        .replace(&format!(r#"<ds:KeyInfo xmlns:ds="{DS}">"#), "")
        .replace("</ds:KeyInfo>", "")
        .replace(
            "<xenc:EncryptedKey>",
            &format!(r#"<xenc:EncryptedKey xmlns:xenc="{XENC_NS}">"#),
        );
    let moved = xml.replace(key_info, "").replace(
        "</saml:EncryptedAssertion>",
        &format!("{encrypted_key}</saml:EncryptedAssertion>"),
    );
    assert!(verify(moved.as_bytes(), &sp_config(), now()).is_ok());
}

#[test]
fn during_a_rotation_the_previous_key_still_decrypts() {
    let mut config = sp_config();
    config.decryption_keys.push(key(OLD_SP_KEY));
    let for_old = encrypted_response(GCM128, Transport::OaepMgf1p, OLD_SP_KEY);
    let for_new = encrypted_response(GCM128, Transport::OaepMgf1p, SP_KEY);
    assert!(verify(for_old.as_bytes(), &config, now()).is_ok());
    assert!(verify(for_new.as_bytes(), &config, now()).is_ok());
    // Once the old key is retired, what was encrypted for it no longer opens.
    assert_eq!(
        reject_with(&for_old, &sp_config()),
        Rejection::DecryptionFailed
    );
}

#[test]
fn an_assertion_encrypted_for_another_key_is_refused() {
    let xml = encrypted_response(CBC128, Transport::OaepMgf1p, OLD_SP_KEY);
    assert_eq!(reject_with(&xml, &sp_config()), Rejection::DecryptionFailed);
}

#[test]
fn rsa_1_5_key_transport_is_refused_with_its_own_reason() {
    let xml = encrypted_response(GCM128, Transport::Rsa15, SP_KEY);
    let rejection = reject_with(&xml, &sp_config());
    assert_eq!(rejection, Rejection::KeyTransportRsa15);
    assert_eq!(rejection.code(), "saml.key_transport_rsa15");
}

#[test]
fn tampered_gcm_ciphertext_or_tag_is_refused() {
    let content_key = [0x5au8; 16];
    let sealed = seal(GCM128, &content_key, signed_assertion().as_bytes());
    for index in [12, sealed.len() / 2, sealed.len() - 1] {
        let mut tampered = sealed.clone();
        tampered[index] ^= 1;
        let xml = response_with(&wrap_element(
            GCM128,
            &tampered,
            &[(Transport::OaepMgf1p, SP_KEY, &content_key)],
        ));
        assert_eq!(
            reject_with(&xml, &sp_config()),
            Rejection::DecryptionFailed,
            "byte {index}"
        );
    }
}

#[test]
fn cbc_padding_and_plaintext_errors_read_like_any_decryption_failure() {
    let content_key = [0x5au8; 16];
    let sealed = seal(CBC128, &content_key, signed_assertion().as_bytes());
    let wrong_key = reject_with(
        &encrypted_response(CBC128, Transport::OaepMgf1p, OLD_SP_KEY),
        &sp_config(),
    );
    // Flipping bits of the second-to-last block changes the padding byte (bad padding) or
    // garbles the plaintext (bad XML); flipping the first block garbles the start.
    let last = sealed.len() - 17;
    for (index, mask) in [(last, 0xff), (last, 0x10), (16, 0x01), (20, 0x80)] {
        let mut tampered = sealed.clone();
        tampered[index] ^= mask;
        let xml = response_with(&wrap_element(
            CBC128,
            &tampered,
            &[(Transport::OaepMgf1p, SP_KEY, &content_key)],
        ));
        let rejection = reject_with(&xml, &sp_config());
        assert_eq!(rejection, Rejection::DecryptionFailed, "byte {index}");
        assert_eq!(rejection.to_string(), wrong_key.to_string());
    }
    // A CBC plaintext that decrypts cleanly but is not an Assertion reads the same.
    let not_xml = response_with(&encrypted_assertion(
        "not an assertion <",
        CBC128,
        Transport::OaepMgf1p,
        SP_KEY,
    ));
    assert_eq!(
        reject_with(&not_xml, &sp_config()),
        Rejection::DecryptionFailed
    );
}

#[test]
fn unknown_algorithms_are_refused_by_name() {
    let xml = encrypted_response(GCM128, Transport::OaepMgf1p, SP_KEY);
    let chacha = xml.replace(GCM128, "http://example.com/chacha20");
    assert_eq!(
        reject_with(&chacha, &sp_config()),
        Rejection::UnsupportedContentEncryption {
            algorithm: "http://example.com/chacha20".to_owned()
        }
    );
    let key_wrap = xml.replace(
        ALG_RSA_OAEP_MGF1P,
        "http://www.w3.org/2001/04/xmlenc#kw-aes128",
    );
    assert_eq!(
        reject_with(&key_wrap, &sp_config()).code(),
        "saml.unsupported_key_transport"
    );
    let md5 = xml.replace(
        "http://www.w3.org/2000/09/xmldsig#sha1",
        "http://www.w3.org/2001/04/xmldsig-more#md5",
    );
    assert_eq!(
        reject_with(&md5, &sp_config()).code(),
        "saml.unsupported_key_transport"
    );
}

#[test]
fn two_encrypted_assertions_are_refused() {
    let one = encrypted_assertion(&signed_assertion(), GCM128, Transport::OaepMgf1p, SP_KEY);
    let xml = response_with(&format!("{one}{one}"));
    assert_eq!(
        reject_with(&xml, &sp_config()),
        Rejection::MultipleEncryptedAssertions { count: 2 }
    );
}

#[test]
fn an_encrypted_assertion_next_to_a_plain_one_is_refused() {
    let one = encrypted_assertion(&signed_assertion(), GCM128, Transport::OaepMgf1p, SP_KEY);
    let xml = response_with(&format!("{one}{}", signed_assertion()));
    assert_eq!(
        reject_with(&xml, &sp_config()),
        Rejection::EncryptedAndPlainAssertion
    );
}

#[test]
fn without_a_decryption_key_an_encrypted_assertion_is_refused() {
    let xml = encrypted_response(GCM128, Transport::OaepMgf1p, SP_KEY);
    assert_eq!(reject_with(&xml, &config()), Rejection::EncryptedAssertion);
}

#[test]
fn a_decrypted_assertion_must_itself_be_signed() {
    let unsigned = assertion_of(TEMPLATE);
    let xml = response_with(&encrypted_assertion(
        &unsigned,
        GCM128,
        Transport::OaepMgf1p,
        SP_KEY,
    ));
    assert_eq!(reject_with(&xml, &sp_config()), Rejection::Unsigned);
    // A Response signature over the EncryptedAssertion covers it only for a configuration
    // that accepts Response-only signatures.
    let response_signed = sign_with(&xml, "_resp1", RSA_SHA256);
    assert_eq!(
        reject_with(&response_signed, &sp_config()),
        Rejection::UnsignedAssertion
    );
    let mut response_only = sp_config();
    response_only.accept_response_only_signature = true;
    let verified = verify(response_signed.as_bytes(), &response_only, now()).unwrap();
    assert_eq!(verified.email, "alice@example.com");
}

#[test]
fn a_response_signature_is_checked_over_the_ciphertext_before_decrypting() {
    let xml = encrypted_response(GCM128, Transport::OaepMgf1p, SP_KEY);
    let signed = sign_with(&xml, "_resp1", RSA_SHA256);
    assert!(verify(signed.as_bytes(), &sp_config(), now()).is_ok());
    let value_start = signed.rfind("<xenc:CipherValue>").unwrap() + "<xenc:CipherValue>".len();
    let mut tampered = signed.clone();
    let flipped = if &signed[value_start..=value_start] == "A" {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(value_start..=value_start, flipped);
    assert_eq!(
        reject_with(&tampered, &sp_config()),
        Rejection::DigestMismatch {
            element: SignedElement::Response
        }
    );
}

#[test]
fn an_authenticated_plaintext_must_be_exactly_one_assertion() {
    let escape = format!("{}</samlp:Response><samlp:Response>", signed_assertion());
    let two = format!("{0}{0}", signed_assertion());
    let other = "<saml:Advice/>".to_owned();
    for (plaintext, code) in [
        (escape, "saml.decrypted_not_an_assertion"),
        (two, "saml.decrypted_not_an_assertion"),
        (other, "saml.decrypted_not_an_assertion"),
    ] {
        let xml = response_with(&encrypted_assertion(
            &plaintext,
            GCM128,
            Transport::OaepMgf1p,
            SP_KEY,
        ));
        assert_eq!(reject_with(&xml, &sp_config()).code(), code, "{plaintext}");
    }
}

#[test]
fn the_decrypted_plaintext_goes_through_the_input_limits() {
    let deep = format!(
        "<saml:Assertion>{}{}</saml:Assertion>",
        "<a>".repeat(100),
        "</a>".repeat(100)
    );
    let xml = response_with(&encrypted_assertion(
        &deep,
        GCM128,
        Transport::OaepMgf1p,
        SP_KEY,
    ));
    assert_eq!(reject_with(&xml, &sp_config()).code(), "saml.too_deep");
}

#[test]
fn too_many_encrypted_keys_are_refused_before_any_is_tried() {
    let content_key = [0x5au8; 16];
    let sealed = seal(GCM128, &content_key, signed_assertion().as_bytes());
    let keys: Vec<(Transport, &str, &[u8])> =
        vec![(Transport::OaepMgf1p, OLD_SP_KEY, &content_key[..]); MAX_ENCRYPTED_KEYS + 1];
    let xml = response_with(&wrap_element(GCM128, &sealed, &keys));
    assert_eq!(
        reject_with(&xml, &sp_config()),
        Rejection::TooManyEncryptedKeys {
            count: MAX_ENCRYPTED_KEYS + 1,
            limit: MAX_ENCRYPTED_KEYS
        }
    );
}

#[test]
fn a_missing_cipher_value_is_reported_as_malformed() {
    let xml = encrypted_response(GCM128, Transport::OaepMgf1p, SP_KEY);
    let start = xml.rfind("<xenc:CipherData>").unwrap();
    let end = xml.rfind("</xenc:CipherData>").unwrap() + "</xenc:CipherData>".len();
    let mut broken = xml.clone();
    broken.replace_range(start..end, "");
    assert_eq!(
        reject_with(&broken, &sp_config()).code(),
        "saml.encrypted_assertion_malformed"
    );
}

#[test]
fn an_encrypted_assertion_wrapped_in_another_element_is_refused() {
    let one = encrypted_assertion(&signed_assertion(), GCM128, Transport::OaepMgf1p, SP_KEY);
    let xml = response_with(&format!("<samlp:Extensions>{one}</samlp:Extensions>"));
    assert_eq!(
        reject_with(&xml, &sp_config()),
        Rejection::AssertionMisplaced {
            parent: "Extensions".to_owned()
        }
    );
    let foreign = response_with(&one.replace("saml:EncryptedAssertion", "x:EncryptedAssertion"))
        .replace(
            "<samlp:Response ",
            r#"<samlp:Response xmlns:x="urn:example" "#,
        );
    assert_eq!(
        reject_with(&foreign, &sp_config()).code(),
        "saml.encrypted_assertion_malformed"
    );
}
