//! The email domain an organization ties its SSO to: users whose address is
//! `someone@<domain>` must sign in through the organization's IdP. Stored in
//! ASCII (IDNA) form; a public suffix such as `co.uk` is refused, since claiming
//! it would capture every organization registered under it.

use crate::FieldError;
use publicsuffix::{List, Psl};
use std::fmt;
use std::net::IpAddr;
use std::sync::OnceLock;

pub type DomainError = FieldError;

const FIELD: &str = "domain";

/// Mozilla's Public Suffix List, copied from Debian's `publicsuffix` package
/// (`/usr/share/publicsuffix/public_suffix_list.dat`). Update it by copying a
/// newer list over `crates/core/data/public_suffix_list.dat`.
const PUBLIC_SUFFIX_LIST: &str = include_str!("../data/public_suffix_list.dat");

/// Longest input passed to IDNA; UTS 46 may drop characters, so the 253-byte
/// limit is checked again on its output.
const MAX_RAW_LEN: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailDomain(String);

impl EmailDomain {
    /// Accepts `Example.COM`, `@example.com`, `example.com.` and `bücher.example`
    /// (stored as `xn--bcher-kva.example`).
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let trimmed = raw.trim();
        let value = trimmed.strip_prefix('@').unwrap_or(trimmed).to_lowercase();
        if value.is_empty() {
            return Err(FieldError::new(FIELD, "is required"));
        }
        if value.len() > MAX_RAW_LEN {
            return Err(FieldError::new(
                FIELD,
                "must be at most 253 characters long",
            ));
        }
        if value.contains('*') {
            return Err(FieldError::new(
                FIELD,
                "must be a domain such as example.com, without a wildcard",
            ));
        }
        if value.contains('@') {
            return Err(FieldError::new(
                FIELD,
                "must be a domain such as example.com, not an email address",
            ));
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new(
                FIELD,
                "must be a domain such as example.com, without spaces",
            ));
        }
        if let Some(code) = crate::unicode::first_invisible(&value) {
            return Err(FieldError::new(
                FIELD,
                format!("contains an invisible or control character ({code})"),
            ));
        }
        let unbracketed = value
            .strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'))
            .unwrap_or(&value);
        if unbracketed.parse::<IpAddr>().is_ok() {
            return Err(not_an_ip_address());
        }
        let Ok(ascii) = idna::domain_to_ascii_cow(value.as_bytes(), idna::AsciiDenyList::EMPTY)
        else {
            return Err(FieldError::new(
                FIELD,
                "is not a valid internationalized domain name",
            ));
        };
        // A trailing dot only marks the name as fully qualified.
        let domain = ascii.strip_suffix('.').unwrap_or(&ascii);
        check_syntax(domain)?;
        // Judged as shown, so a label sent as `xn--…` cannot hide a mix.
        let (shown, _) = idna::domain_to_unicode(domain);
        for label in shown.split('.') {
            if let Some(scripts) = crate::unicode::mixed_scripts(label) {
                return Err(FieldError::new(
                    FIELD,
                    format!(
                        "has a label ({label}) mixing {} letters, which can imitate another domain",
                        scripts.join(" and ")
                    ),
                ));
            }
        }
        if is_public_suffix(domain) {
            return Err(FieldError::new(
                FIELD,
                format!(
                    "is a public suffix ({domain}): list the organization's own domain under it"
                ),
            ));
        }
        Ok(Self(domain.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `address` is at exactly this domain; `a@sub.example.com` is not
    /// at `example.com`.
    pub fn matches_email(&self, address: &str) -> bool {
        address
            .rsplit_once('@')
            .is_some_and(|(_, domain)| domain.to_lowercase() == self.0)
    }
}

impl fmt::Display for EmailDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn not_an_ip_address() -> FieldError {
    FieldError::new(
        FIELD,
        "must be a domain such as example.com, not an IP address",
    )
}

/// Label rules for the ASCII form: `[a-z0-9-]`, no edge hyphens, 1 to 63 bytes.
fn check_syntax(domain: &str) -> Result<(), FieldError> {
    if domain.is_empty() {
        return Err(FieldError::new(
            FIELD,
            "must be a domain such as example.com",
        ));
    }
    if domain.len() > 253 {
        return Err(FieldError::new(
            FIELD,
            "must be at most 253 characters long",
        ));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    for label in &labels {
        if label.is_empty() {
            return Err(FieldError::new(
                FIELD,
                "must not contain an empty label (two dots in a row, or a leading dot)",
            ));
        }
        if label.len() > 63 {
            return Err(FieldError::new(
                FIELD,
                "each label between dots must be at most 63 characters long",
            ));
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(FieldError::new(
                FIELD,
                "may contain only letters, digits, '-' and '.'",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(FieldError::new(
                FIELD,
                "labels between dots must not start or end with '-'",
            ));
        }
    }
    if labels.len() < 2 {
        return Err(FieldError::new(
            FIELD,
            "must be a domain such as example.com, with at least two labels",
        ));
    }
    // No top-level domain is numeric; this also catches IPv4 written in other digits.
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(not_an_ip_address());
    }
    Ok(())
}

/// The embedded list, parsed on first use. `None` only if it fails to parse,
/// which the tests rule out; then no domain counts as a suffix.
fn public_suffixes() -> Option<&'static List> {
    static LIST: OnceLock<Option<List>> = OnceLock::new();
    LIST.get_or_init(|| PUBLIC_SUFFIX_LIST.parse().ok())
        .as_ref()
}

/// Whether `domain` is itself a rule of the list, ICANN or private section.
fn is_public_suffix(domain: &str) -> bool {
    public_suffixes()
        .and_then(|list| list.suffix(domain.as_bytes()))
        .is_some_and(|suffix| suffix.is_known() && suffix.as_bytes() == domain.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(raw: &str) -> String {
        EmailDomain::parse(raw).unwrap().as_str().to_owned()
    }

    #[test]
    fn embedded_public_suffix_list_parses() {
        assert!(public_suffixes().is_some());
    }

    #[test]
    fn domains_are_normalized() {
        for (raw, want) in [
            ("example.com", "example.com"),
            (" Example.COM ", "example.com"),
            ("@example.com", "example.com"),
            (" @Example.com", "example.com"),
            ("example.com.", "example.com"),
            ("mail.example.co.uk", "mail.example.co.uk"),
            ("bücher.example", "xn--bcher-kva.example"),
            ("BÜCHER.example", "xn--bcher-kva.example"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("example。com", "example.com"),
            ("my-org.github.io", "my-org.github.io"),
            ("www.ck", "www.ck"),
        ] {
            assert_eq!(parsed(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn display_shows_the_ascii_form() {
        let d = EmailDomain::parse("@Bücher.Example.").unwrap();
        assert_eq!(d.to_string(), "xn--bcher-kva.example");
    }

    #[test]
    fn invalid_domains_are_refused_with_the_reason() {
        let long_label = format!("{}.com", "a".repeat(64));
        let long_domain = format!("{}com", "abcdefghi.".repeat(26));
        for (raw, reason) in [
            ("", "is required"),
            ("  ", "is required"),
            ("@", "is required"),
            ("*.example.com", "without a wildcard"),
            ("*", "without a wildcard"),
            ("alice@example.com", "not an email address"),
            ("@@example.com", "not an email address"),
            ("exa mple.com", "without spaces"),
            ("example.com\t.org", "without spaces"),
            ("com", "at least two labels"),
            ("localhost", "at least two labels"),
            ("example", "at least two labels"),
            (".", "such as example.com"),
            ("example..com", "empty label"),
            (".example.com", "empty label"),
            ("example.com..", "empty label"),
            (long_label.as_str(), "at most 63"),
            (long_domain.as_str(), "at most 253"),
            ("exa_mple.com", "only letters, digits"),
            ("example.com/path", "only letters, digits"),
            ("-example.com", "must not start or end with '-'"),
            ("example-.com", "must not start or end with '-'"),
            ("192.168.0.1", "not an IP address"),
            ("[::1]", "not an IP address"),
            ("2001:db8::1", "not an IP address"),
            ("10.0.0", "not an IP address"),
            ("１２７.０.０.１", "not an IP address"),
            ("xn--a.example", "internationalized"),
            ("ex\u{fffd}ample.com", "internationalized"),
            ("com.", "at least two labels"),
            ("co.uk", "is a public suffix (co.uk)"),
            ("CO.UK.", "is a public suffix (co.uk)"),
            ("@co.uk", "is a public suffix (co.uk)"),
            ("github.io", "is a public suffix (github.io)"),
            ("s3.amazonaws.com", "is a public suffix (s3.amazonaws.com)"),
            ("anything.ck", "is a public suffix (anything.ck)"),
            ("公司.cn", "is a public suffix (xn--55qx5d.cn)"),
            ("exam\u{200b}ple.com", "invisible"),
            ("exam\u{ad}ple.com", "invisible"),
            ("pаypal.com", "mixing Latin and Cyrillic"),
            ("xn--pypal-4ve.com", "mixing Latin and Cyrillic"),
        ] {
            let err = EmailDomain::parse(raw).unwrap_err();
            assert_eq!(err.field, "domain", "{raw:?}");
            assert!(
                err.message.contains(reason),
                "{raw:?}: {:?} lacks {reason:?}",
                err.message
            );
        }
    }

    #[test]
    fn only_addresses_at_exactly_the_domain_match() {
        let d = EmailDomain::parse("example.com").unwrap();
        for (address, ok) in [
            ("alice@example.com", true),
            ("Alice@Example.COM", true),
            ("a@b@example.com", true),
            ("alice@sub.example.com", false),
            ("alice@evil-example.com", false),
            ("alice@example.com.evil.org", false),
            ("alice@example.co", false),
            ("alice@example.com.", false),
            ("example.com", false),
            ("", false),
        ] {
            assert_eq!(d.matches_email(address), ok, "{address:?}");
        }
    }
}
