//! Hub sessions, looked up by the SHA-256 of the cookie value.

use crate::rows::session_columns;

/// Binds the id hash, user, CSRF token, creation and expiry.
pub const INSERT: &str =
    "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5)";
/// Binds the id hash and now.
pub const LIVE_BY_HASH: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE id_hash = $1 AND expires_at > $2"
);
pub const DELETE: &str = "DELETE FROM sessions WHERE id_hash = $1";
/// Binds the user and the id hash of the session to keep.
pub const DELETE_OF_USER_EXCEPT: &str = "DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2";
pub const DELETE_OF_USER: &str = "DELETE FROM sessions WHERE user_id = $1";
pub const DELETE_EXPIRED: &str = "DELETE FROM sessions WHERE expires_at <= $1";
