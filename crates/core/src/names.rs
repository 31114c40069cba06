//! Names that appear in URLs: usernames, organization names, repository names.
//! Users and organizations share one namespace (`/{owner}/…`), so both follow
//! the same rules and are compared in lower case.

use crate::FieldError;
use std::fmt;

pub type NameError = FieldError;

/// Path segments the web UI uses for itself; nobody may own them.
pub const RESERVED: &[&str] = &[
    "api",
    "admin",
    "login",
    "logout",
    "signup",
    "settings",
    "new",
    "organizations",
    "orgs",
    "models",
    "datasets",
    "spaces",
    "static",
    "assets",
    "healthz",
    "readyz",
    "metrics",
    "verify",
    "users",
    "user",
    "me",
    "account",
    "tokens",
    "emails",
    "sso",
    "saml",
    "oidc",
    "about",
];

fn parse_handle(field: &'static str, raw: &str, max: usize) -> Result<String, FieldError> {
    let value = raw.trim().to_ascii_lowercase();
    if value.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if value.len() < 2 || value.len() > max {
        return Err(FieldError::new(
            field,
            format!("must be 2 to {max} characters long"),
        ));
    }
    let ok_chars = value
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_' || c == '.');
    if !ok_chars {
        return Err(FieldError::new(
            field,
            "may contain only letters, digits, '-', '_' and '.'",
        ));
    }
    let first_last_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !first_last_ok(value.chars().next()) || !first_last_ok(value.chars().last()) {
        return Err(FieldError::new(
            field,
            "must start and end with a letter or digit",
        ));
    }
    if value.contains("..") || value.contains("--") {
        return Err(FieldError::new(field, "may not contain '..' or '--'"));
    }
    Ok(value)
}

macro_rules! name_type {
    ($name:ident, $field:literal, $max:expr, $reserved:expr) => {
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<Self, FieldError> {
                let value = parse_handle($field, raw, $max)?;
                if $reserved && RESERVED.contains(&value.as_str()) {
                    return Err(FieldError::new($field, format!("'{value}' is reserved")));
                }
                Ok(Self(value))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

name_type!(Username, "username", 39, true);
name_type!(OrgName, "name", 39, true);
name_type!(RepoName, "name", 96, false);

/// A free-text label shown next to a name, in NFC. Control, invisible and
/// bidirectional formatting characters are refused: they make one name look like
/// another, or reorder the text shown after it. Empty means "use the name itself",
/// which the service substitutes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let value = crate::unicode::nfc(raw.trim());
        if value.chars().count() > 100 {
            return Err(FieldError::new(
                field,
                "must be at most 100 characters long",
            ));
        }
        if let Some(code) = crate::unicode::first_invisible(&value) {
            return Err(FieldError::new(
                field,
                format!("may not contain control or invisible characters ({code})"),
            ));
        }
        Ok(Self(value.into_owned()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased() {
        assert_eq!(Username::parse(" Alice ").unwrap().as_str(), "alice");
    }

    #[test]
    fn bad_usernames_are_rejected_naming_the_field() {
        for bad in [
            "",
            "a",
            "-alice",
            "alice-",
            "al ice",
            "al/ice",
            "a..b",
            "ålice",
            "api",
            "settings",
            &"x".repeat(40),
        ] {
            let err = Username::parse(bad).unwrap_err();
            assert_eq!(err.field, "username", "{bad:?}");
        }
    }

    #[test]
    fn repo_names_may_use_reserved_words() {
        assert!(RepoName::parse("settings").is_ok());
        assert!(RepoName::parse("bert-base.v2").is_ok());
    }

    #[test]
    fn display_names_refuse_control_and_invisible_characters() {
        for (raw, code) in [
            ("Ada\u{0}", "U+0000"),
            ("Ada\u{200b}", "U+200B"),
            ("\u{202e}Ada", "U+202E"),
            ("A\u{2066}da\u{2069}", "U+2066"),
            ("Ada\u{feff}", "U+FEFF"),
            ("Ada\u{2028}Lovelace", "U+2028"),
        ] {
            let err = DisplayName::parse("display_name", raw).unwrap_err();
            assert_eq!(err.field, "display_name", "{raw:?}");
            assert!(err.message.contains(code), "{raw:?}: {}", err.message);
        }
    }

    #[test]
    fn display_names_are_trimmed_and_composed() {
        for (raw, want) in [
            ("  Ada L. ", "Ada L."),
            ("Rene\u{301}e", "Ren\u{e9}e"),
            ("", ""),
            (" \u{3000} ", ""),
        ] {
            assert_eq!(
                DisplayName::parse("display_name", raw).unwrap().as_str(),
                want,
                "{raw:?}"
            );
        }
    }

    #[test]
    fn display_names_keep_other_characters() {
        for name in ["Ada Lovelace", "Жанна", "山田太郎", "محمد", "Zoë 🚀"] {
            assert_eq!(
                DisplayName::parse("display_name", name).unwrap().as_str(),
                name
            );
        }
    }
}
