//! Names that appear in URLs: usernames, organization names, repository names.
//! Users and organizations share one namespace (`/{owner}/…`), so both follow
//! the same rules and are compared in lower case.

use crate::FieldError;
use std::fmt;

pub type NameError = FieldError;

/// Path segments the web UI uses for itself; nobody may own them.
const RESERVED: &[&str] = &[
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

/// A free-text label shown next to a name. Control characters are refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.trim();
        if value.chars().count() > 100 {
            return Err(FieldError::new(
                field,
                "must be at most 100 characters long",
            ));
        }
        if value.chars().any(char::is_control) {
            return Err(FieldError::new(field, "may not contain control characters"));
        }
        Ok(Self(value.to_owned()))
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
    fn display_names_refuse_control_characters() {
        assert!(DisplayName::parse("display_name", "Ada\u{0}").is_err());
        assert_eq!(
            DisplayName::parse("display_name", "  Ada L. ")
                .unwrap()
                .as_str(),
            "Ada L."
        );
    }
}
