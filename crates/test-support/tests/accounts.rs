//! Accounts over real HTTP: sign-up (API and HTML form), email verification,
//! log-in and log-out, emails, password changes, and uniqueness of names.

use orgsso_core::{FixedClock, Timestamp};
use orgsso_test_support::{error_of, json_body, Client, StatusCode, TestApp, PASSWORD};
use serde_json::{json, Value};
use std::sync::Arc;

async fn signup(client: &Client, username: &str, email: &str) -> reqwest::Response {
    client
        .post_json(
            "/api/signup",
            json!({"username": username, "email": email, "password": PASSWORD}),
        )
        .await
}

/// The value of `name` in the response's `Set-Cookie` headers.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
        })
}

/// `POST /api/login` with a login name and password.
async fn api_login(client: &Client, login: &str, password: &str) -> reqwest::Response {
    client
        .post_json("/api/login", json!({"login": login, "password": password}))
        .await
}

/// Submits the HTML login form, as a browser on the login page does.
async fn login_form(browser: &Client, login: &str, password: &str) -> reqwest::Response {
    let csrf = browser.page_csrf("/login").await;
    browser
        .post_form(
            "/login",
            &[
                ("csrf_token", &csrf),
                ("login", login),
                ("password", password),
            ],
        )
        .await
}

async fn me(client: &Client) -> Value {
    let res = client.get("/api/me").await;
    assert_eq!(res.status(), StatusCode::OK, "GET /api/me");
    json_body(res).await
}

async fn email_id(client: &Client, address: &str) -> i64 {
    let me = me(client).await;
    me["emails"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["address"] == address)
        .unwrap_or_else(|| panic!("{address} not in {me}"))["id"]
        .as_i64()
        .unwrap()
}

async fn email_flags(client: &Client, address: &str) -> Option<(bool, bool)> {
    let me = me(client).await;
    me["emails"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["address"] == address)
        .map(|e| {
            (
                e["verified"].as_bool().unwrap(),
                e["primary"].as_bool().unwrap(),
            )
        })
}

