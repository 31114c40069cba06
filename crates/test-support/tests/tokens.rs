//! Access tokens over real HTTP: created with a scope, shown once, stored
//! hashed, accepted as `Authorization: Bearer`, refused once revoked.

use orgsso_test_support::{error_of, json_body, StatusCode, TestApp};
use serde_json::json;

#[tokio::test]
async fn a_token_secret_is_shown_once_and_never_listed() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let res = alice
        .post_json(
            "/api/me/tokens",
            json!({"name": "laptop", "scope": "write"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let created = json_body(res).await;
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("osso_"), "{secret}");
    assert!(secret.len() >= 5 + 43, "at least 256 bits: {secret}");
    assert_eq!(created["scope"], "write");

    let list_res = alice.get("/api/me/tokens").await;
    assert_eq!(list_res.status(), StatusCode::OK);
    let text = list_res.text().await.unwrap();
    assert!(
        !text.contains(&secret),
        "the list must not include the secret: {text}"
    );
    let list: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "laptop");
    assert!(list[0].get("token").is_none(), "{list}");

    let page = alice.get("/settings/tokens").await.text().await.unwrap();
    assert!(page.contains("laptop"));
    assert!(
        !page.contains(&secret),
        "the settings page does not show it again"
    );
}

#[tokio::test]
async fn tokens_are_stored_only_as_hashes() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let secret = app.token(&alice, "read").await;
    assert!(
        app.store.token_by_hash(&secret).await.unwrap().is_none(),
        "the plain value is not stored"
    );
    let digest = orgsso_core::entropy::sha256_hex(&secret);
    let stored = app
        .store
        .token_by_hash(&digest)
        .await
        .unwrap()
        .expect("found by its SHA-256");
    assert_eq!(stored.name, "read token");
}

#[tokio::test]
async fn a_bearer_token_authenticates_api_calls() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let secret = app.token(&alice, "read").await;
    let bearer = app.token_client(&secret);
    let res = bearer.get("/api/me").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_body(res).await["username"], "alice");
    let listed = json_body(alice.get("/api/me/tokens").await).await;
    assert!(
        listed[0]["last_used_at"].is_string(),
        "use is recorded: {listed}"
    );
}

