//! Turns PostgreSQL errors into `StoreError`: unique violations become the
//! `Unique` rule they broke (by constraint name, see the migrations),
//! foreign-key violations a missing referent, and a server that cannot be
//! reached an outage.

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
    if is_outage(&err) {
        return StoreError::Unavailable(Box::new(err));
    }
    backend(err)
}

/// Whether the server is gone or refuses us, rather than our query being wrong:
/// no connection (I/O, TLS, pool timed out or closed), a connection exception
/// (SQLSTATE class 08), no room for one (53300), the server shutting down or
/// restarting (57P01..57P03), the database gone (3D000) or closed to
/// connections (55000 on connecting: `ALLOW_CONNECTIONS false`).
fn is_outage(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08")
                || matches!(&*code, "53300" | "57P01" | "57P02" | "57P03" | "3D000")
                || (code == "55000" && e.message().contains("not currently accepting connections"))
        }),
        _ => false,
    }
}

fn unique_rule(constraint: &str) -> Option<Unique> {
    match constraint {
        "users_username_key" | "orgs_name_key" | "namespaces_pkey" => Some(Unique::Name),
        "emails_address_key" => Some(Unique::Email),
        "repos_owner_kind_name_key" => Some(Unique::RepoName),
        "memberships_pkey" => Some(Unique::Membership),
        "access_tokens_user_name_key" => Some(Unique::TokenName),
        "org_sso_domains_pkey" => Some(Unique::SsoDomain),
        "sso_identities_subject_key" => Some(Unique::SsoSubject),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_server_is_an_outage_and_a_bad_query_is_not() {
        for (err, outage) in [
            (sqlx::Error::PoolTimedOut, true),
            (sqlx::Error::PoolClosed, true),
            (
                sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()),
                true,
            ),
            (sqlx::Error::RowNotFound, false),
            (sqlx::Error::ColumnNotFound("x".into()), false),
        ] {
            let shown = err.to_string();
            assert_eq!(
                matches!(db(err), StoreError::Unavailable(_)),
                outage,
                "{shown}"
            );
        }
    }

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
