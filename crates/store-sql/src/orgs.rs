//! Organizations and memberships.

use crate::rows::org_columns;

/// Binds the name, display name, default role and now.
pub const INSERT: &str = "INSERT INTO orgs (name, display_name, default_role, created_at) \
     VALUES ($1, $2, $3, $4) RETURNING id";
/// Binds the name and the org: an org's name is a namespace like a user's.
pub const INSERT_NAMESPACE: &str = "INSERT INTO namespaces (name, org_id) VALUES ($1, $2)";
pub const BY_ID: &str = concat!("SELECT ", org_columns!(), " FROM orgs WHERE id = $1");
pub const BY_NAME: &str = concat!("SELECT ", org_columns!(), " FROM orgs WHERE name = $1");
pub const ALL: &str = concat!("SELECT ", org_columns!(), " FROM orgs ORDER BY name");
/// The org columns and the user's `role` in each.
pub const OF_USER: &str =
    "SELECT o.id, o.name, o.display_name, o.default_role, o.created_at, m.role \
     FROM memberships m JOIN orgs o ON o.id = m.org_id \
     WHERE m.user_id = $1 ORDER BY o.name";
/// Binds the display name, default role and org.
pub const UPDATE: &str = "UPDATE orgs SET display_name = $1, default_role = $2 WHERE id = $3";

pub const MEMBERS: &str = "SELECT m.user_id, u.username, u.display_name, m.role, m.created_at \
     FROM memberships m JOIN users u ON u.id = m.user_id \
     WHERE m.org_id = $1 ORDER BY u.username";
/// Binds the org and the user.
pub const ROLE_OF: &str = "SELECT role FROM memberships WHERE org_id = $1 AND user_id = $2";
/// Binds the org, user, role and now.
pub const INSERT_MEMBERSHIP: &str =
    "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4)";
/// Binds the role, org and user.
pub const SET_ROLE: &str = "UPDATE memberships SET role = $1 WHERE org_id = $2 AND user_id = $3";
/// Binds the org and the user.
pub const DELETE_MEMBERSHIP: &str = "DELETE FROM memberships WHERE org_id = $1 AND user_id = $2";
pub const COUNT_ADMINS: &str =
    "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = 'admin'";
