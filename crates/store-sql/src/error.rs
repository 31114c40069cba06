//! Turns sqlx errors into `StoreError` the same way on every backend: unique
//! violations become the `Unique` rule they broke (each dialect names it its
//! own way), foreign-key violations a missing referent, a database that
//! cannot be reached an outage, anything else a backend failure.

use orgsso_store::{StoreError, StoreResult, Unique};
use sqlx::error::{DatabaseError, ErrorKind};

/// What one database says differently about the same failure.
pub trait Dialect {
    /// The rule a unique violation broke, if it is one the store knows.
    fn unique_rule(err: &dyn DatabaseError) -> Option<Unique>;

    /// Whether a database error means the server is gone or refuses us,
    /// rather than the query being wrong.
    fn server_gone(_err: &dyn DatabaseError) -> bool {
        false
    }
}

/// A stored value that no longer parses as its domain type.
#[derive(Debug, thiserror::Error)]
#[error("column {column} holds {value:?}, which is not valid")]
pub struct Corrupt {
    column: &'static str,
    value: String,
}

pub fn corrupt(column: &'static str, value: impl Into<String>) -> StoreError {
    StoreError::Backend(Box::new(Corrupt {
        column,
        value: value.into(),
    }))
}

pub fn backend(err: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(err))
}

/// Maps a query error. A foreign key that points nowhere means the user,
/// email or organization named in the call does not exist.
pub fn db<D: Dialect>(err: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(e) = &err {
        match e.kind() {
            ErrorKind::UniqueViolation => {
                if let Some(rule) = D::unique_rule(e.as_ref()) {
                    return StoreError::Conflict(rule);
                }
            }
            ErrorKind::ForeignKeyViolation => return StoreError::NotFound,
            _ => {}
        }
    }
    if is_outage::<D>(&err) {
        return StoreError::Unavailable(Box::new(err));
    }
    backend(err)
}

/// No connection (I/O, TLS, the pool timed out or closed), or what the
/// dialect reports as the server going away: the database is at fault, not
/// the query.
fn is_outage<D: Dialect>(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => D::server_gone(e.as_ref()),
        _ => false,
    }
}

/// An update or delete that matched no row names something that does not exist.
pub fn found(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NoRules;

    impl Dialect for NoRules {
        fn unique_rule(_: &dyn DatabaseError) -> Option<Unique> {
            None
        }
    }

    #[test]
    fn a_lost_connection_is_an_outage_and_a_bad_column_is_not() {
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
                matches!(db::<NoRules>(err), StoreError::Unavailable(_)),
                outage,
                "{shown}"
            );
        }
    }

    #[test]
    fn corrupt_values_are_backend_errors() {
        let err = corrupt("memberships.role", "owner");
        assert!(matches!(err, StoreError::Backend(_)));
        assert!(err.to_string().contains("memberships.role"), "{err}");
    }

    #[test]
    fn an_update_of_no_row_is_not_found() {
        assert!(matches!(found(0), Err(StoreError::NotFound)));
        assert!(found(1).is_ok());
    }
}
