//! Repositories and the owner namespace they live in, and the mail outbox.

use crate::rows::{mail_columns, repo_columns};

pub const OWNER_BY_NAME: &str = "SELECT user_id, org_id FROM namespaces WHERE name = $1";

/// Copies the owner's name from the namespace, so a missing owner inserts nothing.
macro_rules! insert_repo {
    ($owner_column:literal) => {
        concat!(
            "INSERT INTO repos (owner_name, owner_user_id, owner_org_id, kind, name, visibility, \
             readme, created_by, created_at, updated_at) \
             SELECT n.name, n.user_id, n.org_id, $1, $2, $3, $4, $5, $6, $7 \
             FROM namespaces n WHERE n.",
            $owner_column,
            " = $8 RETURNING ",
            repo_columns!()
        )
    };
}
/// Binds the kind, name, visibility, README, creator, creation, update and
/// the owning user.
pub const INSERT_FOR_USER: &str = insert_repo!("user_id");
/// As [`INSERT_FOR_USER`], with the owning org last.
pub const INSERT_FOR_ORG: &str = insert_repo!("org_id");

/// Binds the owner's name, the kind and the name.
pub const BY_NAME: &str = concat!(
    "SELECT ",
    repo_columns!(),
    " FROM repos WHERE owner_name = $1 AND kind = $2 AND name = $3"
);
pub const OF_USER: &str = concat!(
    "SELECT ",
    repo_columns!(),
    " FROM repos WHERE owner_user_id = $1 ORDER BY name, kind"
);
pub const OF_ORG: &str = concat!(
    "SELECT ",
    repo_columns!(),
    " FROM repos WHERE owner_org_id = $1 ORDER BY name, kind"
);
/// Binds the visibility, README, now and the repository.
pub const UPDATE: &str =
    "UPDATE repos SET visibility = $1, readme = $2, updated_at = $3 WHERE id = $4";
pub const DELETE: &str = "DELETE FROM repos WHERE id = $1";

/// Binds the recipient, subject, body and now.
pub const PUSH_MAIL: &str =
    "INSERT INTO outbox (to_addr, subject, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id";
/// Binds how many of the latest mails to read.
pub const LATEST_MAILS: &str = concat!(
    "SELECT ",
    mail_columns!(),
    " FROM outbox ORDER BY id DESC LIMIT $1"
);
