//! Users, their email addresses and email verification tokens.

use crate::rows::{email_columns, user_columns};

/// Binds the username, display name, password hash and now.
pub const INSERT: &str = "INSERT INTO users (username, display_name, password_hash, created_at) \
     VALUES ($1, $2, $3, $4) RETURNING id";
/// Binds the username and the user: a user's name is a namespace like an org's.
pub const INSERT_NAMESPACE: &str = "INSERT INTO namespaces (name, user_id) VALUES ($1, $2)";
pub const BY_ID: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
pub const BY_USERNAME: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE username = $1"
);
pub const ALL: &str = concat!("SELECT ", user_columns!(), " FROM users ORDER BY username");
pub const PASSWORD_HASH: &str = "SELECT password_hash FROM users WHERE id = $1";
/// Binds the hash and the user.
pub const SET_PASSWORD_HASH: &str = "UPDATE users SET password_hash = $1 WHERE id = $2";
/// Binds the name and the user.
pub const SET_DISPLAY_NAME: &str = "UPDATE users SET display_name = $1 WHERE id = $2";

/// Binds the user, address and now; the first address is the primary one.
pub const INSERT_PRIMARY_EMAIL: &str =
    "INSERT INTO emails (user_id, address, verified_at, is_primary, created_at) \
     VALUES ($1, $2, NULL, TRUE, $3) RETURNING id";
/// Binds the user, address and now.
pub const INSERT_EMAIL: &str = concat!(
    "INSERT INTO emails (user_id, address, verified_at, is_primary, created_at) \
     VALUES ($1, $2, NULL, FALSE, $3) RETURNING ",
    email_columns!()
);
pub const EMAILS_OF: &str = concat!(
    "SELECT ",
    email_columns!(),
    " FROM emails WHERE user_id = $1 ORDER BY id"
);
pub const EMAIL_BY_ADDRESS: &str = concat!(
    "SELECT ",
    email_columns!(),
    " FROM emails WHERE address = $1"
);
/// Binds the email and its user; the primary address is never removed.
pub const DELETE_EMAIL: &str =
    "DELETE FROM emails WHERE id = $1 AND user_id = $2 AND NOT is_primary";
/// Binds now and the email; verifying again keeps the first time.
pub const MARK_EMAIL_VERIFIED: &str =
    "UPDATE emails SET verified_at = COALESCE(verified_at, $1) WHERE id = $2";
/// Binds the email and its user: whether it is primary, if it is theirs and verified.
pub const VERIFIED_EMAIL_IS_PRIMARY: &str = "SELECT is_primary FROM emails \
     WHERE id = $1 AND user_id = $2 AND verified_at IS NOT NULL";
pub const CLEAR_PRIMARY: &str =
    "UPDATE emails SET is_primary = FALSE WHERE user_id = $1 AND is_primary";
pub const SET_PRIMARY: &str = "UPDATE emails SET is_primary = TRUE WHERE id = $1";
/// Binds the new address and the email.
pub const SET_EMAIL_ADDRESS: &str = "UPDATE emails SET address = $1 WHERE id = $2";

/// Binds the token hash, the email and the expiry.
pub const INSERT_VERIFICATION: &str =
    "INSERT INTO email_verifications (token_hash, email_id, expires_at) VALUES ($1, $2, $3)";
pub const TAKE_VERIFICATION: &str =
    "DELETE FROM email_verifications WHERE token_hash = $1 RETURNING email_id, expires_at";
