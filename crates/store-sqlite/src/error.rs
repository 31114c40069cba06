//! Turns SQLite errors into `StoreError` through the shared mapping; what is
//! SQLite's own is how a unique violation names the rule it broke.

use orgsso_store::{StoreError, Unique};
pub(crate) use orgsso_store_sql::{backend, found};
use sqlx::error::DatabaseError;

pub(crate) struct SqliteDialect;

impl orgsso_store_sql::Dialect for SqliteDialect {
    fn unique_rule(err: &dyn DatabaseError) -> Option<Unique> {
        unique_rule(err.message())
    }
}

pub(crate) fn db(err: sqlx::Error) -> StoreError {
    orgsso_store_sql::db::<SqliteDialect>(err)
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
}
