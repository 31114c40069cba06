//! The OpenAPI 3.1 document of `/api`, served at `/api/openapi.json`. It is
//! derived, not written: operations, parameters and bodies come from the
//! handlers' `#[utoipa::path]` and the body types in `api.rs` and
//! `api/views.rs`, collected by the same `routes!` calls that build the
//! router. This module adds only what holds for whole classes of operations:
//! the error responses, the SSO gate's 403 on an organization's namespace,
//! and the security schemes.

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use orgsso_store::OrgSso;
use serde_json::{json, Value};
use std::sync::OnceLock;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "orgsso API",
        description = "Authenticate with the session cookie (writes then need the `X-CSRF-Token` header returned by `/login` and `/me`) or with `Authorization: Bearer osso_…`; a bad or missing token is a 401 with `WWW-Authenticate: Bearer`. Creating tokens, changing emails and the password need the session. Every error is `{\"error\":{\"code\",\"message\",\"field\"?}}`."
    ),
    servers((url = "/api")),
    components(schemas(crate::api::ErrorSchema, crate::api::SsoRequiredSchema))
)]
struct ApiDoc;

/// The document, built once.
pub fn json() -> &'static str {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    DOCUMENT.get_or_init(|| build().to_string())
}

/// The OpenAPI document of this API.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "meta",
    security(()),
    responses((status = 200, description = "This document", content_type = "application/json", body = Object))
)]
pub async fn document() -> Response {
    ([(CONTENT_TYPE, "application/json")], json()).into_response()
}

pub fn build() -> Value {
    let mut doc = ApiDoc::openapi();
    let (_, operations) = crate::api::routes().split_for_parts();
    doc.merge(operations);
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    doc["components"]["securitySchemes"] = json!({
        "bearer": { "type": "http", "scheme": "bearer", "description": "An access token, `osso_…`" },
        "session": { "type": "apiKey", "in": "cookie", "name": crate::SESSION_COOKIE },
        "csrf": { "type": "apiKey", "in": "header", "name": crate::CSRF_HEADER,
                  "description": "The session's CSRF token; with the session cookie, every write needs it" },
    });
    let range = OrgSso::SESSION_TTL_RANGE_S;
    if let Some(timeout) = doc
        .pointer_mut("/components/schemas/SsoOptionsBody/properties/session_timeout_s")
        .and_then(Value::as_object_mut)
    {
        timeout.insert("minimum".into(), json!(range.start()));
        timeout.insert("maximum".into(), json!(range.end()));
    }
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                add_error_responses(path, method, op);
            }
        }
    }
    doc
}

