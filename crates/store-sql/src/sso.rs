//! Organization SSO: configurations, the org's SSO state, SSO sessions,
//! pending sign-in requests, the SAML replay cache, the audit log, the last
//! refused SAML response, SP keys, linked identities and the role mapping.

use crate::rows::{
    org_sso_columns, sp_key_columns, sso_config_columns, sso_identity_columns, sso_request_columns,
};

/// Binds the org, protocol, settings, secret, creator and now.
pub const INSERT_CONFIG: &str = concat!(
    "INSERT INTO sso_configs \
     (org_id, protocol, settings, secret_ciphertext, created_by, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
    sso_config_columns!()
);
pub const CONFIG_BY_ID: &str = concat!(
    "SELECT ",
    sso_config_columns!(),
    " FROM sso_configs WHERE id = $1"
);
/// Ids grow with every save, so the highest is the latest even when two
/// saves share a second.
pub const LATEST_CONFIG: &str = concat!(
    "SELECT ",
    sso_config_columns!(),
    " FROM sso_configs WHERE org_id = $1 ORDER BY id DESC LIMIT 1"
);
/// Binds when, the result, by whom, whether the identity matched, and the configuration.
pub const MARK_CONFIG_TESTED: &str =
    "UPDATE sso_configs SET tested_at = $1, test_result = $2, tested_by = $3, \
     tested_identity_matches = $4 WHERE id = $5";

pub const ORG_SSO: &str = concat!(
    "SELECT ",
    org_sso_columns!(),
    " FROM org_sso WHERE org_id = $1"
);

/// The SSO gate's one query, one row per org: the viewer's role and the
/// org's SSO state by primary key, and (only while SSO is on) whether a
/// verified email of the viewer is in its domains and whether a live session
/// of its active configuration exists. Binds the org, the viewer, the
/// browser's hub session hash (`NULL` for a token: any session counts) and
/// now.
///
/// `$session_config` is how the session's configuration column is written:
/// SQLite needs `+ss.config_id`, which keeps its planner on
/// `sso_sessions_user_org` (the viewer's few sessions) rather than walking
/// every session of the org.
#[macro_export]
macro_rules! viewer_in_org {
    ($session_config:literal) => {
        concat!(
            "SELECT m.role AS role, COALESCE(s.enabled, FALSE) AS enabled, \
             COALESCE(s.enforced, TRUE) AS enforced, \
             CASE WHEN s.enabled THEN EXISTS (SELECT 1 FROM emails e \
               JOIN org_sso_domains d ON d.org_id = o.id \
               WHERE e.user_id = $2 AND e.verified_at IS NOT NULL \
               AND substr(e.address, length(e.address) - length(d.domain)) = '@' || d.domain) \
             ELSE FALSE END AS in_domain, \
             CASE WHEN s.enabled THEN EXISTS (SELECT 1 FROM sso_sessions ss \
               WHERE ss.user_id = $2 AND ss.org_id = o.id AND ",
            $session_config,
            " = s.active_config_id \
               AND ss.expires_at > $4 AND ss.created_at + s.session_ttl_s > $4 \
               AND (CAST($3 AS TEXT) IS NULL OR ss.hub_session_hash = $3)) \
             ELSE FALSE END AS live_session \
             FROM orgs o \
             LEFT JOIN memberships m ON m.org_id = o.id AND m.user_id = $2 \
             LEFT JOIN org_sso s ON s.org_id = o.id \
             WHERE o.id = $1"
        )
    };
}

/// The banner's query: orgs with SSO on that reach the user, without a live
/// session for this browser (or any, for a token). Binds the user, the hub
/// session hash and now; `$session_config` as for [`viewer_in_org!`].
#[macro_export]
macro_rules! sso_prompts {
    ($session_config:literal) => {
        concat!(
            "SELECT o.name AS name, s.enforced AS enforced FROM org_sso s \
             JOIN orgs o ON o.id = s.org_id \
             WHERE s.enabled \
             AND (EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = s.org_id AND m.user_id = $1) \
               OR EXISTS (SELECT 1 FROM emails e JOIN org_sso_domains d ON d.org_id = s.org_id \
                 WHERE e.user_id = $1 AND e.verified_at IS NOT NULL \
                 AND substr(e.address, length(e.address) - length(d.domain)) = '@' || d.domain)) \
             AND NOT EXISTS (SELECT 1 FROM sso_sessions ss \
               WHERE ss.user_id = $1 AND ss.org_id = s.org_id AND ",
            $session_config,
            " = s.active_config_id \
               AND ss.expires_at > $3 AND ss.created_at + s.session_ttl_s > $3 \
               AND (CAST($2 AS TEXT) IS NULL OR ss.hub_session_hash = $2)) \
             ORDER BY o.name"
        )
    };
}

