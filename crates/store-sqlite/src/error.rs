//! Turns SQLite errors into `StoreError`: unique violations become the
//! `Unique` rule they broke, foreign-key violations a missing referent.

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
                if let Some(rule) = unique_rule(e.message()) {
                    return StoreError::Conflict(rule);
                }
            }
            ErrorKind::ForeignKeyViolation => return StoreError::NotFound,
            _ => {}
        }
    }
    if matches!(
        err,
        sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    ) {
        // The file or the pool is gone, not the query at fault.
        return StoreError::Unavailable(Box::new(err));
    }
    backend(err)
}

/// SQLite names no constraint, only the columns: `UNIQUE constraint failed: users.username`.
fn unique_rule(message: &str) -> Option<Unique> {
    let columns = message.strip_prefix("UNIQUE constraint failed: ")?;
    match columns {
        "users.username" | "orgs.name" | "namespaces.name" => Some(Unique::Name),
        "emails.address" => Some(Unique::Email),
        "repos.owner_name, repos.kind, repos.name" => Some(Unique::RepoName),
        "memberships.org_id, memberships.user_id" => Some(Unique::Membership),
        "access_tokens.user_id, access_tokens.name" => Some(Unique::TokenName),
        "org_sso_domains.org_id, org_sso_domains.domain" => Some(Unique::SsoDomain),
        "sso_identities.org_id, sso_identities.issuer, sso_identities.subject" => {
            Some(Unique::SsoSubject)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_messages_name_the_rule() {
        for (message, rule) in [
            (
                "UNIQUE constraint failed: users.username",
                Some(Unique::Name),
            ),
            (
                "UNIQUE constraint failed: namespaces.name",
                Some(Unique::Name),
            ),
            (
                "UNIQUE constraint failed: emails.address",
                Some(Unique::Email),
            ),
            (
                "UNIQUE constraint failed: repos.owner_name, repos.kind, repos.name",
                Some(Unique::RepoName),
            ),
            (
                "UNIQUE constraint failed: memberships.org_id, memberships.user_id",
                Some(Unique::Membership),
            ),
            (
                "UNIQUE constraint failed: access_tokens.user_id, access_tokens.name",
                Some(Unique::TokenName),
            ),
            ("UNIQUE constraint failed: sessions.id_hash", None),
            ("something else", None),
        ] {
            assert_eq!(unique_rule(message), rule, "{message}");
        }
    }

    #[test]
    fn corrupt_values_are_backend_errors() {
        let err = corrupt("memberships.role", "owner");
        assert!(matches!(err, StoreError::Backend(_)));
        assert!(err.to_string().contains("memberships.role"), "{err}");
    }
}