fn error(description: &str) -> Value {
    json!({ "description": description,
            "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

/// The errors every operation of a class can answer, in the one error shape.
fn add_error_responses(path: &str, method: &str, op: &mut Value) {
    let has_body = op.get("requestBody").is_some();
    let alternatives = op["security"].as_array().cloned();
    // No `security` of its own: the document's, which admits anonymous callers.
    let anonymous_allowed = alternatives.as_ref().is_none_or(|alternatives| {
        alternatives
            .iter()
            .any(|a| a.as_object().is_some_and(|a| a.is_empty()))
    });
    let browser_only = alternatives
        .as_ref()
        .is_some_and(|alternatives| alternatives.iter().all(|a| a.get("bearer").is_none()));
    let responses = &mut op["responses"];
    let mut add = |status: &str, value: Value| {
        if responses.get(status).is_none() {
            responses[status] = value;
        }
    };
    if path.contains('{') {
        add(
            "400",
            error("A path parameter is malformed (e.g. not a number)"),
        );
        add(
            "404",
            error("Not found, or private and not visible to the caller"),
        );
    }
    if has_body {
        add(
            "400",
            error("The body is not JSON, or a path parameter is malformed"),
        );
        add("413", error("The body is too large (`payload_too_large`)"));
        add("415", error("The body is not `application/json`"));
        add(
            "422",
            error("A field is missing, has the wrong type or breaks a rule; `field` names it"),
        );
    }
    if !anonymous_allowed {
        add(
            "401",
            error("Not signed in, or the token is invalid or revoked"),
        );
    }
    if browser_only && !anonymous_allowed {
        add("403", error("Only a logged-in browser session may do this: with an access token the `code` is `session_required`, so a leaked token cannot mint its successor or take over the account's emails; without the `X-CSRF-Token` header it is `csrf`"));
    }
    if reaches_an_org_namespace(method, path) {
        add(
            "403",
            json!({
                "description": "Forbidden. When the organization enforces SSO and the caller (a member, or a user of its email domains; a token's owner) holds no live SSO session for it, `code` is `sso_required` and `sso_url` starts its sign-in in a browser",
                "content": { "application/json": { "schema": { "oneOf": [
                    { "$ref": "#/components/schemas/SsoRequired" },
                    { "$ref": "#/components/schemas/Error" } ] } } }
            }),
        );
    } else {
        add("403", error("Forbidden"));
    }
    add("default", error("Any other error"));
}

/// Operations in an organization's namespace, which its SSO gate may refuse.
fn reaches_an_org_namespace(method: &str, path: &str) -> bool {
    path.contains("{org}") || path.contains("{owner}") || (method == "post" && path == "/repos")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A property's schema, following a `$ref` to a named component.
    fn schema(doc: &Value, name: &str, field: &str) -> Value {
        let property = &doc["components"]["schemas"][name]["properties"][field];
        match property["$ref"].as_str() {
            Some(r) => doc
                .pointer(r.trim_start_matches('#'))
                .cloned()
                .unwrap_or_default(),
            None => property.clone(),
        }
    }

    #[test]
    fn the_document_states_the_limits_the_server_enforces() {
        let doc = build();
        let timeout = schema(&doc, "SsoOptionsBody", "session_timeout_s");
        assert_eq!(
            timeout["minimum"],
            json!(OrgSso::SESSION_TTL_RANGE_S.start())
        );
        assert_eq!(timeout["maximum"], json!(OrgSso::SESSION_TTL_RANGE_S.end()));
        let username = schema(&doc, "SignupBody", "username");
        let pattern = username["pattern"].as_str().unwrap_or_default();
        assert!(pattern.starts_with('^'), "{username}");
        let (min, max) = (
            username["minLength"].as_u64(),
            username["maxLength"].as_u64(),
        );
        let max = max.unwrap_or_default() as usize;
        assert_eq!(min, Some(2));
        assert!(orgsso_core::Username::parse(&"a".repeat(max)).is_ok());
        assert!(orgsso_core::Username::parse(&"a".repeat(max + 1)).is_err());
        let repo = schema(&doc, "CreateRepoBody", "name");
        let max = repo["maxLength"].as_u64().unwrap_or_default() as usize;
        assert!(orgsso_core::RepoName::parse(&"a".repeat(max)).is_ok());
        assert!(orgsso_core::RepoName::parse(&"a".repeat(max + 1)).is_err());
        let password = schema(&doc, "SignupBody", "password");
        let min = password["minLength"].as_u64().unwrap_or_default() as usize;
        assert!(orgsso_core::Password::parse(&"p".repeat(min)).is_ok());
        assert!(orgsso_core::Password::parse(&"p".repeat(min - 1)).is_err());
        let max = password["maxLength"].as_u64().unwrap_or_default() as usize;
        assert!(orgsso_core::Password::parse(&"é".repeat(max)).is_ok());
        assert!(orgsso_core::Password::parse(&"p".repeat(max + 1)).is_err());
        let token = schema(&doc, "TokenBody", "name");
        assert_eq!(
            (token["minLength"].as_u64(), token["maxLength"].as_u64()),
            (Some(1), Some(64))
        );
    }

    #[test]
    fn what_the_issue_found_missing_is_documented() {
        let doc = build();
        let nullable = |name: &str, field: &str| {
            let s = schema(&doc, name, field);
            s["type"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("null")))
        };
        assert!(nullable("Token", "last_used_at"));
        let required = |name: &str| doc["components"]["schemas"][name]["required"].clone();
        assert!(required("Token")
            .as_array()
            .is_some_and(|r| r.contains(&json!("last_used_at"))));
        for (name, field) in [
            ("Repo", "can_edit"),
            ("Repo", "can_delete"),
            ("SsoState", "oidc_callback_url"),
            ("SavedConfig", "next"),
            ("Me", "created_at"),
        ] {
            assert!(schema(&doc, name, field).is_object(), "{name}.{field}");
        }
    }

    #[test]
    fn every_operation_in_an_org_namespace_documents_sso_required() {
        let doc = build();
        let mut seen = 0;
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                assert!(op["responses"]["default"].is_object(), "{method} {path}");
                if reaches_an_org_namespace(method, path) {
                    seen += 1;
                    let text = op["responses"]["403"].to_string();
                    assert!(text.contains("SsoRequired"), "{method} {path}");
                }
            }
        }
        assert!(seen >= 20, "{seen}");
    }

    #[test]
    fn the_api_router_is_built_only_from_documented_handlers() {
        // `routes!` documents what it routes; a bare `.route(` would not be.
        let source = include_str!("api.rs");
        assert!(
            !source.contains(".route("),
            "api.rs routes a handler past the document"
        );
    }
}
