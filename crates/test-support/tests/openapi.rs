//! The served OpenAPI document matches the router: every documented
//! operation answers from a real handler, never from the API fallback, and
//! each documented path has exactly the documented methods.

use orgsso_test_support::{json_body, StatusCode, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const FALLBACK_MESSAGE: &str = "endpoint not found";

fn is_fallback(status: StatusCode, body: &Value) -> bool {
    status == StatusCode::NOT_FOUND
        && body["error"]["code"] == "not_found"
        && body["error"]["message"] == FALLBACK_MESSAGE
}

#[tokio::test]
async fn an_unknown_api_path_answers_with_the_fallback() {
    let app = TestApp::spawn().await;
    let res = app.client().get("/api/no/such/endpoint").await;
    let status = res.status();
    let body = json_body(res).await;
    assert!(is_fallback(status, &body), "{status} {body}");
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    app.org(&alice, "acme").await;
    app.add_member(&alice, "acme", "bob", "read").await;
    let res = alice
        .post_json(
            "/api/repos",
            json!({"owner": "alice", "kind": "model", "name": "demo"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let email = json_body(
        alice
            .post_json("/api/me/emails", json!({"email": "second@example.org"}))
            .await,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let token = json_body(
        alice
            .post_json("/api/me/tokens", json!({"name": "t", "scope": "read"}))
            .await,
    )
    .await["id"]
        .as_i64()
        .unwrap();

    let doc = json_body(app.client().get("/api/openapi.json").await).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "/api");
    let paths = doc["paths"].as_object().expect("paths");
    let mut operations = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_uppercase(), path.clone()));
        }
    }
    assert!(operations.len() >= 29, "{operations:?}");
    // Destructive calls last, so earlier ones still have a session and data.
    let weight = |(method, path): &(String, String)| match (method.as_str(), path.as_str()) {
        ("POST", "/logout") => 3,
        ("POST", "/me/password") => 2,
        ("DELETE", _) => 1,
        _ => 0,
    };
    operations.sort_by_key(weight);

    for (method, path) in &operations {
        let concrete = path
            .replace(
                "{id}",
                &if path.contains("tokens") {
                    token
                } else {
                    email
                }
                .to_string(),
            )
            .replace("{org}", "acme")
            .replace("{user}", "bob")
            .replace("{kind}", "model")
            .replace("{owner}", "alice")
            .replace("{name}", "demo")
            .replace("{domain}", "example.com");
        assert!(!concrete.contains('{'), "unfilled parameter in {concrete}");
        let method: Method = method.parse().unwrap();
        let res = if method == Method::GET || method == Method::DELETE {
            alice.send(method.clone(), &format!("/api{concrete}")).await
        } else {
            alice
                .send_json(method.clone(), &format!("/api{concrete}"), json!({}))
                .await
        };
        let status = res.status();
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} /api{concrete} is documented but not routed for this method"
        );
        let text = res.text().await.unwrap();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(
            !is_fallback(status, &body),
            "{method} /api{concrete} is documented but not routed: {text}"
        );
        assert!(
            status.as_u16() < 500,
            "{method} /api{concrete}: {status} {text}"
        );
    }
}

#[tokio::test]
async fn documented_success_statuses_match_the_handlers() {
    let app = TestApp::spawn().await;
    let doc = json_body(app.client().get("/api/openapi.json").await).await;
    let documented = |method: &str, path: &str| -> Vec<String> {
        doc["paths"][path][method]["responses"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect()
    };
    assert!(documented("post", "/signup").contains(&"201".to_owned()));
    let res = app
        .client()
        .post_json(
            "/api/signup",
            json!({"username": "zed", "email": "zed@example.com", "password": "long enough pw"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(documented("post", "/orgs").contains(&"201".to_owned()));
    assert!(documented("delete", "/repos/{kind}/{owner}/{name}").contains(&"204".to_owned()));
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"]["default"]["content"]["application/json"]["schema"]["$ref"]
                    == "#/components/schemas/Error",
                "{method} {path}"
            );
            for r in op
                .to_string()
                .split("\"$ref\":\"#/components/schemas/")
                .skip(1)
            {
                let name = r.split('"').next().unwrap();
                assert!(
                    doc["components"]["schemas"][name].is_object(),
                    "{method} {path} refers to missing schema {name}"
                );
            }
        }
    }
}

/// `path` with every `{parameter}` filled in with something plausible.
fn concrete(path: &str) -> String {
    path.replace("{id}", "1")
        .replace("{org}", "acme")
        .replace("{user}", "bob")
        .replace("{kind}", "model")
        .replace("{owner}", "alice")
        .replace("{name}", "demo")
        .replace("{domain}", "example.com")
}

#[tokio::test]
async fn each_documented_path_is_routed_for_exactly_the_documented_methods() {
    let app = TestApp::spawn().await;
    let doc = json_body(app.client().get("/api/openapi.json").await).await;
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        let mut documented: Vec<String> = item
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_uppercase())
            .collect();
        if documented.contains(&"GET".to_owned()) {
            documented.push("HEAD".to_owned());
        }
        documented.sort();
        // A method the path does not document: the router names what it has in `Allow`.
        let probe = [Method::PUT, Method::PATCH, Method::POST]
            .into_iter()
            .find(|m| !documented.contains(&m.as_str().to_owned()))
            .expect("a method the path does not document");
        let concrete = concrete(path);
        assert!(!concrete.contains('{'), "unfilled parameter in {concrete}");
        let res = app
            .client()
            .send(probe.clone(), &format!("/api{concrete}"))
            .await;
        assert_eq!(
            res.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{probe} /api{concrete}"
        );
        let mut allowed: Vec<String> = res
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect();
        allowed.sort();
        assert_eq!(
            allowed, documented,
            "{path}: routed methods differ from documented ones"
        );
    }
}

#[tokio::test]
async fn the_document_is_served_as_json_and_describes_itself() {
    let app = TestApp::spawn().await;
    let res = app.client().get("/api/openapi.json").await;
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let doc = json_body(res).await;
    assert!(doc["paths"]["/openapi.json"]["get"].is_object());
    for scheme in ["bearer", "session", "csrf"] {
        assert!(
            doc["components"]["securitySchemes"][scheme].is_object(),
            "{scheme}"
        );
    }
}