/// The SELECT yields a row only for a configuration of this org that this
/// admin tested recently with their own identity. Binds whether SSO is
/// enforced, the configuration, the org, the admin and the oldest test
/// that counts.
pub const ENABLE: &str = "INSERT INTO org_sso (org_id, enabled, enforced, active_config_id) \
     SELECT org_id, TRUE, $1, id FROM sso_configs \
     WHERE id = $2 AND org_id = $3 AND tested_by = $4 AND tested_at >= $5 \
     AND tested_identity_matches \
     ON CONFLICT (org_id) DO UPDATE \
     SET enabled = TRUE, enforced = excluded.enforced, \
     active_config_id = excluded.active_config_id";
/// An upsert, so a missing org fails its foreign key (`NotFound`) while
/// disabling twice is harmless.
pub const DISABLE: &str =
    "INSERT INTO org_sso (org_id, enabled, active_config_id) VALUES ($1, FALSE, NULL) \
     ON CONFLICT (org_id) DO UPDATE SET enabled = FALSE, active_config_id = NULL";
/// What started under the old SSO state cannot finish under the new one.
pub const END_SESSIONS: &str = "DELETE FROM sso_sessions WHERE org_id = $1";
/// See [`END_SESSIONS`].
pub const CANCEL_SIGN_INS: &str =
    "UPDATE sso_requests SET cancelled = TRUE WHERE org_id = $1 AND purpose = 'login'";
/// Binds the org, the session timeout, and whether IdP-initiated sign-in
/// and JIT membership are allowed.
pub const SET_OPTIONS: &str =
    "INSERT INTO org_sso (org_id, session_ttl_s, allow_idp_initiated, jit_membership) \
     VALUES ($1, $2, $3, $4) \
     ON CONFLICT (org_id) DO UPDATE SET session_ttl_s = excluded.session_ttl_s, \
     allow_idp_initiated = excluded.allow_idp_initiated, \
     jit_membership = excluded.jit_membership";

pub const DOMAINS: &str =
    "SELECT d.domain AS domain, (SELECT CAST(COUNT(DISTINCT e.user_id) AS BIGINT) FROM emails e \
       WHERE e.verified_at IS NOT NULL \
       AND substr(e.address, length(e.address) - length(d.domain)) = '@' || d.domain) \
       AS verified_accounts \
     FROM org_sso_domains d WHERE d.org_id = $1 ORDER BY d.domain";
/// Binds the org, the domain and now.
pub const INSERT_DOMAIN: &str =
    "INSERT INTO org_sso_domains (org_id, domain, created_at) VALUES ($1, $2, $3)";
/// Binds the org and the domain.
pub const DELETE_DOMAIN: &str = "DELETE FROM org_sso_domains WHERE org_id = $1 AND domain = $2";
/// Binds the domain and the org to leave out.
pub const ENABLED_ORGS_WITH_DOMAIN: &str = "SELECT o.name AS name FROM org_sso_domains d \
     JOIN org_sso s ON s.org_id = d.org_id AND s.enabled \
     JOIN orgs o ON o.id = d.org_id \
     WHERE d.domain = $1 AND d.org_id <> $2 ORDER BY o.name";

