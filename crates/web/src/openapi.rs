//! The OpenAPI 3 description of `/api`, served at `/api/openapi.json`.
//! One table lists every operation; a test checks each is routed.

use axum::Json;
use serde_json::{json, Map, Value};

/// (method, path, summary, request schema, success status, response schema)
type Operation = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    u16,
    Option<&'static str>,
);

pub const OPERATIONS: &[Operation] = &[
    (
        "post",
        "/api/signup",
        "Create an account; a verification link is mailed",
        Some("Signup"),
        201,
        Some("UserEnvelope"),
    ),
    (
        "post",
        "/api/login",
        "Log in; sets the session cookie and returns its CSRF token. After 10 failures for one login name in 15 minutes it answers 429 with Retry-After",
        Some("Login"),
        200,
        Some("LoginResult"),
    ),
    (
        "post",
        "/api/logout",
        "End the current session",
        None,
        204,
        None,
    ),
    (
        "post",
        "/api/emails/verify",
        "Verify an email with the token from its link",
        Some("VerifyEmail"),
        200,
        None,
    ),
    (
        "get",
        "/api/me",
        "The current user and their emails",
        None,
        200,
        Some("Me"),
    ),
    (
        "patch",
        "/api/me",
        "Change the display name",
        Some("UpdateMe"),
        200,
        Some("User"),
    ),
    (
        "post",
        "/api/me/password",
        "Change the password; other sessions end",
        Some("ChangePassword"),
        204,
        None,
    ),
    (
        "get",
        "/api/me/emails",
        "The current user's emails",
        None,
        200,
        Some("EmailList"),
    ),
    (
        "post",
        "/api/me/emails",
        "Add an email; a verification link is mailed",
        Some("AddEmail"),
        201,
        Some("Email"),
    ),
    (
        "delete",
        "/api/me/emails/{id}",
        "Remove a non-primary email",
        None,
        204,
        None,
    ),
    (
        "post",
        "/api/me/emails/{id}/primary",
        "Make a verified email primary",
        None,
        204,
        None,
    ),
    (
        "post",
        "/api/me/emails/{id}/resend",
        "Send a new verification link",
        None,
        204,
        None,
    ),
    (
        "get",
        "/api/me/tokens",
        "The current user's access tokens (never their secrets)",
        None,
        200,
        Some("TokenList"),
    ),
    (
        "post",
        "/api/me/tokens",
        "Create an access token; the secret is returned once",
        Some("CreateToken"),
        201,
        Some("CreatedToken"),
    ),
    (
        "delete",
        "/api/me/tokens/{id}",
        "Revoke an access token",
        None,
        204,
        None,
    ),
    (
        "get",
        "/api/me/orgs",
        "Organizations of the current user with their role",
        None,
        200,
        Some("OrgList"),
    ),
    (
        "get",
        "/api/users/{user}",
        "A user's public profile",
        None,
        200,
        Some("User"),
    ),
    (
        "post",
        "/api/orgs",
        "Create an organization; the caller becomes admin",
        Some("CreateOrg"),
        201,
        Some("Org"),
    ),
    (
        "get",
        "/api/orgs/{org}",
        "An organization",
        None,
        200,
        Some("Org"),
    ),
    (
        "patch",
        "/api/orgs/{org}",
        "Change display name or default role (admin)",
        Some("UpdateOrg"),
        200,
        Some("Org"),
    ),
    (
        "get",
        "/api/orgs/{org}/members",
        "Members and roles (members only)",
        None,
        200,
        Some("MemberList"),
    ),
    (
        "post",
        "/api/orgs/{org}/members",
        "Add a member (admin); role defaults to the org's default role",
        Some("AddMember"),
        201,
        Some("Member"),
    ),
    (
        "patch",
        "/api/orgs/{org}/members/{user}",
        "Change a member's role (admin); the last admin stays",
        Some("SetRole"),
        200,
        Some("Member"),
    ),
    (
        "delete",
        "/api/orgs/{org}/members/{user}",
        "Remove a member (admin) or leave (self)",
        None,
        204,
        None,
    ),
    (
        "get",
        "/api/orgs/{org}/sso",
        "SSO state, SP endpoints, newest configuration and SSO users (admin)",
        None,
        200,
        Some("SsoState"),
    ),
    (
        "patch",
        "/api/orgs/{org}/sso",
        "SSO options: session timeout (900 to 7776000 s; lowering it shortens open sessions), IdP-initiated login, just-in-time membership (admin); omitted fields keep their value",
        Some("SsoOptions"),
        204,
        None,
    ),
    (
        "post",
        "/api/orgs/{org}/sso/saml",
        "Save a SAML configuration (untested); returns the URL that tests it",
        Some("SamlConfig"),
        201,
        Some("SavedConfig"),
    ),
    (
        "post",
        "/api/orgs/{org}/sso/oidc",
        "Save an OpenID Connect configuration (untested; discovery runs now); returns the URL that tests it",
        Some("OidcConfig"),
        201,
        Some("SavedConfig"),
    ),
    (
        "post",
        "/api/orgs/{org}/sso/enable",
        "Enable SSO with a configuration you tested yourself within the hour with an IdP identity that is one of your verified emails (admin); mode `enforced` (default) or `optional`. Ends every SSO session of the organization",
        Some("EnableSso"),
        204,
        None,
    ),
    (
        "post",
        "/api/orgs/{org}/sso/disable",
        "Disable SSO (admin); ends every SSO session of the organization",
        None,
        204,
        None,
    ),
    (
        "get",
        "/api/orgs/{org}/sso/domains",
        "Email domains tied to the organization's SSO, with the hub accounts that have a verified email in each (admin)",
        None,
        200,
        Some("SsoDomainList"),
    ),
    (
        "post",
        "/api/orgs/{org}/sso/domains",
        "Tie an email domain to the organization's SSO (admin); normalised (lowercase, IDNA), no wildcard or public suffix; 409 when another organization with SSO on lists it",
        Some("AddSsoDomain"),
        201,
        Some("SsoDomainAdded"),
    ),
    (
        "delete",
        "/api/orgs/{org}/sso/domains/{domain}",
        "Untie an email domain (admin)",
        None,
        204,
        None,
    ),
    (
        "post",
        "/api/orgs/{org}/sso/revoke",
        "End the SSO sessions of one member (`username`) or of everyone (admin)",
        Some("RevokeSso"),
        200,
        Some("Revoked"),
    ),
    (
        "get",
        "/api/orgs/{org}/sso/audit",
        "SSO audit log, newest first (admin)",
        None,
        200,
        Some("AuditLog"),
    ),
    (
        "post",
        "/api/repos",
        "Create a repository",
        Some("CreateRepo"),
        201,
        Some("Repo"),
    ),
    (
        "get",
        "/api/repos/{owner}",
        "Repositories of a user or organization visible to the caller",
        None,
        200,
        Some("RepoList"),
    ),
    (
        "get",
        "/api/repos/{kind}/{owner}/{name}",
        "A repository (private ones are 404 to those who may not see them)",
        None,
        200,
        Some("Repo"),
    ),
    (
        "patch",
        "/api/repos/{kind}/{owner}/{name}",
        "Change visibility or README",
        Some("UpdateRepo"),
        200,
        Some("Repo"),
    ),
    (
        "delete",
        "/api/repos/{kind}/{owner}/{name}",
        "Delete a repository",
        None,
        204,
        None,
    ),
];

