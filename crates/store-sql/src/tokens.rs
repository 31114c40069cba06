//! Access tokens, stored and looked up only by their SHA-256.

use crate::rows::token_columns;

/// Binds the user, name, scope, token hash and now.
pub const INSERT: &str = concat!(
    "INSERT INTO access_tokens (user_id, name, scope, token_hash, created_at) \
     VALUES ($1, $2, $3, $4, $5) RETURNING ",
    token_columns!()
);
pub const OF_USER: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM access_tokens WHERE user_id = $1 ORDER BY name"
);
pub const BY_HASH: &str = concat!(
    "SELECT ",
    token_columns!(),
    " FROM access_tokens WHERE token_hash = $1"
);
/// Binds now and the token.
pub const TOUCH: &str = "UPDATE access_tokens SET last_used_at = $1 WHERE id = $2";
/// Binds the token and its owner, so nobody revokes another user's token.
pub const DELETE: &str = "DELETE FROM access_tokens WHERE id = $1 AND user_id = $2";
