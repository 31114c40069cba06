//! Email addresses in the one canonical form every comparison uses: IdP
//! assertions, log-in, uniqueness and SSO domains are all matched against it.
//! The address is NFC and lower case (`Alice@Example.com` is `alice@example.com`),
//! and its domain is in IDNA ASCII form, so `üser@exämple.com` and
//! `üser@xn--exmple-cua.com` are one address. Invisible and bidirectional
//! control characters are refused, and so is a domain label mixing scripts
//! (`pаypal.com` with a Cyrillic `а`), either of which makes one address look
//! like another.

use crate::{unicode, FieldError};
use std::fmt;

const FIELD: &str = "email";

/// RFC 5321's limit on a forward path, on the canonical form.
const MAX_LEN: usize = 254;
/// Longest input looked at; normalization may shorten it, so [`MAX_LEN`] is checked
/// again on the result.
const MAX_RAW_LEN: usize = 1024;
const MAX_LOCAL_LEN: usize = 64;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new(FIELD, "is required"));
        }
        if trimmed.len() > MAX_RAW_LEN {
            return Err(too_long());
        }
        // Before any mapping: UTS 46 would silently drop some of these, and an
        // address must be refused rather than quietly become another.
        if let Some(code) = unicode::first_invisible(trimmed) {
            return Err(FieldError::new(
                FIELD,
                format!("contains an invisible or control character ({code})"),
            ));
        }
        let value = unicode::nfc(&unicode::nfc(trimmed).to_lowercase()).into_owned();
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(malformed());
        };
        if local.is_empty() || local.len() > MAX_LOCAL_LEN || local.contains('@') {
            return Err(malformed());
        }
        if value
            .chars()
            .any(|c| c.is_whitespace() || "<>()[],;:\\\"".contains(c))
        {
            return Err(FieldError::new(
                FIELD,
                "contains a character not allowed in an address",
            ));
        }
        let domain = ascii_domain(domain)?;
        let address = format!("{local}@{domain}");
        if address.len() > MAX_LEN {
            return Err(too_long());
        }
        Ok(Self(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain, in IDNA ASCII form (`xn--bcher-kva.example`).
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

fn malformed() -> FieldError {
    FieldError::new(FIELD, "must look like name@example.com")
}

fn too_long() -> FieldError {
    FieldError::new(FIELD, "must be at most 254 characters long")
}

fn not_a_domain() -> FieldError {
    FieldError::new(FIELD, "must end in a domain like example.com")
}

/// The IDNA ASCII form of an address's domain, after checking its labels.
fn ascii_domain(domain: &str) -> Result<String, FieldError> {
    if domain.is_empty() {
        return Err(malformed());
    }
    let Ok(ascii) = idna::domain_to_ascii_cow(domain.as_bytes(), idna::AsciiDenyList::EMPTY) else {
        return Err(FieldError::new(
            FIELD,
            "must end in a valid internationalized domain name",
        ));
    };
    if !is_domain(&ascii) {
        return Err(not_a_domain());
    }
    // Checked on the Unicode form, so a label sent as `xn--…` is judged as what it shows.
    let (unicode, _) = idna::domain_to_unicode(&ascii);
    for label in unicode.split('.') {
        if let Some(scripts) = unicode::mixed_scripts(label) {
            return Err(FieldError::new(
                FIELD,
                format!(
                    "has a domain label ({label}) mixing {} letters, which can imitate another domain",
                    scripts.join(" and ")
                ),
            ));
        }
    }
    Ok(ascii.into_owned())
}

/// `example.com`, `mail.example.co.uk`, `xn--bcher-kva.example`: at least two
/// dot-separated ASCII labels of lower-case letters, digits and inner hyphens,
/// the last not all digits.
pub fn is_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for Email {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_normalized_to_lower_case() {
        let e = Email::parse(" Alice@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "alice@example.com");
        assert_eq!(e.domain(), "example.com");
    }

    #[test]
    fn every_spelling_of_an_address_has_one_canonical_form() {
        for (raw, canonical) in [
            ("üser@exämple.com", "üser@xn--exmple-cua.com"),
            ("üser@xn--exmple-cua.com", "üser@xn--exmple-cua.com"),
            ("ÜSER@EXÄMPLE.COM", "üser@xn--exmple-cua.com"),
            ("u\u{308}ser@exa\u{308}mple.com", "üser@xn--exmple-cua.com"),
            ("üser@XN--EXMPLE-CUA.COM", "üser@xn--exmple-cua.com"),
            ("alice@bücher.example", "alice@xn--bcher-kva.example"),
            ("alice@example。com", "alice@example.com"),
            ("alice@пример.рф", "alice@xn--e1afmkfd.xn--p1ai"),
            ("alice@例え.jp", "alice@xn--r8jz45g.jp"),
            ("a+tag@example.com", "a+tag@example.com"),
        ] {
            let email = Email::parse(raw).unwrap_or_else(|e| panic!("{raw:?}: {e}"));
            assert_eq!(email.as_str(), canonical, "{raw:?}");
        }
    }

    #[test]
    fn the_unicode_and_punycode_forms_are_one_address() {
        assert_eq!(
            Email::parse("üser@exämple.com").unwrap(),
            Email::parse("üser@xn--exmple-cua.com").unwrap()
        );
        assert_eq!(
            Email::parse("üser@xn--exmple-cua.com").unwrap().domain(),
            "xn--exmple-cua.com"
        );
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "a@b@example.com",
            "alice@localhost",
            "a b@example.com",
            "alice@exa mple.com",
            "alice@-example.com",
            "alice@example..com",
            "alice@example.com.",
            "alice@exa_mple.com",
            "alice@192.168.0.1",
            "alice@xn--a.example",
            "<a>@example.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert_eq!(err.field, "email", "{bad:?}");
        }
    }

    #[test]
    fn invisible_and_bidirectional_characters_are_refused_naming_them() {
        for (bad, code) in [
            ("ali\u{200b}ce@example.com", "U+200B"),
            ("alice@exam\u{200b}ple.com", "U+200B"),
            ("alice@exam\u{ad}ple.com", "U+00AD"),
            ("\u{202e}alice@example.com", "U+202E"),
            ("alice\u{200d}@example.com", "U+200D"),
            ("alice@example.com\u{200e}", "U+200E"),
            ("al\u{2066}ice@example.com", "U+2066"),
            ("al\u{2060}ice@example.com", "U+2060"),
            ("\u{feff}alice@example.com", "U+FEFF"),
            ("al\u{7}ice@example.com", "U+0007"),
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert_eq!(err.field, "email", "{bad:?}");
            assert!(
                err.message.contains("invisible") && err.message.contains(code),
                "{bad:?}: {}",
                err.message
            );
        }
    }

    #[test]
    fn domains_mixing_scripts_are_refused() {
        // `а` is Cyrillic, `ο` is Greek; the second is the punycode of the first.
        for bad in [
            "alice@pаypal.com",
            "alice@xn--pypal-4ve.com",
            "alice@gοogle.com",
            "alice@mail.exаmple.com",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert_eq!(err.field, "email", "{bad:?}");
            assert!(err.message.contains("mixing"), "{bad:?}: {}", err.message);
        }
    }

    #[test]
    fn overlong_addresses_are_refused() {
        let local = "a".repeat(65);
        assert!(Email::parse(&format!("{local}@example.com")).is_err());
        let domain = format!("{}com", "abcdefghi.".repeat(25));
        assert!(Email::parse(&format!("alice@{domain}")).is_err());
        assert!(Email::parse(&"a".repeat(5000)).is_err());
    }
}