fn obj(props: &[(&str, Value)], required: &[&str]) -> Value {
    let properties: Map<String, Value> = props
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    json!({ "type": "object", "properties": properties, "required": required })
}

fn s() -> Value {
    json!({ "type": "string" })
}

/// The per-configuration just-in-time allow-list, as the save bodies take it.
fn jit_domains() -> Value {
    json!({"type": "string", "example": "example.com, example.org",
           "description": "Email domains (separated by commas or spaces) whose users just-in-time membership may add. Empty: the organization's SSO email domains, or anyone the IdP signs in when it has none. Existing members are not affected. A sign-in outside is refused with sso.jit_domain_not_allowed."})
}

fn en(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn arr(name: &str) -> Value {
    json!({ "type": "array", "items": r(name) })
}

fn schemas() -> Value {
    let role = en(&["read", "contributor", "write", "admin"]);
    let time = json!({ "type": "string", "format": "date-time" });
    json!({
        "Signup": obj(&[("username", s()), ("email", s()), ("password", s()), ("display_name", s())], &["username", "email", "password"]),
        "Login": obj(&[("login", s()), ("password", s())], &["login", "password"]),
        "LoginResult": obj(&[("user", r("User")), ("csrf_token", s())], &["user", "csrf_token"]),
        "VerifyEmail": obj(&[("token", s())], &["token"]),
        "User": obj(&[("username", s()), ("display_name", s()), ("created_at", time.clone())], &["username"]),
        "UserEnvelope": obj(&[("user", r("User"))], &["user"]),
        "Me": obj(&[("username", s()), ("display_name", s()), ("emails", arr("Email")), ("csrf_token", s())], &["username", "emails"]),
        "UpdateMe": obj(&[("display_name", s())], &["display_name"]),
        "ChangePassword": obj(&[("current_password", s()), ("new_password", s())], &["current_password", "new_password"]),
        "Email": obj(&[("id", json!({"type": "integer"})), ("address", s()), ("verified", json!({"type": "boolean"})), ("primary", json!({"type": "boolean"}))], &["id", "address"]),
        "EmailList": arr("Email"),
        "AddEmail": obj(&[("email", s())], &["email"]),
        "Token": obj(&[("id", json!({"type": "integer"})), ("name", s()), ("scope", en(&["read", "write"])), ("created_at", time.clone()), ("last_used_at", time.clone())], &["id", "name", "scope"]),
        "TokenList": arr("Token"),
        "CreateToken": obj(&[("name", s()), ("scope", en(&["read", "write"]))], &["name", "scope"]),
        "CreatedToken": obj(&[("id", json!({"type": "integer"})), ("name", s()), ("scope", s()), ("token", s())], &["token"]),
        "Org": obj(&[("name", s()), ("display_name", s()), ("default_role", role.clone()), ("your_role", role.clone()), ("created_at", time.clone())], &["name"]),
        "OrgList": arr("Org"),
        "CreateOrg": obj(&[("name", s()), ("display_name", s())], &["name"]),
        "UpdateOrg": obj(&[("display_name", s()), ("default_role", role.clone())], &[]),
        "Member": obj(&[("username", s()), ("display_name", s()), ("role", role.clone()), ("joined_at", time.clone())], &["username", "role"]),
        "MemberList": arr("Member"),
        "AddMember": obj(&[("username", s()), ("role", role.clone())], &["username"]),
        "SetRole": obj(&[("role", role)], &["role"]),
        "Repo": obj(&[("kind", en(&["model", "dataset", "space"])), ("owner", s()), ("name", s()), ("visibility", en(&["public", "private"])), ("readme", s()), ("path", s()), ("created_at", time.clone()), ("updated_at", time)], &["kind", "owner", "name", "visibility"]),
        "RepoList": arr("Repo"),
        "CreateRepo": obj(&[("owner", s()), ("kind", en(&["model", "dataset", "space"])), ("name", s()), ("visibility", en(&["public", "private"])), ("readme", s())], &["owner", "kind", "name"]),
        "UpdateRepo": obj(&[("visibility", en(&["public", "private"])), ("readme", s())], &[]),
        "SsoState": obj(&[("enabled", json!({"type": "boolean"})), ("mode", en(&["off", "optional", "enforced"])), ("jit_membership", json!({"type": "boolean"})), ("domains", arr("SsoDomain")), ("can_enable", json!({"type": "boolean"})), ("can_enable_reason", json!({"type": "string", "nullable": true})), ("active_config", json!({"type": "integer", "nullable": true})), ("session_timeout_s", json!({"type": "integer"})), ("allow_idp_initiated", json!({"type": "boolean"})), ("saml_sp", json!({"type": "object"})), ("latest_config", json!({"type": "object", "nullable": true})), ("sso_users", json!({"type": "array", "items": {"type": "object"}}))], &["enabled"]),
        "SsoOptions": obj(&[("session_timeout_s", json!({"type": "integer", "minimum": 900, "maximum": 7776000})), ("allow_idp_initiated", json!({"type": "boolean"})), ("jit_membership", json!({"type": "boolean"}))], &[]),
        "SsoDomain": obj(&[("domain", s()), ("verified_accounts", json!({"type": "integer"}))], &["domain", "verified_accounts"]),
        "SsoDomainList": arr("SsoDomain"),
        "AddSsoDomain": obj(&[("domain", s())], &["domain"]),
        "SsoDomainAdded": obj(&[("domain", s())], &["domain"]),
        "RevokeSso": obj(&[("username", s())], &[]),
        "Revoked": obj(&[("revoked", json!({"type": "integer"}))], &["revoked"]),
        "SamlConfig": obj(&[("idp_sso_url", s()), ("idp_entity_id", s()), ("certificates", s()), ("metadata_xml", s()), ("metadata_url", s()), ("allow_sha1", json!({"type": "boolean"})), ("jit_domains", jit_domains())], &[]),
        "SavedConfig": obj(&[("config_id", json!({"type": "integer"})), ("tested", json!({"type": "boolean"})), ("test_url", s())], &["config_id", "test_url"]),
        "OidcConfig": obj(&[("issuer_url", s()), ("client_id", s()), ("client_secret", s()), ("scopes", s()), ("email_claim", en(&["email", "upn", "preferred_username"])), ("jit_domains", jit_domains()),
            ("required_claim", json!({"type": "string", "maxLength": 128, "pattern": "^[A-Za-z0-9_:./-]+$", "description": "A top-level claim every sign-in (members included) must carry, e.g. hd, tid or groups; give it with required_claim_value, or neither. Refused sign-ins: oidc.required_claim_missing."})),
            ("required_claim_value", json!({"type": "string", "maxLength": 256, "description": "The value required_claim must equal, or that it must contain when it is an array (strings compared exactly)."}))], &["issuer_url", "client_id", "client_secret"]),
        "EnableSso": obj(&[("config_id", json!({"type": "integer"})), ("mode", en(&["optional", "enforced"]))], &["config_id"]),
        "AuditLog": json!({"type": "array", "items": obj(&[("at", json!({"type": "string", "format": "date-time"})), ("event", s()), ("actor_id", json!({"type": "integer", "nullable": true})), ("detail", s())], &["at", "event", "detail"])}),
        "Error": obj(&[("error", obj(&[("code", s()), ("message", s()), ("field", s())], &["code", "message"]))], &["error"]),
        "SsoRequired": obj(&[("error", obj(&[("code", en(&["sso_required"])), ("org", s()), ("sso_url", json!({"type": "string", "format": "uri"})), ("message", s())], &["code", "org", "sso_url", "message"]))], &["error"]),
    })
}

pub fn build() -> Value {
    let mut paths = Map::new();
    for (method, path, summary, request, status, response) in OPERATIONS {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": if name == "id" { "integer" } else { "string" } } }))
            .collect();
        let mut success = json!({ "description": "Success" });
        if let Some(schema) = response {
            success["content"] = json!({ "application/json": { "schema": r(schema) } });
        }
        let error = json!({ "description": "Error", "content": { "application/json": { "schema": r("Error") } } });
        let mut op = json!({ "summary": summary, "parameters": params, "responses": { status.to_string(): success, "default": error } });
        if reaches_an_org_namespace(path) {
            op["responses"]["403"] = json!({
                "description": "Forbidden. When the organization enforces SSO and the caller (a member, or a user of its email domains; a token's owner) holds no live SSO session for it, `code` is `sso_required` and `sso_url` starts its sign-in in a browser",
                "content": { "application/json": { "schema": { "oneOf": [r("SsoRequired"), r("Error")] } } }
            });
        }
        if needs_a_browser_session(method, path) {
            op["security"] = json!([{ "session": [] }]);
            op["responses"]["403"] = json!({
                "description": "Forbidden. Only a logged-in browser session may do this: with an access token the `code` is `session_required`, so a leaked token cannot mint its successor or take over the account's emails",
                "content": { "application/json": { "schema": r("Error") } }
            });
        }
        if let Some(schema) = request {
            op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": r(schema) } } });
        }
        let openapi_path = path.trim_start_matches("/api");
        let entry = paths
            .entry(openapi_path.to_owned())
            .or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.0.3",
        "info": { "title": "orgsso API", "version": env!("CARGO_PKG_VERSION"),
                  "description": "Authenticate with the session cookie (writes then need the X-CSRF-Token header returned by /login and /me) or with `Authorization: Bearer osso_…`; a bad or missing token is a 401 with `WWW-Authenticate: Bearer`. Creating tokens, changing emails and the password need the session." },
        "servers": [{ "url": "/api" }],
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer" },
                "session": { "type": "apiKey", "in": "cookie", "name": crate::SESSION_COOKIE }
            }
        },
        "security": [{ "bearer": [] }, { "session": [] }, {}],
        "paths": paths,
    })
}

/// Operations the service allows only to a browser session (`Caller::browser`).
fn needs_a_browser_session(method: &str, path: &str) -> bool {
    matches!(
        (method, path),
        (
            "post",
            "/api/me/password" | "/api/me/emails" | "/api/me/tokens"
        ) | ("delete", "/api/me/emails/{id}")
            | (
                "post",
                "/api/me/emails/{id}/primary" | "/api/me/emails/{id}/resend"
            )
    )
}

/// Operations in an organization's namespace, which its SSO gate may refuse.
fn reaches_an_org_namespace(path: &str) -> bool {
    path.contains("{org}") || path.contains("{owner}") || path == "/api/repos"
}

pub async fn document() -> Json<Value> {
    Json(build())
}
