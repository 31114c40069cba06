//! An honest API toward sloppy and hostile clients: what only a browser
//! session may do, how bearer tokens are read and refused, which request ids
//! are taken from a client, and that disabling SSO twice records it once.

use orgsso_test_support::operator::{binary, ok, run, Place};
use orgsso_test_support::{error_of, json_body, Client, StatusCode, TestApp, PASSWORD};
use serde_json::{json, Value};

/// A raw request with the given `Authorization` header and nothing else.
async fn with_authorization(app: &TestApp, path: &str, header: &str) -> reqwest::Response {
    app.client()
        .http
        .get(format!("{}{path}", app.base_url))
        .header("authorization", header)
        .send()
        .await
        .unwrap()
}

async fn email_ids(client: &Client) -> Vec<i64> {
    json_body(client.get("/api/me/emails").await)
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_token_cannot_mint_tokens_or_touch_emails_or_the_password() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let added = json_body(
        alice
            .post_json("/api/me/emails", json!({"email": "alice@work.example"}))
            .await,
    )
    .await;
    let other = added["id"].as_i64().unwrap();
    let script = app.token_client(&app.token(&alice, "write").await);

    let calls: [(reqwest::Method, String, Value); 6] = [
        (
            reqwest::Method::POST,
            "/api/me/tokens".into(),
            json!({"name": "successor", "scope": "write"}),
        ),
        (
            reqwest::Method::POST,
            "/api/me/emails".into(),
            json!({"email": "mallory@example.org"}),
        ),
        (
            reqwest::Method::POST,
            format!("/api/me/emails/{other}/resend"),
            json!({}),
        ),
        (
            reqwest::Method::POST,
            format!("/api/me/emails/{other}/primary"),
            json!({}),
        ),
        (
            reqwest::Method::DELETE,
            format!("/api/me/emails/{other}"),
            json!({}),
        ),
        (
            reqwest::Method::POST,
            "/api/me/password".into(),
            json!({"current_password": PASSWORD, "new_password": "a whole new secret"}),
        ),
    ];
    for (method, path, body) in calls {
        let (status, error) = error_of(script.send_json(method.clone(), &path, body).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(error["code"], "session_required", "{method} {path}");
    }

    // Nothing changed: one token, the same two emails, the old password.
    let tokens = json_body(alice.get("/api/me/tokens").await).await;
    assert_eq!(tokens.as_array().unwrap().len(), 1, "{tokens}");
    assert_eq!(email_ids(&alice).await.len(), 2);
    assert!(app.mails_to("mallory@example.org").await.is_empty());
    assert_eq!(app.mails_to("alice@work.example").await.len(), 1);
    let mut again = app.client();
    assert_eq!(
        again.login("alice", PASSWORD).await.status(),
        StatusCode::OK
    );
    // Reading is still fine.
    assert_eq!(script.get("/api/me/tokens").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_token_cannot_mint_tokens_through_the_settings_page_either() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let secret = app.token(&alice, "write").await;
    let res = app
        .client()
        .http
        .post(format!("{}/settings/tokens", app.base_url))
        .bearer_auth(&secret)
        .form(&[("name", "successor"), ("scope", "write")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let tokens = json_body(alice.get("/api/me/tokens").await).await;
    assert_eq!(tokens.as_array().unwrap().len(), 1, "{tokens}");
}

#[tokio::test]
async fn a_browser_session_still_manages_tokens_emails_and_the_password() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.token(&alice, "read").await;
    let res = alice
        .post_json("/api/me/emails", json!({"email": "alice@work.example"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = alice
        .post_json(
            "/api/me/password",
            json!({"current_password": PASSWORD, "new_password": "a whole new secret"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        alice.get("/api/me").await.status(),
        StatusCode::OK,
        "the browser that changed it stays logged in"
    );
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let secret = app.token(&alice, "read").await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let res = with_authorization(&app, "/api/me", &format!("{scheme} {secret}")).await;
        assert_eq!(res.status(), StatusCode::OK, "{scheme}");
        assert_eq!(json_body(res).await["username"], "alice", "{scheme}");
    }
}

#[tokio::test]
async fn a_401_on_the_api_names_the_bearer_scheme() {
    let app = TestApp::spawn().await;
    let absent = app.client().get("/api/me").await;
    let bad = with_authorization(&app, "/api/me", "Bearer osso_nope").await;
    let foreign = with_authorization(&app, "/api/me", "Basic YWxpY2U6cGFzcw==").await;
    for (what, res) in [("absent", absent), ("bad", bad), ("foreign", foreign)] {
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{what}");
        let challenge = res
            .headers()
            .get("www-authenticate")
            .unwrap_or_else(|| panic!("{what}: no WWW-Authenticate"))
            .to_str()
            .unwrap()
            .to_owned();
        assert!(challenge.starts_with("Bearer"), "{what}: {challenge}");
        let (_, error) = error_of(res).await;
        assert!(error["code"].is_string(), "{what}: {error}");
    }
}

#[tokio::test]
async fn an_invalid_token_does_not_turn_a_public_page_into_a_401() {
    let app = TestApp::spawn().await;
    for header in ["Bearer osso_nope", "Basic YWxpY2U6cGFzcw==", "bearer"] {
        for page in ["/", "/login"] {
            let res = with_authorization(&app, page, header).await;
            assert_eq!(res.status(), StatusCode::OK, "{page} with {header:?}");
            let html = res.text().await.unwrap();
            assert!(html.contains("<html"), "{page}: {html}");
        }
    }
}

async fn request_id_for(app: &TestApp, sent: &str) -> String {
    let res = app
        .client()
        .http
        .get(format!("{}/healthz", app.base_url))
        .header("x-request-id", sent)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    res.headers()
        .get("x-request-id")
        .expect("a request id")
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn only_a_short_safe_request_id_is_taken_from_the_client() {
    let app = TestApp::spawn().await;
    let fine = "trace-01.ab_CD";
    assert_eq!(request_id_for(&app, fine).await, fine);
    let at_limit = "a".repeat(64);
    assert_eq!(request_id_for(&app, &at_limit).await, at_limit);

    let too_long = "a".repeat(65);
    for forged in [
        "forged-2 user=bob",
        "id;drop",
        "\"quoted\"",
        too_long.as_str(),
    ] {
        let answered = request_id_for(&app, forged).await;
        assert_ne!(answered, forged, "{forged:?} was taken verbatim");
        assert!(
            answered
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "a fresh id: {answered}"
        );
    }
}

async fn audit_events(admin: &Client, org: &str) -> Vec<String> {
    admin
        .sso_audit(org)
        .await
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn disabling_sso_that_is_already_off_changes_and_records_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, "acme").await;
    let before = audit_events(&alice, "acme").await;
    for _ in 0..2 {
        let res = alice
            .post_json("/api/orgs/acme/sso/disable", json!({}))
            .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
    }
    let after = audit_events(&alice, "acme").await;
    assert_eq!(after, before, "no audit entry for a no-op");
    assert!(!after.iter().any(|e| e == "sso.disabled"), "{after:?}");
}

/// `orgsso sso disable` on an org whose SSO is off says so.
#[tokio::test]
async fn the_operator_is_told_when_sso_was_already_off() {
    let Some(bin) = binary() else { return };
    let place = Place::new().await;
    ok(run(&bin, &["migrate"], &place, &[]), "migrate");
    ok(
        run(
            &bin,
            &[
                "user",
                "create",
                "--username",
                "alice",
                "--email",
                "alice@example.com",
                "--verified",
            ],
            &place,
            &[("ORGSSO_NEW_PASSWORD", PASSWORD)],
        ),
        "user create",
    );
    ok(
        run(
            &bin,
            &["org", "create", "--name", "acme", "--admin", "alice"],
            &place,
            &[],
        ),
        "org create",
    );
    let out = ok(
        run(
            &bin,
            &["sso", "disable", "--org", "acme", "--reason", "drill"],
            &place,
            &[],
        ),
        "sso disable",
    );
    assert!(out.contains("already off"), "{out}");
    assert!(!out.contains("session(s) ended"), "{out}");
}