/// Inserted only while the configuration is the org's active one: a
/// sign-in that outlived a disable or a new configuration opens nothing.
/// Binds the hub session hash, user, subject, email, creation, expiry, org
/// and configuration. `$lock` is the lock the dialect takes on the org's
/// SSO row, so that a concurrent disable is ordered with the insert.
#[macro_export]
macro_rules! put_sso_session {
    ($lock:literal) => {
        concat!(
            "INSERT INTO sso_sessions \
             (hub_session_hash, org_id, user_id, config_id, subject, email, created_at, expires_at) \
             SELECT $1, org_id, $2, active_config_id, $3, $4, $5, $6 FROM org_sso \
             WHERE org_id = $7 AND enabled AND active_config_id = $8 ",
            $lock,
            " ON CONFLICT (hub_session_hash, org_id) DO UPDATE SET user_id = excluded.user_id, \
             config_id = excluded.config_id, subject = excluded.subject, email = excluded.email, \
             created_at = excluded.created_at, expires_at = excluded.expires_at"
        )
    };
}
/// The org's timeout as it is now applies to sessions already open. Binds
/// the org and now, twice.
pub const SESSIONS_OF_ORG: &str =
    "SELECT ss.hub_session_hash, ss.user_id, ss.org_id, ss.config_id, ss.subject, ss.email, \
     ss.created_at, CASE WHEN ss.expires_at < ss.created_at + s.session_ttl_s \
       THEN ss.expires_at ELSE ss.created_at + s.session_ttl_s END AS expires_at \
     FROM sso_sessions ss JOIN org_sso s ON s.org_id = ss.org_id \
     AND s.enabled AND s.active_config_id = ss.config_id \
     WHERE ss.org_id = $1 AND ss.expires_at > $2 AND ss.created_at + s.session_ttl_s > $3 \
     ORDER BY ss.email, ss.user_id, ss.created_at";
/// Binds the org and a user, or `NULL` for all of the org's sessions.
pub const REVOKE_SESSIONS: &str =
    "DELETE FROM sso_sessions WHERE org_id = $1 AND (CAST($2 AS BIGINT) IS NULL OR user_id = $2)";
pub const DELETE_SESSIONS_OF_USER: &str = "DELETE FROM sso_sessions WHERE user_id = $1";

/// Binds the columns in the order written.
pub const INSERT_REQUEST: &str = "INSERT INTO sso_requests \
     (handle_hash, hub_session_hash, user_id, org_id, config_id, purpose, return_to, \
     nonce, pkce_verifier, saml_request_id, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
/// Binds the handle hash and the hub session hash it was issued to.
pub const TAKE_REQUEST: &str = concat!(
    "DELETE FROM sso_requests WHERE handle_hash = $1 AND hub_session_hash = $2 RETURNING ",
    sso_request_columns!()
);
/// Binds the handle hash and now.
pub const REQUEST_PENDING: &str =
    "SELECT 1 FROM sso_requests WHERE handle_hash = $1 AND expires_at > $2";

/// One statement decides: a new id is inserted, an expired record is taken
/// over, a live one is left alone and nothing changes. Binds the issuer,
/// assertion id, its expiry and now.
pub const REMEMBER_ASSERTION: &str =
    "INSERT INTO saml_assertions (issuer, assertion_id, expires_at) VALUES ($1, $2, $3) \
     ON CONFLICT (issuer, assertion_id) DO UPDATE SET expires_at = excluded.expires_at \
     WHERE saml_assertions.expires_at <= $4";

/// Binds the org, the response and when.
pub const PUT_FAILED_RESPONSE: &str =
    "INSERT INTO sso_failed_responses (org_id, response, at) VALUES ($1, $2, $3) \
     ON CONFLICT (org_id) DO UPDATE SET response = excluded.response, at = excluded.at";
pub const FAILED_RESPONSE: &str = "SELECT response, at FROM sso_failed_responses WHERE org_id = $1";

pub const SP_KEYS: &str = concat!(
    "SELECT ",
    sp_key_columns!(),
    " FROM sp_keys WHERE org_id = $1 ORDER BY usage DESC, current DESC"
);
/// Binds the org, the use, the key, the certificate and now.
pub const INSERT_SP_KEY: &str = "INSERT INTO sp_keys \
     (org_id, usage, current, private_key_ciphertext, certificate_pem, created_at) \
     VALUES ($1, $2, TRUE, $3, $4, $5)";
