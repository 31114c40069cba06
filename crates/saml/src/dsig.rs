//! Enveloped XML-DSig signatures, as SAML uses them: one Reference to the signed element
//! itself, fixed transforms, keys only from the pinned certificates.

use crate::c14n::{self, Method};
use crate::config::TrustedKey;
use crate::xml::{children, DSIG_NS, EXC_C14N_NS};
use crate::{Rejection, SignedElement, SpConfig};
use base64::Engine as _;
use ring::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use roxmltree::Node;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

const ALG_EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ALG_C14N_10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const ALG_ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    Ecdsa,
}

fn signature_method(uri: &str) -> Option<(KeyKind, Hash)> {
    Some(match uri {
        "http://www.w3.org/2000/09/xmldsig#rsa-sha1" => (KeyKind::Rsa, Hash::Sha1),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" => (KeyKind::Rsa, Hash::Sha256),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384" => (KeyKind::Rsa, Hash::Sha384),
        "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512" => (KeyKind::Rsa, Hash::Sha512),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1" => (KeyKind::Ecdsa, Hash::Sha1),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256" => (KeyKind::Ecdsa, Hash::Sha256),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384" => (KeyKind::Ecdsa, Hash::Sha384),
        "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512" => (KeyKind::Ecdsa, Hash::Sha512),
        _ => return None,
    })
}

fn digest_method(uri: &str) -> Option<Hash> {
    Some(match uri {
        "http://www.w3.org/2000/09/xmldsig#sha1" => Hash::Sha1,
        "http://www.w3.org/2001/04/xmlenc#sha256" => Hash::Sha256,
        "http://www.w3.org/2001/04/xmldsig-more#sha384" => Hash::Sha384,
        "http://www.w3.org/2001/04/xmlenc#sha512" => Hash::Sha512,
        _ => return None,
    })
}

/// A Signature whose structure passed every check; nothing is computed yet.
struct Checked<'a, 'input> {
    signed_info: Node<'a, 'input>,
    signed_info_c14n: Method<'a>,
    method: (KeyKind, Hash),
    signature_value: Vec<u8>,
    reference_c14n: Method<'a>,
    digest: Hash,
    digest_value: Vec<u8>,
}

/// Verifies that `signature`, a direct child of `signed`, is an enveloped signature over
/// exactly `signed`, made by one of the pinned keys. `scratch` is reused between calls.
pub(crate) fn verify_enveloped(
    signed: Node,
    signature: Node,
    element: SignedElement,
    config: &SpConfig,
    scratch: &mut Vec<u8>,
) -> Result<(), Rejection> {
    let checked = check_structure(signed, signature, element, config)?;

    scratch.clear();
    c14n::canonicalize(
        signed,
        Some(signature.id()),
        &checked.reference_c14n,
        scratch,
    );
    if !digest_matches(checked.digest, scratch, &checked.digest_value) {
        return Err(Rejection::DigestMismatch { element });
    }

    scratch.clear();
    c14n::canonicalize(
        checked.signed_info,
        None,
        &checked.signed_info_c14n,
        scratch,
    );
    let mut too_small = None;
    let verified = config.idp_certificates.iter().any(|cert| {
        match verify_with(
            &cert.key,
            checked.method,
            config.allow_sha1,
            scratch,
            &checked.signature_value,
        ) {
            Outcome::Valid => true,
            Outcome::Invalid => false,
            Outcome::KeyTooSmall(bits) => {
                too_small.get_or_insert(bits);
                false
            }
        }
    });
    if verified {
        Ok(())
    } else if let Some(bits) = too_small {
        Err(Rejection::KeyTooSmall {
            element,
            bits,
            minimum: MIN_RSA_BITS,
        })
    } else {
        Err(Rejection::WrongKey {
            element,
            trusted: config.idp_certificates.len(),
        })
    }
}

/// RSA keys below this size are refused unless the configuration admits legacy SHA-1 IdPs,
/// which still sign with 1024-bit keys.
const MIN_RSA_BITS: usize = 2048;

enum Outcome {
    Valid,
    Invalid,
    /// The key is an RSA key below [`MIN_RSA_BITS`], and the signature verifies with it (or
    /// cannot be checked at that size): refused for its size, not as another key's.
    KeyTooSmall(usize),
}

