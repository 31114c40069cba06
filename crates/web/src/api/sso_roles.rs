//! The API of members' SSO identities and the organization's role mapping
//! (S12): read, save and turn off the mapping, unlink an identity.

use super::{no_content, ok, ApiResult};
use crate::auth::Auth;
use crate::forms::{org_name, ApiJson};
use crate::AppState;
use axum::extract::{Path, State};
use orgsso_core::{FieldError, Username};
use orgsso_service::sso::role_mapping::RoleMapping;
use orgsso_service::sso::SsoUserRow;
use orgsso_service::{Entity, ServiceError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A role mapping: a JSON path (RFC 9535) into what the IdP sends and a table of values to roles.
#[derive(Deserialize, ToSchema)]
pub(super) struct RoleMappingBody {
    /// Into the OIDC claims (ID token and userinfo), or for SAML into
    /// `{"nameId": …, "attributes": {name: [values]}}`.
    #[schema(example = "$.groups[*]", max_length = 1024)]
    path: String,
    /// Value → role (`read`, `contributor`, `write`, `admin`); at least one value maps to `admin`; at most 500 entries.
    #[schema(value_type = BTreeMap<String, String>, example = json!({"eng-admins": "admin", "eng": "write"}))]
    roles: serde_json::Map<String, Value>,
}

/// The organization's role mapping.
#[derive(Serialize, ToSchema)]
pub(super) struct RoleMappingView {
    /// Whether the IdP manages roles: then they are set at every SSO sign-in and cannot be changed by hand.
    enabled: bool,
    path: Option<String>,
    roles: BTreeMap<String, String>,
}

impl RoleMappingView {
    fn of(mapping: Option<&RoleMapping>) -> Self {
        Self {
            enabled: mapping.is_some(),
            path: mapping.map(|m| m.path().to_owned()),
            roles: mapping
                .map(|m| {
                    m.roles()
                        .iter()
                        .map(|(value, role)| (value.clone(), role.as_str().to_owned()))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The organization's SSO role mapping (admin)
#[utoipa::path(get, path = "/orgs/{org}/sso/role-mapping", tag = "sso", params(("org" = String, Path, description = "Organization name")), security(("bearer" = []), ("session" = [])), responses((status = 200, description = "The role mapping", body = RoleMappingView)))]
pub(super) async fn role_mapping(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
) -> ApiResult {
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    let mapping = app.hub.role_mapping(&admin).await?;
    ok(RoleMappingView::of(mapping.as_ref()))
}

/// Save the SSO role mapping (admin); roles follow it from each member's next sign-in
///
/// 422 naming the field (`path` or `roles`) for an unparsable path, an unknown role,
/// no value mapping to `admin`, over 500 entries, or a path or value too long.
#[utoipa::path(put, path = "/orgs/{org}/sso/role-mapping", tag = "sso", params(("org" = String, Path, description = "Organization name")), request_body = RoleMappingBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 200, description = "Saved", body = RoleMappingView)))]
pub(super) async fn set_role_mapping(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<RoleMappingBody>,
) -> ApiResult {
    let mut entries = Vec::with_capacity(body.roles.len());
    for (value, role) in body.roles {
        let Value::String(role) = role else {
            return Err(FieldError::new(
                "roles",
                format!("the role of {value:.64} must be a string"),
            )
            .into());
        };
        entries.push((value, role));
    }
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    let mapping = app
        .hub
        .set_role_mapping(&admin, &body.path, &entries)
        .await?;
    ok(RoleMappingView::of(Some(&mapping)))
}

/// Turn the SSO role mapping off (admin); roles stay as they are
#[utoipa::path(delete, path = "/orgs/{org}/sso/role-mapping", tag = "sso", params(("org" = String, Path, description = "Organization name")), security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 204, description = "Turned off")))]
pub(super) async fn delete_role_mapping(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
) -> ApiResult {
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    app.hub.delete_role_mapping(&admin).await?;
    no_content()
}

/// Unlink a member's SSO identity (admin), so their next sign-in links the subject the IdP asserts then
#[utoipa::path(delete, path = "/orgs/{org}/sso/identities/{user}", tag = "sso", params(("org" = String, Path, description = "Organization name"), ("user" = String, Path, description = "Member's username")), security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 204, description = "Unlinked")))]
pub(super) async fn unlink_sso_identity(
    auth: Auth,
    State(app): State<AppState>,
    Path((org, user)): Path<(String, String)>,
) -> ApiResult {
    let username = Username::parse(&user).map_err(|_| ServiceError::NotFound(Entity::User))?;
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    app.hub.unlink_sso_identity(&admin, &username).await?;
    no_content()
}

/// One of the organization's SSO users: a member, the holder of an SSO identity, or both.
#[derive(Serialize, ToSchema)]
pub(super) struct SsoUserView {
    username: String,
    /// Whether they are a member now (a former member keeps an identity until it is unlinked).
    member: bool,
    /// The role they hold now.
    #[schema(pattern = "^(read|contributor|write|admin)$", required = true)]
    role: Option<String>,
    /// Where the role came from: set at the last sign-in by the mapping or the default role,
    /// or changed by hand since (`manual`).
    #[schema(pattern = "^(mapping|default|manual)$", required = true)]
    role_source: Option<String>,
    /// The email the IdP asserted at the last sign-in.
    #[schema(required = true)]
    email: Option<String>,
    /// OIDC `iss` or the SAML IdP's entity ID.
    #[schema(required = true)]
    issuer: Option<String>,
    /// OIDC `sub` or the SAML NameID.
    #[schema(required = true)]
    subject: Option<String>,
    #[schema(format = DateTime, required = true)]
    first_sign_in_at: Option<String>,
    #[schema(format = DateTime, required = true)]
    last_sign_in_at: Option<String>,
    /// The expiry of their live SSO session, if they hold one.
    #[schema(format = DateTime, required = true)]
    session_expires_at: Option<String>,
    /// A member who never signed in through the IdP: enforcement stops them until they do.
    never_signed_in: bool,
}

impl SsoUserView {
    pub(crate) fn of(row: &SsoUserRow) -> Self {
        let identity = row.entry.identity.as_ref();
        Self {
            username: row.entry.username.to_string(),
            member: row.role().is_some(),
            role: row.role().map(|r| r.as_str().to_owned()),
            role_source: row.role_source().map(|s| s.as_str().to_owned()),
            email: identity.map(|i| i.email.clone()),
            issuer: identity.map(|i| i.issuer.clone()),
            subject: identity.map(|i| i.subject.clone()),
            first_sign_in_at: identity.map(|i| i.first_login_at.to_rfc3339()),
            last_sign_in_at: identity.map(|i| i.last_login_at.to_rfc3339()),
            session_expires_at: row.session_expires_at.map(|t| t.to_rfc3339()),
            never_signed_in: row.never_signed_in(),
        }
    }
}

/// The organization's SSO users (admin): every member and every linked identity, by username
#[utoipa::path(get, path = "/orgs/{org}/sso/users", tag = "sso", params(("org" = String, Path, description = "Organization name")), security(("bearer" = []), ("session" = [])), responses((status = 200, description = "The SSO users", body = Vec<SsoUserView>)))]
pub(super) async fn sso_users(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
) -> ApiResult {
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    let rows = app.hub.sso_users(&admin).await?;
    ok(rows.iter().map(SsoUserView::of).collect::<Vec<_>>())
}