/// As [`INSERT_SP_KEY`], leaving a use that already has a current key alone.
pub const INSERT_SP_KEY_IF_NONE: &str = "INSERT INTO sp_keys \
     (org_id, usage, current, private_key_ciphertext, certificate_pem, created_at) \
     VALUES ($1, $2, TRUE, $3, $4, $5) ON CONFLICT DO NOTHING";
/// The uses of the org's keys and whether each is current, before a
/// rotation. `$lock` is the lock the dialect takes on them, so a concurrent
/// rotation waits and then sees this one.
#[macro_export]
macro_rules! sp_key_uses {
    ($lock:literal) => {
        concat!(
            "SELECT usage, current FROM sp_keys WHERE org_id = $1 ",
            $lock
        )
    };
}
/// Binds the org and the use.
pub const RETIRE_SP_KEY: &str =
    "UPDATE sp_keys SET current = FALSE WHERE org_id = $1 AND usage = $2";
pub const DELETE_RETIRED_SP_KEYS: &str = "DELETE FROM sp_keys WHERE org_id = $1 AND NOT current";

/// Binds the org and the user.
pub const IDENTITY: &str = concat!(
    "SELECT ",
    sso_identity_columns!(),
    " FROM sso_identities WHERE org_id = $1 AND user_id = $2"
);
/// Binds the org, the issuer and the subject.
pub const IDENTITY_BY_SUBJECT: &str = concat!(
    "SELECT ",
    sso_identity_columns!(),
    " FROM sso_identities WHERE org_id = $1 AND issuer = $2 AND subject = $3"
);
pub const IDENTITIES_OF_ORG: &str = concat!(
    "SELECT ",
    sso_identity_columns!(),
    " FROM sso_identities WHERE org_id = $1 ORDER BY user_id"
);
/// Members and linked users of the org, for [`crate::rows::sso_user`].
pub const USERS_OF_ORG: &str = "SELECT u.id AS uid, u.username, m.role AS member_role, \
     i.org_id, i.user_id, i.issuer, i.subject, i.email, i.first_login_at, \
     i.last_login_at, i.role, i.role_source \
     FROM users u \
     LEFT JOIN memberships m ON m.org_id = $1 AND m.user_id = u.id \
     LEFT JOIN sso_identities i ON i.org_id = $1 AND i.user_id = u.id \
     WHERE u.id IN (SELECT user_id FROM memberships WHERE org_id = $1 \
     UNION SELECT user_id FROM sso_identities WHERE org_id = $1) \
     ORDER BY u.username";
/// The upsert only touches the member's row while it names the same
/// subject; another subject leaves it as it is (0 rows). Binds the org,
/// user, issuer, subject, email, now, role and role source.
pub const RECORD_SIGN_IN: &str = "INSERT INTO sso_identities (org_id, user_id, issuer, subject, \
     email, first_login_at, last_login_at, role, role_source) \
     VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) \
     ON CONFLICT (org_id, user_id) DO UPDATE SET email = excluded.email, \
     last_login_at = excluded.last_login_at, role = excluded.role, \
     role_source = excluded.role_source \
     WHERE sso_identities.issuer = excluded.issuer \
     AND sso_identities.subject = excluded.subject";
/// Binds the org and the user.
pub const UNLINK_IDENTITY: &str = "DELETE FROM sso_identities WHERE org_id = $1 AND user_id = $2";

pub const ROLE_MAPPING: &str =
    "SELECT path, roles, updated_at FROM sso_role_mappings WHERE org_id = $1";
pub const DELETE_ROLE_MAPPING: &str = "DELETE FROM sso_role_mappings WHERE org_id = $1";
/// Binds the org, the path, the roles and now.
pub const PUT_ROLE_MAPPING: &str =
    "INSERT INTO sso_role_mappings (org_id, path, roles, updated_at) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (org_id) DO UPDATE SET \
     path = excluded.path, roles = excluded.roles, updated_at = excluded.updated_at";

/// What has expired by the time bound: sessions, sign-in requests, and
/// assertion ids no longer replayable.
pub const PURGE_EXPIRED: [&str; 3] = [
    "DELETE FROM sso_sessions WHERE expires_at <= $1",
    "DELETE FROM sso_requests WHERE expires_at <= $1",
    "DELETE FROM saml_assertions WHERE expires_at <= $1",
];