/// Verifies `value` over `message` with one pinned key.
fn verify_with(
    key: &TrustedKey,
    (kind, hash): (KeyKind, Hash),
    allow_sha1: bool,
    message: &[u8],
    value: &[u8],
) -> Outcome {
    let valid = |ok: bool| if ok { Outcome::Valid } else { Outcome::Invalid };
    match (key, kind, hash) {
        (TrustedKey::Rsa { der, bits }, KeyKind::Rsa, _) if *bits < MIN_RSA_BITS => {
            let legacy: Option<&'static dyn VerificationAlgorithm> = match hash {
                Hash::Sha1 => Some(&signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY),
                Hash::Sha256 => Some(&signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY),
                Hash::Sha512 => Some(&signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY),
                Hash::Sha384 => None,
            };
            let verifies = legacy.map(|alg| {
                UnparsedPublicKey::new(alg, der)
                    .verify(message, value)
                    .is_ok()
            });
            match verifies {
                Some(ok) if allow_sha1 => valid(ok),
                Some(false) => Outcome::Invalid,
                Some(true) | None => Outcome::KeyTooSmall(*bits),
            }
        }
        // ring has no ECDSA with SHA-512: RustCrypto for that case only. XML-DSig carries
        // the raw `r || s`; a longer digest is truncated to the curve order's size.
        (TrustedKey::EcP256(point), KeyKind::Ecdsa, Hash::Sha512) => {
            use p256::ecdsa::signature::hazmat::PrehashVerifier as _;
            let ok = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .ok()
                .zip(p256::ecdsa::Signature::from_slice(value).ok())
                .is_some_and(|(key, sig)| {
                    key.verify_prehash(&Sha512::digest(message), &sig).is_ok()
                });
            valid(ok)
        }
        (TrustedKey::EcP384(point), KeyKind::Ecdsa, Hash::Sha512) => {
            use p384::ecdsa::signature::hazmat::PrehashVerifier as _;
            let ok = p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .ok()
                .zip(p384::ecdsa::Signature::from_slice(value).ok())
                .is_some_and(|(key, sig)| {
                    key.verify_prehash(&Sha512::digest(message), &sig).is_ok()
                });
            valid(ok)
        }
        _ => {
            let Some((alg, key_bytes)) = ring_algorithm(key, kind, hash, allow_sha1) else {
                return Outcome::Invalid;
            };
            let der;
            let value = match (kind, key) {
                (KeyKind::Ecdsa, TrustedKey::EcP256(_)) if hash != Hash::Sha256 => {
                    der = raw_ecdsa_to_der(value);
                    der.as_deref()
                }
                (KeyKind::Ecdsa, TrustedKey::EcP384(_)) if hash != Hash::Sha384 => {
                    der = raw_ecdsa_to_der(value);
                    der.as_deref()
                }
                _ => Some(value),
            };
            valid(value.is_some_and(|v| {
                UnparsedPublicKey::new(alg, key_bytes)
                    .verify(message, v)
                    .is_ok()
            }))
        }
    }
}

