//! What the admin's SSO preview reads: users of an email domain, the tokens
//! of a set of users, and members' last sign-in claims.

use crate::rows::{get, parsed, SqlRow};
use orgsso_core::{Timestamp, UserId, Username};
use orgsso_store::{DomainUser, SignInClaims, StoreResult};

/// The same domain test the gate's queries use: the address ends in
/// exactly `@domain`. Binds the domain.
pub const USERS_IN_EMAIL_DOMAIN: &str =
    "SELECT u.id AS id, u.username AS username, e.address AS address \
     FROM emails e JOIN users u ON u.id = e.user_id \
     WHERE e.verified_at IS NOT NULL \
     AND substr(e.address, length(e.address) - length($1)) = '@' || $1 \
     ORDER BY u.username, e.address";

/// The tokens of a set of users, by owner then name. `$members` tests
/// `user_id` against the one parameter holding the set, which the two
/// databases write differently (SQLite has no array parameters).
#[macro_export]
macro_rules! tokens_of_users {
    ($members:literal) => {
        concat!(
            // The columns of `rows::token`.
            "SELECT id, user_id, name, scope, created_at, last_used_at \
             FROM access_tokens WHERE user_id ",
            $members,
            " ORDER BY (SELECT username FROM users WHERE users.id = access_tokens.user_id), name"
        )
    };
}

/// Binds the org, the user, the claims (or NULL) and now.
pub const RECORD_SIGN_IN_CLAIMS: &str =
    "INSERT INTO sso_sign_in_claims (org_id, user_id, claims, recorded_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (org_id, user_id) \
     DO UPDATE SET claims = excluded.claims, recorded_at = excluded.recorded_at";

/// Current members only: a former member's claims preview nothing.
pub const SIGN_IN_CLAIMS_OF_ORG: &str = "SELECT c.user_id AS user_id, u.username AS username, \
     c.claims AS claims, c.recorded_at AS recorded_at \
     FROM sso_sign_in_claims c \
     JOIN memberships m ON m.org_id = c.org_id AND m.user_id = c.user_id \
     JOIN users u ON u.id = c.user_id \
     WHERE c.org_id = $1 ORDER BY u.username";

/// Expects `id, username, address`.
pub fn domain_user(row: &impl SqlRow) -> StoreResult<DomainUser> {
    Ok(DomainUser {
        user: UserId(get(row, "id")?),
        username: parsed(row, "username", Username::parse)?,
        address: get(row, "address")?,
    })
}

/// Expects `user_id, username, claims, recorded_at`.
pub fn sign_in_claims(row: &impl SqlRow) -> StoreResult<SignInClaims> {
    Ok(SignInClaims {
        user: UserId(get(row, "user_id")?),
        username: parsed(row, "username", Username::parse)?,
        claims: get(row, "claims")?,
        recorded_at: Timestamp::from_unix(get(row, "recorded_at")?),
    })
}