#[tokio::test]
async fn a_read_token_sees_private_content_but_cannot_write() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, "acme").await;
    let res = alice.post_json("/api/repos", json!({"owner": "acme", "kind": "model", "name": "secret", "visibility": "private", "readme": "v1"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let reader = app.token_client(&app.token(&alice, "read").await);

    assert_eq!(
        reader.get("/api/repos/model/acme/secret").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        reader.get("/api/orgs/acme/members").await.status(),
        StatusCode::OK
    );

    let writes = [
        (
            reqwest::Method::POST,
            "/api/repos",
            json!({"owner": "acme", "kind": "model", "name": "other"}),
        ),
        (
            reqwest::Method::POST,
            "/api/repos",
            json!({"owner": "alice", "kind": "model", "name": "mine"}),
        ),
        (
            reqwest::Method::PATCH,
            "/api/repos/model/acme/secret",
            json!({"readme": "v2"}),
        ),
        (reqwest::Method::POST, "/api/orgs", json!({"name": "newco"})),
        (
            reqwest::Method::PATCH,
            "/api/orgs/acme",
            json!({"default_role": "write"}),
        ),
        (
            reqwest::Method::POST,
            "/api/me/tokens",
            json!({"name": "escalate", "scope": "write"}),
        ),
        (
            reqwest::Method::PATCH,
            "/api/me",
            json!({"display_name": "Mallory"}),
        ),
        (
            reqwest::Method::POST,
            "/api/me/emails",
            json!({"email": "x@example.org"}),
        ),
    ];
    for (method, path, body) in writes {
        let (status, error) = error_of(reader.send_json(method.clone(), path, body).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        // Minting tokens and adding emails need a browser session, whatever the scope.
        let code = if path.starts_with("/api/me/") && path != "/api/me" {
            "session_required"
        } else {
            "forbidden"
        };
        assert_eq!(error["code"], code, "{method} {path}");
    }
    assert_eq!(
        reader.delete("/api/repos/model/acme/secret").await.status(),
        StatusCode::FORBIDDEN
    );

    // Nothing changed.
    let repo = json_body(alice.get("/api/repos/model/acme/secret").await).await;
    assert_eq!(repo["readme"], "v1");
    assert_eq!(
        alice.get("/api/repos/model/acme/other").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        alice.get("/api/orgs/newco").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        json_body(alice.get("/api/orgs/acme").await).await["default_role"],
        "read"
    );
    assert_eq!(
        json_body(alice.get("/api/me/tokens").await)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        json_body(alice.get("/api/me").await).await["display_name"],
        "alice"
    );
}

#[tokio::test]
async fn a_write_token_writes_without_a_csrf_header() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let writer = app.token_client(&app.token(&alice, "write").await);
    assert!(writer.csrf.is_none());
    let res = writer
        .post_json(
            "/api/repos",
            json!({"owner": "alice", "kind": "dataset", "name": "corpus", "readme": "hello"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        json_body(app.client().get("/api/repos/dataset/alice/corpus").await).await["readme"],
        "hello"
    );
    let res = writer
        .post_json("/api/orgs", json!({"name": "tokenco"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        alice.role_of("tokenco", "alice").await.as_deref(),
        Some("admin")
    );
}

#[tokio::test]
async fn a_revoked_token_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let secret = app.token(&alice, "write").await;
    let bearer = app.token_client(&secret);
    assert_eq!(bearer.get("/api/me").await.status(), StatusCode::OK);
    let id = json_body(alice.get("/api/me/tokens").await).await[0]["id"]
        .as_i64()
        .unwrap();

    // Another user cannot revoke it.
    let bob = app.user("bob").await;
    assert_eq!(
        bob.delete(&format!("/api/me/tokens/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(bearer.get("/api/me").await.status(), StatusCode::OK);

    assert_eq!(
        alice.delete(&format!("/api/me/tokens/{id}")).await.status(),
        StatusCode::NO_CONTENT
    );
    let (status, error) = error_of(bearer.get("/api/me").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["code"], "bad_token");
    assert_eq!(
        bearer.get("/api/repos/alice").await.status(),
        StatusCode::UNAUTHORIZED,
        "not silently anonymous"
    );
    assert!(json_body(alice.get("/api/me/tokens").await)
        .await
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_token_revoked_through_the_settings_page_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let csrf = alice.page_csrf("/settings/tokens").await;
    let res = alice
        .post_form(
            "/settings/tokens",
            &[("csrf_token", &csrf), ("name", "ci"), ("scope", "read")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let page = res.text().await.unwrap();
    let start = page.find("osso_").expect("the new secret is shown once");
    let secret: String = page[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let bearer = app.token_client(&secret);
    assert_eq!(bearer.get("/api/me").await.status(), StatusCode::OK);

    let id = json_body(alice.get("/api/me/tokens").await).await[0]["id"]
        .as_i64()
        .unwrap();
    let res = alice
        .post_form(
            &format!("/settings/tokens/{id}/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        bearer.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_garbage_bearer_token_is_unauthorized() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let real = app.token(&alice, "write").await;
    let tampered = format!("{}x", &real[..real.len() - 1]);
    let long = format!("osso_{}", "a".repeat(5000));
    for token in [
        "garbage",
        "osso_",
        "osso_0000",
        tampered.as_str(),
        long.as_str(),
    ] {
        let (status, error) = error_of(app.token_client(token).get("/api/me").await).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token}");
        assert_eq!(error["code"], "bad_token");
    }
    for header in ["Basic YWxpY2U6cGFzcw==", "Bearer", "bearer osso_abc", ""] {
        let res = app
            .client()
            .http
            .get(format!("{}/api/me", app.base_url))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{header:?}");
    }
}

#[tokio::test]
async fn tokens_with_a_bad_name_or_scope_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    for (body, field) in [
        (json!({"name": "", "scope": "read"}), "name"),
        (json!({"name": "x".repeat(65), "scope": "read"}), "name"),
        (json!({"name": "tab\there", "scope": "read"}), "name"),
        (json!({"name": "ok", "scope": "admin"}), "scope"),
        (json!({"name": "ok", "scope": ""}), "scope"),
    ] {
        let (status, error) = error_of(alice.post_json("/api/me/tokens", body.clone()).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(error["field"], field, "{body}");
    }
    assert!(json_body(alice.get("/api/me/tokens").await)
        .await
        .as_array()
        .unwrap()
        .is_empty());
}