fn check_structure<'a, 'input>(
    signed: Node<'a, 'input>,
    signature: Node<'a, 'input>,
    element: SignedElement,
    config: &SpConfig,
) -> Result<Checked<'a, 'input>, Rejection> {
    let malformed = |problem| Rejection::MalformedSignature { element, problem };
    let id = signed
        .attribute("ID")
        .ok_or(Rejection::MissingId { element })?;

    let mut parts = element_children(signature, element)?.into_iter();
    let signed_info = parts
        .next()
        .filter(|n| n.has_tag_name((DSIG_NS, "SignedInfo")))
        .ok_or(malformed("SignedInfo must be its first element"))?;
    let signature_value = parts
        .next()
        .filter(|n| n.has_tag_name((DSIG_NS, "SignatureValue")))
        .ok_or(malformed("SignatureValue must follow SignedInfo"))?;
    for extra in parts {
        if extra.has_tag_name((DSIG_NS, "Object")) {
            return Err(Rejection::SignatureObject { element });
        }
        if !extra.has_tag_name((DSIG_NS, "KeyInfo")) {
            return Err(malformed(
                "it holds an element other than SignedInfo, SignatureValue and KeyInfo",
            ));
        }
    }

    let info = element_children(signed_info, element)?;
    let references = info
        .iter()
        .filter(|n| n.has_tag_name((DSIG_NS, "Reference")))
        .count();
    if references != 1 {
        return Err(Rejection::ReferenceCount {
            element,
            count: references,
        });
    }
    let [c14n_method, sig_method, reference] = info[..] else {
        return Err(malformed(
            "SignedInfo must hold CanonicalizationMethod, SignatureMethod and one Reference",
        ));
    };
    if !c14n_method.has_tag_name((DSIG_NS, "CanonicalizationMethod"))
        || !sig_method.has_tag_name((DSIG_NS, "SignatureMethod"))
        || !reference.has_tag_name((DSIG_NS, "Reference"))
    {
        return Err(malformed(
            "SignedInfo must hold CanonicalizationMethod, SignatureMethod and one Reference",
        ));
    }

    let found = reference.attribute("URI").unwrap_or("");
    if found.strip_prefix('#') != Some(id) {
        return Err(Rejection::ReferenceMismatch {
            element,
            expected: format!("#{id}"),
            found: found.to_owned(),
        });
    }

    let c14n_uri = algorithm(c14n_method);
    let signed_info_c14n = match c14n_uri {
        ALG_EXC_C14N => exclusive(c14n_method),
        ALG_C14N_10 => Method::Inclusive,
        other => {
            return Err(Rejection::CanonicalizationNotAllowed {
                element,
                algorithm: other.to_owned(),
            })
        }
    };

    let sig_uri = algorithm(sig_method);
    let method = signature_method(sig_uri).ok_or_else(|| Rejection::UnsupportedAlgorithm {
        element,
        algorithm: sig_uri.to_owned(),
    })?;
    if method.1 == Hash::Sha1 && !config.allow_sha1 {
        return Err(Rejection::Sha1NotAllowed {
            element,
            algorithm: sig_uri.to_owned(),
        });
    }
    if !element_children(sig_method, element)?.is_empty() {
        return Err(malformed(
            "SignatureMethod has parameters (HMAC output length)",
        ));
    }

    let mut ref_parts = element_children(reference, element)?.into_iter().peekable();
    let mut reference_c14n = None;
    if let Some(transforms) = ref_parts.next_if(|n| n.has_tag_name((DSIG_NS, "Transforms"))) {
        let list = element_children(transforms, element)?;
        for (i, transform) in list.iter().enumerate() {
            if !transform.has_tag_name((DSIG_NS, "Transform")) {
                return Err(malformed(
                    "Transforms holds an element other than Transform",
                ));
            }
            match (i, algorithm(*transform)) {
                (0, ALG_ENVELOPED) => {}
                (1, ALG_EXC_C14N) => reference_c14n = Some(exclusive(*transform)),
                // Spelled out, the same inclusive c14n the Reference gets without it.
                (1, ALG_C14N_10) if element_children(*transform, element)?.is_empty() => {
                    reference_c14n = Some(Method::Inclusive)
                }
                (_, other) => {
                    return Err(Rejection::TransformNotAllowed {
                        element,
                        algorithm: other.to_owned(),
                    })
                }
            }
        }
        if list.is_empty() {
            return Err(malformed("Transforms is empty"));
        }
    } else {
        return Err(malformed(
            "the Reference has no enveloped-signature transform",
        ));
    }
    let digest_method_node = ref_parts
        .next()
        .filter(|n| n.has_tag_name((DSIG_NS, "DigestMethod")))
        .ok_or(malformed("the Reference has no DigestMethod"))?;
    let digest_value_node = ref_parts
        .next()
        .filter(|n| n.has_tag_name((DSIG_NS, "DigestValue")))
        .ok_or(malformed("the Reference has no DigestValue"))?;
    if ref_parts.next().is_some() {
        return Err(malformed("the Reference holds unexpected elements"));
    }
    let digest_uri = algorithm(digest_method_node);
    let digest = digest_method(digest_uri).ok_or_else(|| Rejection::UnsupportedAlgorithm {
        element,
        algorithm: digest_uri.to_owned(),
    })?;
    if digest == Hash::Sha1 && !config.allow_sha1 {
        return Err(Rejection::Sha1NotAllowed {
            element,
            algorithm: digest_uri.to_owned(),
        });
    }

    Ok(Checked {
        signed_info,
        signed_info_c14n,
        method,
        signature_value: base64_text(signature_value)
            .ok_or(malformed("SignatureValue is not base64"))?,
        // Without an explicit c14n transform, XML-DSig converts the node-set with inclusive c14n.
        reference_c14n: reference_c14n.unwrap_or(Method::Inclusive),
        digest,
        digest_value: base64_text(digest_value_node)
            .ok_or(malformed("DigestValue is not base64"))?,
    })
}

/// Element children, refusing non-whitespace text between them (nothing in XML-DSig has
/// mixed content outside the value elements).
fn element_children<'a, 'input>(
    node: Node<'a, 'input>,
    element: SignedElement,
) -> Result<Vec<Node<'a, 'input>>, Rejection> {
    let mut out = Vec::with_capacity(4);
    for child in node.children() {
        if child.is_element() {
            out.push(child);
        } else if child.is_text() && !child.text().unwrap_or("").trim().is_empty() {
            return Err(Rejection::MalformedSignature {
                element,
                problem: "it holds text where only elements belong",
            });
        }
    }
    Ok(out)
}

fn algorithm<'a>(node: Node<'a, '_>) -> &'a str {
    node.attribute("Algorithm").unwrap_or("")
}

