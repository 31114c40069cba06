//! CSRF, bad input, redirects and cookies over real HTTP: refused requests
//! change nothing, bad fields are named, and no input yields a 500.

use orgsso_test_support::{error_of, json_body, Client, StatusCode, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

async fn org_exists(app: &TestApp, name: &str) -> bool {
    app.client()
        .get(&format!("/api/orgs/{name}"))
        .await
        .status()
        == StatusCode::OK
}

#[tokio::test]
async fn html_forms_without_or_with_a_wrong_csrf_token_are_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let real = alice.page_csrf("/organizations/new").await;
    let wrong = "0".repeat(64);
    for token in [
        None,
        Some(""),
        Some(wrong.as_str()),
        Some(&real[..real.len() - 1]),
    ] {
        let mut fields = vec![("name", "forged"), ("display_name", "Forged")];
        if let Some(token) = token {
            fields.push(("csrf_token", token));
        }
        let res = alice.post_form("/organizations", &fields).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "csrf_token {token:?}");
        assert!(!org_exists(&app, "forged").await, "csrf_token {token:?}");
    }
    // Other state-changing forms too.
    let forged = [
        (
            "/settings/tokens",
            vec![("name", "stolen"), ("scope", "write")],
        ),
        ("/settings/emails", vec![("email", "evil@example.org")]),
        ("/settings/account", vec![("display_name", "Hacked")]),
        (
            "/settings/password",
            vec![
                ("current_password", "correct horse battery"),
                ("new_password", "hacked hacked"),
            ],
        ),
        (
            "/new",
            vec![
                ("owner", "alice"),
                ("kind", "model"),
                ("name", "forged"),
                ("visibility", "public"),
            ],
        ),
        ("/logout", vec![]),
    ];
    for (path, fields) in forged {
        let mut fields = fields;
        fields.push(("csrf_token", &wrong));
        assert_eq!(
            alice.post_form(path, &fields).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let me = json_body(alice.get("/api/me").await).await;
    assert_eq!(me["display_name"], "alice");
    assert_eq!(me["emails"].as_array().unwrap().len(), 1);
    assert!(json_body(alice.get("/api/me/tokens").await)
        .await
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        alice.get("/api/repos/model/alice/forged").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.client()
            .login("alice", "correct horse battery")
            .await
            .status(),
        StatusCode::OK,
        "password unchanged"
    );
}

#[tokio::test]
async fn a_csrf_token_from_another_session_is_refused() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let mallory = app.user("mallory").await;
    let mallorys = mallory.page_csrf("/organizations/new").await;
    let res = alice
        .post_form(
            "/organizations",
            &[("csrf_token", &mallorys), ("name", "forged")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!org_exists(&app, "forged").await);
}

#[tokio::test]
async fn anonymous_forms_need_the_double_submit_token() {
    let app = TestApp::spawn().await;
    app.user("alice").await;
    let browser = app.client();
    let res = browser
        .post_form(
            "/login",
            &[("login", "alice"), ("password", "correct horse battery")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "login without a token");
    assert_eq!(
        browser.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let res = browser
        .post_form(
            "/signup",
            &[
                ("csrf_token", &"f".repeat(64)),
                ("username", "eve"),
                ("email", "eve@example.com"),
                ("password", "correct horse battery"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "signup with a token that is not the cookie's"
    );
    assert_eq!(
        app.client().get("/api/users/eve").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn cookie_authenticated_api_writes_need_the_csrf_header() {
    let app = TestApp::spawn().await;
    let mut alice = app.user("alice").await;
    app.org(&alice, "acme").await;
    let real = alice.csrf.take().unwrap();
    let writes = [
        (Method::POST, "/api/orgs", json!({"name": "forged"})),
        (
            Method::PATCH,
            "/api/orgs/acme",
            json!({"default_role": "admin"}),
        ),
        (
            Method::POST,
            "/api/repos",
            json!({"owner": "alice", "kind": "model", "name": "forged"}),
        ),
        (
            Method::POST,
            "/api/me/tokens",
            json!({"name": "stolen", "scope": "write"}),
        ),
        (Method::PATCH, "/api/me", json!({"display_name": "Hacked"})),
        (
            Method::POST,
            "/api/me/password",
            json!({"current_password": "correct horse battery", "new_password": "hacked hacked"}),
        ),
        (Method::POST, "/api/logout", json!({})),
    ];
    for wrong in [None, Some("nope".to_owned()), Some("0".repeat(64))] {
        alice.csrf = wrong.clone();
        for (method, path, body) in &writes {
            let (status, error) =
                error_of(alice.send_json(method.clone(), path, body.clone()).await).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {path} with {wrong:?}"
            );
            assert_eq!(error["code"], "csrf");
        }
        let res = alice
            .http
            .delete(alice.url("/api/orgs/acme/members/alice"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }
    alice.csrf = Some(real);
    assert!(!org_exists(&app, "forged").await);
    assert_eq!(
        json_body(alice.get("/api/orgs/acme").await).await["default_role"],
        "read"
    );
    assert_eq!(
        alice.get("/api/repos/model/alice/forged").await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(json_body(alice.get("/api/me/tokens").await)
        .await
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        json_body(alice.get("/api/me").await).await["display_name"],
        "alice",
        "still logged in, unchanged"
    );
    assert_eq!(
        alice.role_of("acme", "alice").await.as_deref(),
        Some("admin")
    );
    // With the header, the same write works.
    assert_eq!(
        alice
            .post_json("/api/orgs", json!({"name": "real"}))
            .await
            .status(),
        StatusCode::CREATED
    );
}

/// (method, path, body, field the error must name)
fn bad_inputs() -> Vec<(Method, &'static str, Value, &'static str)> {
    let long = "a".repeat(40);
    let huge_readme = "x".repeat(256 * 1024 + 1);
    let signup = |username: &str, email: &str, password: &str| json!({"username": username, "email": email, "password": password});
    let repo = |owner: &str, kind: &str, name: &str, visibility: &str| json!({"owner": owner, "kind": kind, "name": name, "visibility": visibility});
    vec![
        (
            Method::POST,
            "/api/signup",
            signup("", "new@example.com", "long enough pw"),
            "username",
        ),
        (
            Method::POST,
            "/api/signup",
            signup(&long, "new@example.com", "long enough pw"),
            "username",
        ),
        (
            Method::POST,
            "/api/signup",
            signup("bad name", "new@example.com", "long enough pw"),
            "username",
        ),
        (
            Method::POST,
            "/api/signup",
            signup("bad/name", "new@example.com", "long enough pw"),
            "username",
        ),
        (
            Method::POST,
            "/api/signup",
            signup("-dash", "new@example.com", "long enough pw"),
            "username",
        ),
        (
            Method::POST,
            "/api/signup",
            signup("ünïcode", "new@example.com", "long enough pw"),
            "username",
        ),
        (
            Method::POST,
            "/api/signup",
            signup("settings", "new@example.com", "long enough pw"),
            "username",
        ),
        (
            Method::POST,
            "/api/signup",
            signup("newbie", "", "long enough pw"),
            "email",
        ),
        (
            Method::POST,
            "/api/signup",
            signup("newbie", "not-an-email", "long enough pw"),
            "email",
        ),
        (
            Method::POST,
            "/api/signup",
            signup("newbie", "a@b", "long enough pw"),
            "email",
        ),
        (
            Method::POST,
            "/api/signup",
            signup(
                "newbie",
                &format!("{}@example.com", "a".repeat(300)),
                "long enough pw",
            ),
            "email",
        ),
        (
            Method::POST,
            "/api/signup",
            signup("newbie", "new@example.com", ""),
            "password",
        ),
        (
            Method::POST,
            "/api/signup",
            signup("newbie", "new@example.com", "short"),
            "password",
        ),
        (
            Method::POST,
            "/api/signup",
            signup("newbie", "new@example.com", &"p".repeat(300)),
            "password",
        ),
        (
            Method::POST,
            "/api/signup",
            json!({"username": "newbie", "email": "new@example.com", "password": "long enough pw", "display_name": "x".repeat(101)}),
            "display_name",
        ),
        (
            Method::POST,
            "/api/signup",
            json!({"username": "newbie", "email": "new@example.com", "password": "long enough pw", "display_name": "nul\u{0}"}),
            "display_name",
        ),
        (Method::POST, "/api/orgs", json!({"name": ""}), "name"),
        (Method::POST, "/api/orgs", json!({"name": long}), "name"),
        (
            Method::POST,
            "/api/orgs",
            json!({"name": "bad org"}),
            "name",
        ),
        (Method::POST, "/api/orgs", json!({"name": "api"}), "name"),
        (
            Method::POST,
            "/api/orgs",
            json!({"name": "fine", "display_name": "x".repeat(101)}),
            "display_name",
        ),
        (
            Method::PATCH,
            "/api/orgs/acme",
            json!({"default_role": "owner"}),
            "default_role",
        ),
        (
            Method::PATCH,
            "/api/orgs/acme",
            json!({"default_role": ""}),
            "default_role",
        ),
        (
            Method::PATCH,
            "/api/orgs/acme",
            json!({"display_name": "bell\u{7}"}),
            "display_name",
        ),
        (
            Method::POST,
            "/api/orgs/acme/members",
            json!({"username": "bob", "role": "owner"}),
            "role",
        ),
        (
            Method::POST,
            "/api/orgs/acme/members",
            json!({"username": "bob", "role": "Admin"}),
            "role",
        ),
        (
            Method::POST,
            "/api/orgs/acme/members",
            json!({"username": "", "role": "read"}),
            "username",
        ),
        (
            Method::POST,
            "/api/orgs/acme/members",
            json!({"username": "b@d", "role": "read"}),
            "username",
        ),
        (
            Method::PATCH,
            "/api/orgs/acme/members/alice",
            json!({"role": "superuser"}),
            "role",
        ),
        (
            Method::POST,
            "/api/repos",
            repo("alice", "checkpoint", "r1", "public"),
            "kind",
        ),
        (
            Method::POST,
            "/api/repos",
            repo("alice", "", "r1", "public"),
            "kind",
        ),
        (
            Method::POST,
            "/api/repos",
            repo("alice", "model", "", "public"),
            "name",
        ),
        (
            Method::POST,
            "/api/repos",
            repo("alice", "model", "bad name", "public"),
            "name",
        ),
        (
            Method::POST,
            "/api/repos",
            repo("alice", "model", &"r".repeat(97), "public"),
            "name",
        ),
        (
            Method::POST,
            "/api/repos",
            repo("alice", "model", "../etc", "public"),
            "name",
        ),
        (
            Method::POST,
            "/api/repos",
            repo("alice", "model", "r1", "secret"),
            "visibility",
        ),
        (
            Method::POST,
            "/api/repos",
            repo("alice", "model", "r1", ""),
            "visibility",
        ),
        (
            Method::POST,
            "/api/repos",
            repo("", "model", "r1", "public"),
            "owner",
        ),
        (
            Method::POST,
            "/api/repos",
            json!({"owner": "alice", "kind": "model", "name": "r1", "readme": huge_readme}),
            "readme",
        ),
        (
            Method::POST,
            "/api/repos",
            json!({"owner": "alice", "kind": "model", "name": "r1", "readme": "bell\u{7}"}),
            "readme",
        ),
        (
            Method::PATCH,
            "/api/repos/model/alice/existing",
            json!({"visibility": "hidden"}),
            "visibility",
        ),
        (
            Method::PATCH,
            "/api/repos/model/alice/existing",
            json!({"readme": "y".repeat(256 * 1024 + 1)}),
            "readme",
        ),
        (
            Method::POST,
            "/api/me/tokens",
            json!({"name": "", "scope": "read"}),
            "name",
        ),
        (
            Method::POST,
            "/api/me/tokens",
            json!({"name": "t", "scope": "admin"}),
            "scope",
        ),
        (
            Method::POST,
            "/api/me/emails",
            json!({"email": "nope"}),
            "email",
        ),
        (
            Method::POST,
            "/api/me/emails",
            json!({"email": ""}),
            "email",
        ),
        (
            Method::PATCH,
            "/api/me",
            json!({"display_name": "x".repeat(101)}),
            "display_name",
        ),
        (
            Method::POST,
            "/api/me/password",
            json!({"current_password": "correct horse battery", "new_password": "short"}),
            "new_password",
        ),
    ]
}

/// What the state looks like to alice, to check that refused requests changed nothing.
async fn snapshot(alice: &Client) -> Vec<Value> {
    let mut parts = Vec::new();
    for path in [
        "/api/me",
        "/api/me/tokens",
        "/api/me/orgs",
        "/api/orgs/acme",
        "/api/orgs/acme/members",
        "/api/repos/alice",
        "/api/repos/acme",
    ] {
        let mut body = json_body(alice.get(path).await).await;
        if path == "/api/me" {
            body.as_object_mut().unwrap().remove("csrf_token");
        }
        parts.push(body);
    }
    parts
}

#[tokio::test]
async fn bad_fields_are_refused_naming_the_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    app.org(&alice, "acme").await;
    let res = alice
        .post_json(
            "/api/repos",
            json!({"owner": "alice", "kind": "model", "name": "existing", "readme": "keep"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let before = snapshot(&alice).await;
    let outbox_before = app.store.outbox(1000).await.unwrap().len();

    for (method, path, body, field) in bad_inputs() {
        let shown: String = body.to_string().chars().take(120).collect();
        let client = if path == "/api/signup" {
            app.client()
        } else {
            alice.clone_session()
        };
        let (status, error) = error_of(client.send_json(method.clone(), path, body).await).await;
        assert!(
            status.is_client_error(),
            "{method} {path} {shown}: {status}"
        );
        assert_eq!(error["field"], field, "{method} {path} {shown}: {error}");
        assert!(
            !error["message"].as_str().unwrap_or("").is_empty(),
            "{method} {path} {shown}: {error}"
        );
    }
    assert_eq!(snapshot(&alice).await, before, "nothing changed");
    assert_eq!(
        app.store.outbox(1000).await.unwrap().len(),
        outbox_before,
        "no mail sent"
    );
    assert_eq!(
        app.client().get("/api/users/newbie").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.client()
            .login("alice", "correct horse battery")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn missing_or_mistyped_json_fields_are_a_client_error_naming_the_field() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let cases = [
        (
            "/api/signup",
            json!({"email": "x@example.com", "password": "long enough pw"}),
            "username",
        ),
        (
            "/api/signup",
            json!({"username": 42, "email": "x@example.com", "password": "long enough pw"}),
            "username",
        ),
        ("/api/orgs", json!({}), "name"),
        ("/api/repos", json!({"owner": "alice", "name": "r"}), "kind"),
        ("/api/me/tokens", json!({"name": "t"}), "scope"),
        (
            "/api/orgs/acme/members",
            json!({"role": "read"}),
            "username",
        ),
    ];
    app.org(&alice, "acme").await;
    for (path, body, field) in cases {
        let client = if path == "/api/signup" {
            app.client()
        } else {
            alice.clone_session()
        };
        let (status, error) = error_of(client.post_json(path, body.clone()).await).await;
        assert!(status.is_client_error(), "{path} {body}: {status}");
        let named =
            error["field"] == field || error["message"].as_str().unwrap_or("").contains(field);
        assert!(
            named,
            "{path} {body}: the error should name {field}: {error}"
        );
    }
}

#[tokio::test]
async fn malformed_bodies_are_client_errors_never_500() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, "acme").await;
    let creates = [
        "/api/signup",
        "/api/login",
        "/api/emails/verify",
        "/api/orgs",
        "/api/orgs/acme/members",
        "/api/repos",
        "/api/me/tokens",
        "/api/me/emails",
        "/api/me/password",
    ];
    let bodies: [(&str, Vec<u8>); 7] = [
        ("application/json", b"{not json".to_vec()),
        ("application/json", b"".to_vec()),
        ("application/json", b"[1,2,3]".to_vec()),
        ("application/json", b"null".to_vec()),
        ("application/json", vec![0xff, 0xfe, 0x00]),
        ("text/plain", br#"{"name":"x"}"#.to_vec()),
        ("application/x-www-form-urlencoded", b"name=x".to_vec()),
    ];
    for path in creates {
        for (content_type, body) in &bodies {
            let res = alice
                .send_raw(Method::POST, path, content_type, body.clone())
                .await;
            let status = res.status();
            assert!(
                status.is_client_error(),
                "{path} {content_type} {body:?}: {status}"
            );
            let (_, error) = error_of(res).await;
            assert!(error["message"].is_string(), "{path}: {error}");
        }
    }
    // A body far over the limit is refused too, without a 500.
    let huge = format!(
        r#"{{"owner":"alice","kind":"model","name":"big","readme":"{}"}}"#,
        "x".repeat(3 * 1024 * 1024)
    );
    let status = alice
        .send_raw(Method::POST, "/api/repos", "application/json", huge)
        .await
        .status();
    assert!(status.is_client_error(), "{status}");
    assert_eq!(
        alice.get("/api/repos/model/alice/big").await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(!org_exists(&app, "x").await);
}

#[tokio::test]
async fn html_forms_with_bad_input_answer_4xx_never_500() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, "acme").await;
    let csrf = alice.page_csrf("/").await;
    let huge = "x".repeat(256 * 1024 + 1);
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("/organizations", vec![("name", "bad org")]),
        ("/organizations", vec![("name", "")]),
        (
            "/organizations/acme/members",
            vec![("username", "nobody"), ("role", "read")],
        ),
        (
            "/organizations/acme/members",
            vec![("username", "alice"), ("role", "owner")],
        ),
        (
            "/organizations/acme/members/alice/role",
            vec![("role", "owner")],
        ),
        (
            "/organizations/acme/settings",
            vec![("display_name", "A"), ("default_role", "owner")],
        ),
        (
            "/new",
            vec![
                ("owner", "alice"),
                ("kind", "model"),
                ("name", "bad name"),
                ("visibility", "public"),
            ],
        ),
        (
            "/new",
            vec![
                ("owner", "alice"),
                ("kind", "widget"),
                ("name", "r"),
                ("visibility", "public"),
            ],
        ),
        (
            "/new",
            vec![
                ("owner", "alice"),
                ("kind", "model"),
                ("name", "r"),
                ("visibility", "public"),
                ("readme", &huge),
            ],
        ),
        (
            "/new",
            vec![
                ("owner", "nobody-here"),
                ("kind", "model"),
                ("name", "r"),
                ("visibility", "public"),
            ],
        ),
        ("/settings/emails", vec![("email", "nope")]),
        ("/settings/tokens", vec![("name", ""), ("scope", "read")]),
        ("/settings/tokens", vec![("name", "t"), ("scope", "root")]),
        ("/settings/account", vec![("display_name", &huge)]),
        (
            "/settings/password",
            vec![
                ("current_password", "wrong"),
                ("new_password", "whatever long"),
            ],
        ),
        ("/settings/emails/999999/delete", vec![]),
        ("/settings/emails/not-a-number/delete", vec![]),
        ("/settings/tokens/999999/delete", vec![]),
    ];
    for (path, fields) in cases {
        let mut fields = fields;
        fields.push(("csrf_token", &csrf));
        let res = alice.post_form(path, &fields).await;
        assert!(res.status().is_client_error(), "{path}: {}", res.status());
    }
    // Repeated and unknown fields do not crash the form parser either.
    let res = alice
        .http
        .post(alice.url("/organizations"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={csrf}&name=a&name=b&zzz=1"))
        .send()
        .await
        .unwrap();
    assert!(res.status().as_u16() < 500, "{}", res.status());
    assert_eq!(
        json_body(alice.get("/api/me/orgs").await)
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(json_body(alice.get("/api/repos/alice").await)
        .await
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn odd_paths_and_methods_never_answer_500() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    for path in [
        "/api/repos/model/alice/%00",
        "/api/repos/widget/alice/x",
        "/api/repos/model/nobody/x",
        "/api/orgs/%2e%2e",
        "/api/orgs/x/members/y",
        "/api/users/%ff",
        "/api/me/emails/abc",
        "/models/a/b",
        "/widgets/a/b",
        "/organizations/---",
        "/users/..",
        "/verify-email?token=%00",
        "/login?next=%0d%0a",
    ] {
        for client in [&alice, &app.client()] {
            let status = client.get(path).await.status();
            assert!(status.as_u16() < 500, "GET {path}: {status}");
        }
    }
    for method in [Method::PUT, Method::DELETE, Method::PATCH] {
        let status = alice.send(method.clone(), "/api/orgs").await.status();
        assert!(status.is_client_error(), "{method} /api/orgs: {status}");
    }
}

#[tokio::test]
async fn login_never_redirects_to_another_site() {
    let app = TestApp::spawn().await;
    app.user("alice").await;
    for (next, expected) in [
        ("https://evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        ("/models/acme/bert?tab=1", "/models/acme/bert?tab=1"),
    ] {
        let browser = app.client();
        let csrf = browser
            .page_csrf(&format!("/login?next={}", urlencode(next)))
            .await;
        let res = browser
            .post_form(
                "/login",
                &[
                    ("csrf_token", &csrf),
                    ("login", "alice"),
                    ("password", "correct horse battery"),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(res.headers()["location"], expected, "{next:?}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn cookies_are_http_only_and_same_site_lax() {
    let app = TestApp::spawn().await;
    app.user("alice").await;
    let browser = app.client();
    let mut seen = Vec::new();
    seen.extend(set_cookies(&browser.get("/login").await));
    let res = browser
        .post_json(
            "/api/login",
            json!({"login": "alice", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    seen.extend(set_cookies(&res));
    let html = app.client();
    let csrf = html.page_csrf("/login").await;
    seen.extend(set_cookies(
        &html
            .post_form(
                "/login",
                &[
                    ("csrf_token", &csrf),
                    ("login", "alice"),
                    ("password", "correct horse battery"),
                ],
            )
            .await,
    ));
    assert!(
        seen.iter().any(|c| c.starts_with("orgsso_session=")),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|c| c.starts_with("orgsso_csrf=")),
        "{seen:?}"
    );
    for cookie in &seen {
        let attrs: Vec<String> = cookie
            .split(';')
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        assert!(attrs.contains(&"httponly".to_owned()), "{cookie}");
        assert!(attrs.contains(&"samesite=lax".to_owned()), "{cookie}");
        assert!(attrs.contains(&"path=/".to_owned()), "{cookie}");
        assert!(
            !attrs.contains(&"secure".to_owned()),
            "plain http base URL: {cookie}"
        );
    }
}

#[tokio::test]
async fn a_bogus_session_cookie_is_anonymous() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    assert_eq!(alice.post_json("/api/repos", json!({"owner": "alice", "kind": "model", "name": "hidden", "visibility": "private"})).await.status(), StatusCode::CREATED);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for bogus in [
        "x",
        &"0".repeat(64),
        &"a".repeat(10_000),
        "%00%ff",
        "\"quoted\"",
    ] {
        let get = |path: &str| {
            http.get(format!("{}{path}", app.base_url))
                .header("cookie", format!("orgsso_session={bogus}"))
        };
        let me = get("/api/me").send().await.unwrap();
        assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "{bogus:?}");
        assert_eq!(
            get("/api/repos/model/alice/hidden")
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::NOT_FOUND,
            "{bogus:?}"
        );
        let home = get("/").send().await.unwrap();
        assert_eq!(home.status(), StatusCode::OK);
        assert!(
            home.text().await.unwrap().contains("href=\"/login\""),
            "{bogus:?}: the page offers to log in"
        );
        let write = http
            .post(format!("{}/api/orgs", app.base_url))
            .header("cookie", format!("orgsso_session={bogus}"))
            .json(&json!({"name": "bogusco"}))
            .send()
            .await
            .unwrap();
        assert_eq!(write.status(), StatusCode::UNAUTHORIZED, "{bogus:?}");
    }
    assert!(!org_exists(&app, "bogusco").await);
}
