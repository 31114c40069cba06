//! Email addresses, normalized to lower case: the IdP's assertion is matched
//! against them, so `Alice@Example.com` and `alice@example.com` are one address.

use crate::FieldError;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let field = "email";
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(FieldError::new(field, "is required"));
        }
        if value.len() > 254 {
            return Err(FieldError::new(
                field,
                "must be at most 254 characters long",
            ));
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err(FieldError::new(field, "must look like name@example.com"));
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(FieldError::new(field, "must look like name@example.com"));
        }
        if value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\\\"".contains(c))
        {
            return Err(FieldError::new(
                field,
                "contains a character not allowed in an address",
            ));
        }
        if !is_domain(domain) {
            return Err(FieldError::new(
                field,
                "must end in a domain like example.com",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

/// `example.com`, `mail.example.co.uk`: dot-separated labels of letters, digits and inner hyphens.
pub fn is_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && domain.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
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
    fn malformed_addresses_are_rejected() {
        for bad in [
            "",
            "alice",
            "@example.com",
            "alice@",
            "alice@localhost",
            "a b@example.com",
            "alice@exa mple.com",
            "alice@-example.com",
            "alice@example..com",
            "<a>@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }
}