/// Exclusive c14n with the PrefixList of an `ec:InclusiveNamespaces` child, if any.
fn exclusive<'a>(method: Node<'a, '_>) -> Method<'a> {
    let inclusive_prefixes = children(method, EXC_C14N_NS, "InclusiveNamespaces")
        .filter_map(|n| n.attribute("PrefixList"))
        .flat_map(str::split_ascii_whitespace)
        // An empty slice of the input, never the literal `""` (see `c14n::cmp_str`).
        .map(|p| if p == "#default" { &p[..0] } else { p })
        .collect();
    Method::Exclusive { inclusive_prefixes }
}

fn base64_text(node: Node) -> Option<Vec<u8>> {
    let compact: Vec<u8> = node
        .children()
        .filter(|n| n.is_text())
        .flat_map(|n| n.text().unwrap_or("").bytes())
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .ok()
        .filter(|v| !v.is_empty())
}

fn digest_matches(hash: Hash, data: &[u8], expected: &[u8]) -> bool {
    match hash {
        Hash::Sha1 => {
            ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data).as_ref() == expected
        }
        Hash::Sha256 => Sha256::digest(data).as_slice() == expected,
        Hash::Sha384 => Sha384::digest(data).as_slice() == expected,
        Hash::Sha512 => Sha512::digest(data).as_slice() == expected,
    }
}

/// Picks the `ring` algorithm for this key and signature method; `None` when they cannot
/// match (an RSA method with an EC key, a curve/hash pair ring lacks, SHA-1 not allowed).
fn ring_algorithm(
    key: &TrustedKey,
    kind: KeyKind,
    hash: Hash,
    legacy: bool,
) -> Option<(&'static dyn VerificationAlgorithm, &[u8])> {
    let alg: &'static dyn VerificationAlgorithm = match (key, kind, hash) {
        (TrustedKey::Rsa { .. }, KeyKind::Rsa, Hash::Sha1) if legacy => {
            &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY
        }
        (TrustedKey::Rsa { .. }, KeyKind::Rsa, Hash::Sha256) if legacy => {
            &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
        }
        (TrustedKey::Rsa { .. }, KeyKind::Rsa, Hash::Sha512) if legacy => {
            &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY
        }
        (TrustedKey::Rsa { .. }, KeyKind::Rsa, Hash::Sha256) => {
            &signature::RSA_PKCS1_2048_8192_SHA256
        }
        (TrustedKey::Rsa { .. }, KeyKind::Rsa, Hash::Sha384) => {
            &signature::RSA_PKCS1_2048_8192_SHA384
        }
        (TrustedKey::Rsa { .. }, KeyKind::Rsa, Hash::Sha512) => {
            &signature::RSA_PKCS1_2048_8192_SHA512
        }
        (TrustedKey::EcP256(_), KeyKind::Ecdsa, Hash::Sha256) => {
            &signature::ECDSA_P256_SHA256_FIXED
        }
        (TrustedKey::EcP256(_), KeyKind::Ecdsa, Hash::Sha384) => &signature::ECDSA_P256_SHA384_ASN1,
        (TrustedKey::EcP384(_), KeyKind::Ecdsa, Hash::Sha384) => {
            &signature::ECDSA_P384_SHA384_FIXED
        }
        (TrustedKey::EcP384(_), KeyKind::Ecdsa, Hash::Sha256) => &signature::ECDSA_P384_SHA256_ASN1,
        _ => return None,
    };
    let bytes = match key {
        TrustedKey::Rsa { der, .. } => der,
        TrustedKey::EcP256(point) | TrustedKey::EcP384(point) => point,
    };
    Some((alg, bytes.as_slice()))
}

/// XML-DSig carries ECDSA signatures as raw `r || s`; ring takes DER for curve/hash pairs it
/// has no fixed-length variant of. This only re-encodes two integers.
fn raw_ecdsa_to_der(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_empty() || raw.len() & 1 != 0 || raw.len() > 132 {
        return None;
    }
    let (r, s) = raw.split_at(raw.len() / 2);
    let int = |v: &[u8]| {
        let v = &v[v
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(v.len().saturating_sub(1))..];
        let mut out = vec![0x02];
        let pad = v.first().is_some_and(|&b| b & 0x80 != 0);
        out.push((v.len() + usize::from(pad)) as u8);
        if pad {
            out.push(0);
        }
        out.extend_from_slice(v);
        out
    };
    let (r, s) = (int(r), int(s));
    let body_len = r.len() + s.len();
    let mut out = vec![0x30];
    if body_len >= 0x80 {
        out.push(0x81);
    }
    out.push(body_len as u8);
    out.extend(r);
    out.extend(s);
    Some(out)
}
