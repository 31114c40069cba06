//! The column lists of the queries not yet shared; the records are decoded
//! by `orgsso_store_sql::rows`.

pub(crate) use orgsso_store_sql::rows::*;

macro_rules! sso_config_columns {
    () => {
        "id, org_id, protocol, settings, secret_ciphertext, created_by, created_at, \
     tested_at, test_result, tested_by, tested_identity_matches"
    };
}
pub(crate) use sso_config_columns;

macro_rules! org_sso_columns {
    () => {
        "org_id, enabled, enforced, active_config_id, session_ttl_s, allow_idp_initiated, \
     jit_membership"
    };
}
pub(crate) use org_sso_columns;

macro_rules! sso_request_columns {
    () => {
        "handle_hash, hub_session_hash, user_id, org_id, config_id, purpose, return_to, \
     nonce, pkce_verifier, saml_request_id, created_at, expires_at, cancelled"
    };
}
pub(crate) use sso_request_columns;

macro_rules! audit_columns {
    () => {
        "id, org_id, at, actor_id, event, detail"
    };
}
pub(crate) use audit_columns;
