//! Repository kinds and visibility, and access-token scopes.

use crate::FieldError;
use std::fmt;

macro_rules! text_enum {
    ($name:ident, $field:literal, $help:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(raw: &str) -> Result<Self, FieldError> {
                match raw.trim() {
                    $($text => Ok($name::$variant),)+
                    _ => Err(FieldError::new($field, $help)),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

text_enum!(RepoKind, "kind", "must be one of model, dataset, space", {
    Model => "model", Dataset => "dataset", Space => "space",
});

impl RepoKind {
    pub const ALL: [RepoKind; 3] = [RepoKind::Model, RepoKind::Dataset, RepoKind::Space];
    /// The URL segment: `/models/{owner}/{name}`.
    pub fn plural(self) -> &'static str {
        match self {
            RepoKind::Model => "models",
            RepoKind::Dataset => "datasets",
            RepoKind::Space => "spaces",
        }
    }
    pub fn from_plural(segment: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.plural() == segment)
    }
}

text_enum!(Visibility, "visibility", "must be public or private", {
    Public => "public", Private => "private",
});

text_enum!(TokenScope, "scope", "must be read or write", {
    Read => "read", Write => "write",
});
