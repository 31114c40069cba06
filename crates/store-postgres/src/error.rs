//! Turns PostgreSQL errors into `StoreError`: unique violations become the
//! `Unique` rule they broke (by constraint name, see the migrations),
//! foreign-key violations a missing referent.

use orgsso_store::{StoreError, Unique};
use sqlx::error::ErrorKind;

/// A stored value that no longer parses as its domain type.
#[derive(Debug, thiserror::Error)]
#[error("column {column} holds {value:?}, which is not valid")]
pub(crate) struct Corrupt {
    column: &'static str,
    value: String,
}

pub(crate) fn corrupt(column: &'static str, value: impl Into<String>) -> StoreError {
    StoreError::Backend(Box::new(Corrupt {
        column,
        value: value.into(),
    }))
}

pub(crate) fn backend(err: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(err))
}

/// Maps a query error. A foreign key that points nowhere means the user,
/// email or organization named in the call does not exist.
pub(crate) fn db(err: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(e) = &err {
        match e.kind() {
            ErrorKind::UniqueViolation => {
                if let Some(rule) = e.constraint().and_then(unique_rule) {
                    return StoreError::Conflict(rule);
                }
            }
            ErrorKind::ForeignKeyViolation => return StoreError::NotFound,
            _ => {}
        }
    }
    backend(err)
}

fn unique_rule(constraint: &str) -> Option<Unique> {
    match constraint {
        "users_username_key" | "orgs_name_key" | "namespaces_pkey" => Some(Unique::Name),
        "emails_address_key" => Some(Unique::Email),
        "repos_owner_kind_name_key" => Some(Unique::RepoName),
        "memberships_pkey" => Some(Unique::Membership),
        "access_tokens_user_name_key" => Some(Unique::TokenName),
        "org_sso_domains_pkey" => Some(Unique::SsoDomain),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_names_name_the_rule() {
        for (constraint, rule) in [
            ("users_username_key", Some(Unique::Name)),
            ("namespaces_pkey", Some(Unique::Name)),
            ("emails_address_key", Some(Unique::Email)),
            ("repos_owner_kind_name_key", Some(Unique::RepoName)),
            ("memberships_pkey", Some(Unique::Membership)),
            ("access_tokens_user_name_key", Some(Unique::TokenName)),
            ("sessions_pkey", None),
        ] {
            assert_eq!(unique_rule(constraint), rule, "{constraint}");
        }
    }

    #[test]
    fn corrupt_values_are_backend_errors() {
        let err = corrupt("memberships.role", "owner");
        assert!(matches!(err, StoreError::Backend(_)));
        assert!(err.to_string().contains("memberships.role"), "{err}");
    }
}