#[tokio::test]
async fn signup_through_the_api_mails_a_link_that_verifies_the_email() {
    let app = TestApp::spawn().await;
    let mut client = app.client();
    let res = signup(&client, "Alice", "Alice@Example.com").await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(json_body(res).await["user"]["username"], "alice");

    let res = client.login("alice", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        email_flags(&client, "alice@example.com").await,
        Some((false, true)),
        "unverified until the link is used"
    );

    let token = app.verification_token("alice@example.com").await;
    let res = app
        .client()
        .post_json("/api/emails/verify", json!({"token": token}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        email_flags(&client, "alice@example.com").await,
        Some((true, true))
    );
}

#[tokio::test]
async fn signup_through_the_html_form_logs_the_new_user_in() {
    let app = TestApp::spawn().await;
    let browser = app.client();
    let csrf = browser.page_csrf("/signup").await;
    let res = browser
        .post_form(
            "/signup",
            &[
                ("csrf_token", &csrf),
                ("username", "bob"),
                ("display_name", "Bob B."),
                ("email", "bob@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let me = me(&browser).await;
    assert_eq!(me["username"], "bob");
    assert_eq!(me["display_name"], "Bob B.");
    assert!(
        !app.mails_to("bob@example.com").await.is_empty(),
        "a verification link was mailed"
    );
    let home = browser.get("/").await.text().await.unwrap();
    assert!(home.contains("bob"), "{home}");
}

#[tokio::test]
async fn the_html_signup_form_shows_bad_input_without_creating_anything() {
    let app = TestApp::spawn().await;
    let browser = app.client();
    let csrf = browser.page_csrf("/signup").await;
    let res = browser
        .post_form(
            "/signup",
            &[
                ("csrf_token", &csrf),
                ("username", "b@d"),
                ("email", "bob@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(res.status().is_client_error(), "{}", res.status());
    let page = res.text().await.unwrap();
    assert!(
        page.contains("username"),
        "the page names the field: {page}"
    );
    assert!(
        page.contains("bob@example.com"),
        "the form keeps what was typed"
    );
    assert_eq!(
        browser.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(app.mails_to("bob@example.com").await.is_empty());
}

#[tokio::test]
async fn opening_the_verification_link_asks_before_verifying() {
    let app = TestApp::spawn().await;
    let user = app.user("alice").await;
    let res = user
        .post_json("/api/me/emails", json!({"email": "work@example.org"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let token = app.verification_token("work@example.org").await;

    // A mail scanner fetching the link must not verify the address.
    let browser = app.client();
    let page = browser.get(&format!("/verify-email?token={token}")).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(
        email_flags(&user, "work@example.org").await,
        Some((false, false))
    );

    let csrf = browser
        .page_csrf(&format!("/verify-email?token={token}"))
        .await;
    let res = browser
        .post_form("/verify-email", &[("csrf_token", &csrf), ("token", &token)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        email_flags(&user, "work@example.org").await,
        Some((true, false))
    );
}

#[tokio::test]
async fn a_verification_link_works_only_once() {
    let app = TestApp::spawn().await;
    let client = app.client();
    assert_eq!(
        signup(&client, "alice", "alice@example.com").await.status(),
        StatusCode::CREATED
    );
    let token = app.verification_token("alice@example.com").await;
    assert_eq!(
        client
            .post_json("/api/emails/verify", json!({"token": token}))
            .await
            .status(),
        StatusCode::OK
    );
    let (status, error) = error_of(
        client
            .post_json("/api/emails/verify", json!({"token": token}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], "invalid_link");
}

#[tokio::test]
async fn a_made_up_verification_token_is_a_bad_request() {
    let app = TestApp::spawn().await;
    let client = app.client();
    assert_eq!(
        signup(&client, "alice", "alice@example.com").await.status(),
        StatusCode::CREATED
    );
    for bad in [
        "",
        "nope",
        &"0".repeat(64),
        &"z".repeat(64),
        &"a".repeat(10_000),
    ] {
        let (status, error) = error_of(
            client
                .post_json("/api/emails/verify", json!({"token": bad}))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_eq!(error["code"], "invalid_link", "{bad:?}");
    }
    let mut alice = app.client();
    alice.login("alice", PASSWORD).await;
    assert_eq!(
        email_flags(&alice, "alice@example.com").await,
        Some((false, true)),
        "still unverified"
    );
}

#[tokio::test]
async fn users_log_in_by_username_or_by_any_of_their_emails() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    assert_eq!(
        alice
            .post_json("/api/me/emails", json!({"email": "alice@work.example"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    for login in [
        "alice",
        "ALICE",
        " alice ",
        "alice@example.com",
        "Alice@Example.COM",
        "alice@work.example",
    ] {
        let mut browser = app.client();
        let res = browser.login(login, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "login as {login:?}");
        assert_eq!(json_body(res).await["username"], "alice", "{login:?}");
    }
}

#[tokio::test]
async fn the_html_login_form_starts_a_session() {
    let app = TestApp::spawn().await;
    app.user("alice").await;
    let browser = app.client();
    let res = login_form(&browser, "alice", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/");
    assert_eq!(me(&browser).await["username"], "alice");
    // A logged-in visitor of /login is sent home.
    assert_eq!(browser.get("/login").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn after_logout_the_session_cookie_no_longer_works() {
    let app = TestApp::spawn().await;
    app.user("alice").await;
    let browser = app.client();
    let res = browser
        .post_json(
            "/api/login",
            json!({"login": "alice", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = set_cookie(&res, "orgsso_session").expect("session cookie");
    let csrf = json_body(res).await["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let replay = |cookie: String| {
        let http = reqwest::Client::new();
        let url = format!("{}/api/me", app.base_url);
        async move {
            http.get(url)
                .header("cookie", format!("orgsso_session={cookie}"))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(replay(cookie.clone()).await, StatusCode::OK);

    let res = browser
        .http
        .post(browser.url("/api/logout"))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        set_cookie(&res, "orgsso_session").as_deref(),
        Some(""),
        "the browser is told to drop the cookie"
    );
    assert_eq!(
        browser.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        replay(cookie).await,
        StatusCode::UNAUTHORIZED,
        "the session is gone on the server, not only in the browser"
    );
}

#[tokio::test]
async fn logging_out_through_the_html_form_ends_the_session() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let csrf = alice.page_csrf("/").await;
    let res = alice.post_form("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        alice.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        alice.get("/settings/account").await.status(),
        StatusCode::SEE_OTHER,
        "settings now ask to log in"
    );
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_answer_identically() {
    let app = TestApp::spawn().await;
    app.user("alice").await;
    let client = app.client();
    let attempt = |login: &'static str, password: &'static str| {
        let client = &client;
        async move {
            let res = api_login(client, login, password).await;
            let has_cookie = set_cookie(&res, "orgsso_session").is_some();
            (res.status(), has_cookie, res.text().await.unwrap())
        }
    };
    let wrong_password = attempt("alice", "not the password").await;
    let unknown_user = attempt("mallory", "not the password").await;
    let unknown_email = attempt("mallory@example.com", "not the password").await;
    let malformed_login = attempt("???", "not the password").await;
    assert_eq!(wrong_password.0, StatusCode::UNAUTHORIZED);
    assert!(!wrong_password.1, "no session cookie");
    assert_eq!(unknown_user, wrong_password);
    assert_eq!(unknown_email, wrong_password);
    assert_eq!(malformed_login, wrong_password);

    let browser = app.client();
    let mut statuses = Vec::new();
    for login in ["alice", "mallory"] {
        let res = login_form(&browser, login, "not the password").await;
        statuses.push(res.status());
        let page = res.text().await.unwrap();
        assert!(
            page.contains("incorrect username/email or password"),
            "{page}"
        );
    }
    assert_eq!(
        statuses,
        [StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED]
    );
}

/// After 10 failed logins for one name, even the right password is refused
/// (429 with Retry-After) until the oldest failure is 15 minutes old. An
/// unknown name is held back the same way, so nothing is enumerated; other
/// accounts are not affected.
#[tokio::test]
async fn password_guessing_is_held_back_for_known_and_unknown_names_alike() {
    let clock = Arc::new(FixedClock::new(Timestamp::from_unix(1_800_000_000)));
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    app.user("alice").await;
    app.user("bob").await;
    let client = app.client();
    let attempt = |login: &'static str, password: &'static str| {
        let client = &client;
        async move {
            let res = api_login(client, login, password).await;
            let retry_after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            (res.status(), retry_after, res.text().await.unwrap())
        }
    };
    for _ in 0..10 {
        assert_eq!(attempt("alice", "guess").await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(
            attempt("mallory", "guess").await.0,
            StatusCode::UNAUTHORIZED
        );
        clock.advance(1);
    }
    let held = attempt("alice", PASSWORD).await;
    assert_eq!(held.0, StatusCode::TOO_MANY_REQUESTS, "{}", held.2);
    assert_eq!(
        held.1.as_deref(),
        Some("890"),
        "seconds until the first failure ages out"
    );
    assert!(
        held.2.contains("too many failed sign-in attempts"),
        "{}",
        held.2
    );
    assert_eq!(
        attempt("mallory", "guess").await,
        held,
        "unknown names alike"
    );
    let mut bobs_browser = app.client();
    let res = bobs_browser.login("bob", PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "other accounts are not affected"
    );

    // The login form says the same.
    let res = login_form(&app.client(), "alice", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("try again in 15 minute(s)"));

    clock.advance(890);
    assert_eq!(attempt("alice", PASSWORD).await.0, StatusCode::OK);
}

#[tokio::test]
async fn only_a_verified_email_can_become_primary() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let res = alice
        .post_json("/api/me/emails", json!({"email": "Alice@Work.Example"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let added = json_body(res).await;
    assert_eq!(added["address"], "alice@work.example");
    assert_eq!(added["verified"], false);
    let id = added["id"].as_i64().unwrap();

    let (status, error) = error_of(
        alice
            .post_json(&format!("/api/me/emails/{id}/primary"), json!({}))
            .await,
    )
    .await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(error["code"], "precondition");
    assert_eq!(
        email_flags(&alice, "alice@example.com").await,
        Some((true, true)),
        "primary unchanged"
    );

    let token = app.verification_token("alice@work.example").await;
    assert_eq!(
        app.client()
            .post_json("/api/emails/verify", json!({"token": token}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        alice
            .post_json(&format!("/api/me/emails/{id}/primary"), json!({}))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        email_flags(&alice, "alice@work.example").await,
        Some((true, true))
    );
    assert_eq!(
        email_flags(&alice, "alice@example.com").await,
        Some((true, false))
    );
}

#[tokio::test]
async fn the_primary_email_cannot_be_removed_but_others_can() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    assert_eq!(
        alice
            .post_json("/api/me/emails", json!({"email": "old@example.org"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    let primary = email_id(&alice, "alice@example.com").await;
    let other = email_id(&alice, "old@example.org").await;

    let (status, error) = error_of(alice.delete(&format!("/api/me/emails/{primary}")).await).await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(error["code"], "precondition");
    assert!(
        email_flags(&alice, "alice@example.com").await.is_some(),
        "still there"
    );

    assert_eq!(
        alice
            .delete(&format!("/api/me/emails/{other}"))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(email_flags(&alice, "old@example.org").await, None);
    // The removed address is free again.
    let bob = app.client();
    assert_eq!(
        signup(&bob, "bob", "old@example.org").await.status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn another_user_cannot_touch_my_emails() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    assert_eq!(
        alice
            .post_json("/api/me/emails", json!({"email": "second@example.org"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    let id = email_id(&alice, "second@example.org").await;
    assert_eq!(
        bob.delete(&format!("/api/me/emails/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.post_json(&format!("/api/me/emails/{id}/resend"), json!({}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        email_flags(&alice, "second@example.org").await,
        Some((false, false))
    );
    assert_eq!(
        app.mails_to("second@example.org").await.len(),
        1,
        "no mail sent on bob's behalf"
    );
}

#[tokio::test]
async fn resending_mails_a_fresh_link_for_unverified_emails_only() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    assert_eq!(
        alice
            .post_json("/api/me/emails", json!({"email": "late@example.org"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    let id = email_id(&alice, "late@example.org").await;
    assert_eq!(app.mails_to("late@example.org").await.len(), 1);

    assert_eq!(
        alice
            .post_json(&format!("/api/me/emails/{id}/resend"), json!({}))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.mails_to("late@example.org").await.len(), 2);
    let token = app.verification_token("late@example.org").await;
    assert_eq!(
        app.client()
            .post_json("/api/emails/verify", json!({"token": token}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        email_flags(&alice, "late@example.org").await,
        Some((true, false))
    );

    let (status, error) = error_of(
        alice
            .post_json(&format!("/api/me/emails/{id}/resend"), json!({}))
            .await,
    )
    .await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(error["code"], "precondition");
    assert_eq!(
        app.mails_to("late@example.org").await.len(),
        2,
        "no mail for a verified address"
    );
}

#[tokio::test]
async fn emails_are_managed_through_the_html_settings_page() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let csrf = alice.page_csrf("/settings/emails").await;
    let res = alice
        .post_form(
            "/settings/emails",
            &[("csrf_token", &csrf), ("email", "page@example.org")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = alice.get("/settings/emails").await.text().await.unwrap();
    assert!(page.contains("page@example.org"), "{page}");
    let id = email_id(&alice, "page@example.org").await;
    let res = alice
        .post_form(
            &format!("/settings/emails/{id}/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(email_flags(&alice, "page@example.org").await, None);
}

#[tokio::test]
async fn changing_the_password_logs_out_other_sessions_but_keeps_this_one() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let mut elsewhere = app.client();
    assert_eq!(
        elsewhere.login("alice", PASSWORD).await.status(),
        StatusCode::OK
    );

    let res = alice
        .post_json(
            "/api/me/password",
            json!({"current_password": PASSWORD, "new_password": "a brand new secret"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        alice.get("/api/me").await.status(),
        StatusCode::OK,
        "the current session survives"
    );
    assert_eq!(
        elsewhere.get("/api/me").await.status(),
        StatusCode::UNAUTHORIZED,
        "other sessions end"
    );

    assert_eq!(
        app.client().login("alice", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "old password"
    );
    assert_eq!(
        app.client()
            .login("alice", "a brand new secret")
            .await
            .status(),
        StatusCode::OK,
        "new password"
    );
}

#[tokio::test]
async fn a_wrong_current_password_changes_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let mut elsewhere = app.client();
    elsewhere.login("alice", PASSWORD).await;
    let (status, error) = error_of(
        alice
            .post_json(
                "/api/me/password",
                json!({"current_password": "guess guess", "new_password": "a brand new secret"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "current_password");
    assert_eq!(elsewhere.get("/api/me").await.status(), StatusCode::OK);
    assert_eq!(
        app.client().login("alice", PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.client()
            .login("alice", "a brand new secret")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Guessing the current password from a session counts against the same
/// budget as guessing it at the login form.
#[tokio::test]
async fn guessing_the_current_password_is_held_back_too() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let change = |current: &'static str| {
        let alice = &alice;
        async move {
            alice
                .post_json(
                    "/api/me/password",
                    json!({"current_password": current, "new_password": "a brand new secret"}),
                )
                .await
                .status()
        }
    };
    for _ in 0..10 {
        assert_eq!(
            change("guess guess").await,
            StatusCode::UNPROCESSABLE_ENTITY
        );
    }
    assert_eq!(change(PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.client().login("alice", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Nothing changed: the old password still works by email, a separate name.
    assert_eq!(
        app.client()
            .login("alice@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_html_password_form_changes_the_password() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let csrf = alice.page_csrf("/settings/account").await;
    let res = alice
        .post_form(
            "/settings/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", PASSWORD),
                ("new_password", "changed on the page"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(alice.get("/api/me").await.status(), StatusCode::OK);
    assert_eq!(
        app.client()
            .login("alice", "changed on the page")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_duplicate_username_is_a_conflict_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let client = app.client();
    assert_eq!(
        signup(&client, "alice", "alice@example.com").await.status(),
        StatusCode::CREATED
    );
    for taken in ["alice", "ALICE", " Alice "] {
        let (status, error) = error_of(signup(&client, taken, "other@example.com").await).await;
        assert_eq!(status, StatusCode::CONFLICT, "{taken:?}");
        assert_eq!(error["code"], "conflict");
    }
    assert!(
        app.mails_to("other@example.com").await.is_empty(),
        "no mail for a refused sign-up"
    );
    // The email of the refused sign-up was not kept.
    assert_eq!(
        signup(&client, "carol", "other@example.com").await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.client().login("alice", PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_duplicate_email_is_a_conflict_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let client = app.client();
    assert_eq!(
        signup(&client, "alice", "alice@example.com").await.status(),
        StatusCode::CREATED
    );
    let (status, _) = error_of(signup(&client, "dave", "ALICE@example.com").await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        app.client().get("/api/users/dave").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        signup(&client, "dave", "dave@example.com").await.status(),
        StatusCode::CREATED,
        "the username is still free"
    );

    // Adding an address another account has is a conflict too.
    let mut dave = app.client();
    dave.login("dave", PASSWORD).await;
    let (status, _) = error_of(
        dave.post_json("/api/me/emails", json!({"email": "alice@example.com"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(me(&dave).await["emails"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn usernames_and_organization_names_share_one_namespace() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, "acme").await;

    let (status, _) = error_of(signup(&app.client(), "acme", "acme@example.com").await).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a username may not take an org's name"
    );
    let (status, _) = error_of(alice.post_json("/api/orgs", json!({"name": "Alice"})).await).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "an org may not take a user's name"
    );
    assert_eq!(
        app.client().get("/api/orgs/alice").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.client().get("/api/users/acme").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        json_body(app.client().get("/api/users/alice").await).await["username"],
        "alice"
    );
}

#[tokio::test]
async fn the_display_name_can_be_changed() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let res = alice
        .patch_json("/api/me", json!({"display_name": "Alice Liddell"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        json_body(app.client().get("/api/users/alice").await).await["display_name"],
        "Alice Liddell"
    );
}
