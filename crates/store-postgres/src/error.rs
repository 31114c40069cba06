//! Turns PostgreSQL errors into `StoreError` through the shared mapping;
//! what is PostgreSQL's own is naming the broken unique rule by constraint
//! (see the migrations) and the error codes of a server that is gone.

use orgsso_store::{StoreError, Unique};
pub(crate) use orgsso_store_sql::{backend, found};
use sqlx::error::DatabaseError;

pub(crate) struct PostgresDialect;

impl orgsso_store_sql::Dialect for PostgresDialect {
    fn unique_rule(err: &dyn DatabaseError) -> Option<Unique> {
        err.constraint().and_then(unique_rule)
    }

    /// A connection exception (SQLSTATE class 08), no room for one (53300),
    /// the server shutting down or restarting (57P01..57P03), the database
    /// gone (3D000) or closed to connections (55000 on connecting:
    /// `ALLOW_CONNECTIONS false`).
    fn server_gone(err: &dyn DatabaseError) -> bool {
        err.code().is_some_and(|code| {
            code.starts_with("08")
                || matches!(&*code, "53300" | "57P01" | "57P02" | "57P03" | "3D000")
                || (code == "55000"
                    && err
                        .message()
                        .contains("not currently accepting connections"))
        })
    }
}

pub(crate) fn db(err: sqlx::Error) -> StoreError {
    orgsso_store_sql::db::<PostgresDialect>(err)
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
}
