//! Organization roles. Declaration order is privilege order.

use crate::FieldError;
use std::fmt;
use std::str::FromStr;

/// Declaration order is privilege order: `Write > Contributor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Read,
    Contributor,
    Write,
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Read, Role::Contributor, Role::Write, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Contributor => "contributor",
            Role::Write => "write",
            Role::Admin => "admin",
        }
    }

    pub fn parse_field(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        raw.parse()
            .map_err(|_| FieldError::new(field, "must be one of read, contributor, write, admin"))
    }
}

impl FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.trim() {
            "read" => Ok(Role::Read),
            "contributor" => Ok(Role::Contributor),
            "write" => Ok(Role::Write),
            "admin" => Ok(Role::Admin),
            _ => Err(()),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_by_privilege() {
        assert!(Role::Read < Role::Contributor);
        assert!(Role::Contributor < Role::Write);
        assert!(Role::Write < Role::Admin);
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("owner".parse::<Role>().is_err());
        assert!("Admin".parse::<Role>().is_err());
    }
}
