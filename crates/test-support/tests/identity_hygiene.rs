//! Emails in one canonical form over the real server: the Unicode and punycode
//! spellings of an address are one address (taken once, logged in with either,
//! matched when an IdP asserts the other), invisible and bidirectional
//! characters are refused naming the field, a domain mixing scripts is refused,
//! and an empty display name falls back to the username.

use orgsso_test_support::honest_sso::{location, OidcOrg, ORG};
use orgsso_test_support::{error_of, json_body, Client, StatusCode, TestApp, PASSWORD};
use serde_json::{json, Value};

const UNICODE: &str = "üser@exämple.com";
const PUNYCODE: &str = "üser@xn--exmple-cua.com";

async fn signup(client: &Client, username: &str, email: &str) -> reqwest::Response {
    client
        .post_json(
            "/api/signup",
            json!({"username": username, "email": email, "password": PASSWORD}),
        )
        .await
}

async fn signup_named(client: &Client, username: &str, display_name: &str) -> reqwest::Response {
    client
        .post_json(
            "/api/signup",
            json!({"username": username, "email": format!("{username}@example.com"),
                   "password": PASSWORD, "display_name": display_name}),
        )
        .await
}

async fn me(client: &Client) -> Value {
    let res = client.get("/api/me").await;
    assert_eq!(res.status(), StatusCode::OK, "GET /api/me");
    json_body(res).await
}

fn addresses(me: &Value) -> Vec<String> {
    me["emails"]
        .as_array()
        .expect("emails")
        .iter()
        .map(|e| e["address"].as_str().expect("address").to_owned())
        .collect()
}

async fn absent(app: &TestApp, username: &str) {
    assert_eq!(
        app.client()
            .get(&format!("/api/users/{username}"))
            .await
            .status(),
        StatusCode::NOT_FOUND,
        "{username} was not created"
    );
}

#[tokio::test]
async fn the_unicode_and_punycode_forms_of_an_address_are_one_address() {
    let app = TestApp::spawn().await;
    let client = app.client();
    assert_eq!(
        signup(&client, "ueser", UNICODE).await.status(),
        StatusCode::CREATED
    );

    // Every other spelling is the same, taken address.
    for (username, other) in [
        ("bob", PUNYCODE),
        ("carol", "ÜSER@EXÄMPLE.COM"),
        ("dave", "u\u{308}ser@exa\u{308}mple.com"),
        ("erin", "üser@XN--EXMPLE-CUA.com"),
    ] {
        let (status, error) = error_of(signup(&client, username, other).await).await;
        assert_eq!(status, StatusCode::CONFLICT, "{other:?}: {error}");
        absent(&app, username).await;
    }

    // Stored and shown in the canonical form; either spelling logs in.
    for login in [UNICODE, PUNYCODE] {
        let mut browser = app.client();
        let res = browser.login(login, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "log in as {login:?}");
        assert_eq!(addresses(&me(&browser).await), [PUNYCODE]);
    }

    // Adding the other spelling to another account is the same conflict.
    let mut bob = app.client();
    assert_eq!(
        signup(&bob, "bob", "bob@example.com").await.status(),
        StatusCode::CREATED
    );
    bob.login("bob", PASSWORD).await;
    // One try: the address's mail budget is shared by every spelling too.
    let (status, _) = error_of(
        bob.post_json(
            "/api/me/emails",
            json!({"email": "Üser@Exa\u{308}mple.com"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(addresses(&me(&bob).await), ["bob@example.com"]);
}

#[tokio::test]
async fn invisible_characters_are_refused_naming_the_field_and_create_nothing() {
    let app = TestApp::spawn().await;
    let client = app.client();
    for (username, email) in [
        ("zwsp", "ali\u{200b}ce@example.com"),
        ("rlo", "\u{202e}alice@example.com"),
        ("bom", "alice\u{feff}@example.com"),
        ("joiner", "al\u{200d}ice@example.com"),
    ] {
        let (status, error) = error_of(signup(&client, username, email).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{email:?}");
        assert_eq!(error["field"], "email", "{email:?}: {error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap_or_default()
                .contains("invisible"),
            "{error}"
        );
        absent(&app, username).await;
    }

    for (username, name) in [
        ("rlo", "\u{202e}gnp.exe"),
        ("zwsp", "Ada\u{200b}"),
        ("isolate", "\u{2066}Ada\u{2069}"),
    ] {
        let (status, error) = error_of(signup_named(&client, username, name).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name:?}");
        assert_eq!(error["field"], "display_name", "{name:?}: {error}");
        absent(&app, username).await;
    }

    // Changing it later is refused the same way, and changes nothing.
    let alice = app.user("alice").await;
    let (status, error) = error_of(
        alice
            .patch_json("/api/me", json!({"display_name": "Alice\u{202e}"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "display_name", "{error}");
    assert_eq!(me(&alice).await["display_name"], "alice");

    let (status, error) = error_of(
        alice
            .post_json(
                "/api/me/emails",
                json!({"email": "work\u{200b}@example.org"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "email", "{error}");
    assert_eq!(addresses(&me(&alice).await), ["alice@example.com"]);
}

#[tokio::test]
async fn a_domain_mixing_scripts_is_refused() {
    let app = TestApp::spawn().await;
    let client = app.client();
    // `а` is Cyrillic; the second is the same domain in punycode.
    for email in ["alice@pаypal.com", "alice@xn--pypal-4ve.com"] {
        let (status, error) = error_of(signup(&client, "alice", email).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{email:?}");
        assert_eq!(error["field"], "email", "{email:?}: {error}");
        assert!(
            error["message"]
                .as_str()
                .unwrap_or_default()
                .contains("mixing Latin and Cyrillic"),
            "{error}"
        );
    }
    absent(&app, "alice").await;
    // A label wholly in one script is fine.
    assert_eq!(
        signup(&client, "ivan", "ivan@пример.com").await.status(),
        StatusCode::CREATED
    );

    // An organization cannot tie its SSO to such a domain either.
    let admin = app.user("admin1").await;
    app.org(&admin, "acme").await;
    let (status, error) = error_of(
        admin
            .post_json(
                "/api/orgs/acme/sso/domains",
                json!({"domain": "pаypal.com"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "domain", "{error}");
}

#[tokio::test]
async fn an_empty_display_name_falls_back_to_the_username() {
    let app = TestApp::spawn().await;
    let client = app.client();
    assert_eq!(
        signup_named(&client, "ada", "  ").await.status(),
        StatusCode::CREATED
    );
    let mut ada = app.client();
    ada.login("ada", PASSWORD).await;
    assert_eq!(me(&ada).await["display_name"], "ada");

    let res = ada
        .patch_json("/api/me", json!({"display_name": "Ada Lovelace"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = ada.patch_json("/api/me", json!({"display_name": ""})).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(me(&ada).await["display_name"], "ada");
}

/// A user signed up with `email` (whose canonical form is `canonical`),
/// verified through the mailed link, signed in to the hub.
async fn user_with(org: &OidcOrg, username: &str, email: &str, canonical: &str) -> Client {
    let mut browser = org.app.client();
    let res = signup(&browser, username, email).await;
    assert_eq!(res.status(), StatusCode::CREATED, "signup {username}");
    let token = org.app.verification_token(canonical).await;
    let res = browser
        .post_json("/api/emails/verify", json!({ "token": token }))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "verify {username}");
    browser.login(username, PASSWORD).await;
    browser
}

/// Starts SSO for acme in `browser`, the IdP asserting `asserted`.
async fn sign_in_as(org: &OidcOrg, browser: &Client, asserted: &str) -> reqwest::Response {
    org.op.set_email(asserted);
    let res = browser.get(&format!("/organizations/{ORG}/sso")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "start SSO");
    orgsso_test_support::hostile_op::through_op(browser, &location(&res)).await
}

#[tokio::test]
async fn an_idp_asserting_the_other_form_of_a_verified_email_signs_in() {
    let org = OidcOrg::new(json!({})).await;
    let user = user_with(&org, "ueser", UNICODE, PUNYCODE).await;
    org.app.add_member(&org.admin, ORG, "ueser", "read").await;
    org.enable("enforced").await;
    // One IdP account (one subject) asserting its address in either form.
    org.op.set_extra_claims(json!({"sub": "sub-ueser"}));

    for asserted in [PUNYCODE, "U\u{308}SER@EXÄMPLE.com"] {
        let res = sign_in_as(&org, &user, asserted).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{asserted:?} signs in");
        assert!(
            !location(&res).contains("error"),
            "{asserted:?}: {}",
            location(&res)
        );
        assert_eq!(
            user.get(&format!("/api/orgs/{ORG}")).await.status(),
            StatusCode::OK,
            "{asserted:?} opened an SSO session"
        );
    }

    // Another address at the same domain still is not theirs.
    let res = sign_in_as(&org, &user, "other@xn--exmple-cua.com").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(org
        .audit_events()
        .await
        .iter()
        .any(|e| e.contains("sso.email_mismatch") && e.contains("other@xn--exmple-cua.com")));
}

#[tokio::test]
async fn an_address_at_an_internationalized_domain_is_in_reach_of_that_domain() {
    let org = OidcOrg::new(json!({})).await;
    let res = org
        .admin
        .post_json(
            &format!("/api/orgs/{ORG}/sso/domains"),
            json!({"domain": "exämple.com"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    // Not a member: only the domain brings them in reach of the gate.
    let user = user_with(&org, "ueser", UNICODE, PUNYCODE).await;
    let domains = json_body(org.admin.get(&format!("/api/orgs/{ORG}/sso/domains")).await).await;
    assert_eq!(domains[0]["domain"], "xn--exmple-cua.com", "{domains}");
    assert_eq!(domains[0]["verified_accounts"], 1, "{domains}");

    org.enable_only("enforced").await;
    let (status, error) = error_of(user.get(&format!("/api/orgs/{ORG}")).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert_eq!(error["code"], "sso_required");
}

/// `orgsso serve` with JSON logs, its standard error in a file: the operator's
/// view of a failed login.
struct JsonLoggedServer {
    child: std::process::Child,
    base_url: String,
    log: std::path::PathBuf,
    _place: orgsso_test_support::operator::Place,
}

impl Drop for JsonLoggedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl JsonLoggedServer {
    async fn start(bin: &std::path::Path) -> JsonLoggedServer {
        use orgsso_test_support::operator::{command, free_port, Place};
        let place = Place::new().await;
        let port = free_port();
        let base_url = format!("http://127.0.0.1:{port}");
        let log = place.data_dir.path().join("serve.log");
        let file = std::fs::File::create(&log).expect("log file");
        let child = command(bin)
            .args(["--log-format", "json", "serve", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["--base-url", &base_url])
            .args(place.args())
            .env("ORGSSO_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn orgsso serve");
        let mut server = JsonLoggedServer {
            child,
            base_url,
            log,
            _place: place,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            if let Some(status) = server.child.try_wait().expect("wait") {
                panic!("orgsso serve exited early ({status}):\n{}", server.log());
            }
            if let Ok(res) = reqwest::get(format!("{}/readyz", server.base_url)).await {
                if res.status().is_success() {
                    return server;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "not ready:\n{}",
                server.log()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The JSON log lines whose message is `message`.
    fn events(&self, message: &str) -> Vec<Value> {
        self.log()
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|v| v["message"] == message)
            .collect()
    }

    async fn login(&self, request_id: &str, login: &str, password: &str) -> StatusCode {
        reqwest::Client::new()
            .post(format!("{}/api/login", self.base_url))
            .header("x-request-id", request_id)
            .json(&json!({"login": login, "password": password}))
            .send()
            .await
            .expect("POST /api/login")
            .status()
    }
}

/// The one event among `events` logged for `request_id`, as a string.
fn event_of(events: &[Value], request_id: &str, log: &str) -> String {
    let found: Vec<String> = events
        .iter()
        .map(Value::to_string)
        .filter(|e| e.contains(request_id))
        .collect();
    assert_eq!(found.len(), 1, "one event for {request_id}:\n{log}");
    found[0].clone()
}

#[tokio::test]
async fn failed_logins_and_lockouts_are_logged_with_the_request_id_and_never_the_password() {
    let Some(bin) = orgsso_test_support::operator::binary() else {
        return;
    };
    let server = JsonLoggedServer::start(&bin).await;
    let res = reqwest::Client::new()
        .post(format!("{}/api/signup", server.base_url))
        .json(&json!({"username": "alice", "email": "alice@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("signup");
    assert_eq!(res.status(), StatusCode::CREATED);

    const GUESS: &str = "tr0ub4dor-guess";
    assert_eq!(
        server.login("rid-wrong-1", "Alice", GUESS).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server
            .login("rid-unknown-2", "mallory\u{202e}@example.com", GUESS)
            .await,
        StatusCode::UNAUTHORIZED
    );
    // Nine more failures lock the name out; the next attempt is throttled.
    for i in 0..9 {
        server
            .login(&format!("rid-lock-{i}"), "alice", &format!("{GUESS}{i}"))
            .await;
    }
    assert_eq!(
        server.login("rid-throttled-3", "alice", GUESS).await,
        StatusCode::TOO_MANY_REQUESTS
    );

    let log = server.log();
    assert!(!log.contains(GUESS), "a password reached the log:\n{log}");
    assert!(
        !log.contains(PASSWORD),
        "a password reached the log:\n{log}"
    );

    let failed = server.events("login failed");
    let wrong = event_of(&failed, "rid-wrong-1", &log);
    assert!(
        wrong.contains(r#""login":"Alice""#) && wrong.contains(r#""reason":"wrong_password""#),
        "{wrong}"
    );
    let unknown = event_of(&failed, "rid-unknown-2", &log);
    assert!(
        unknown.contains(r#""reason":"unknown""#) && unknown.contains(r"mallory\\u{202e}@"),
        "the typed name is logged with its invisible character escaped: {unknown}"
    );
    let locked = event_of(
        &server.events("login name locked out after repeated failures"),
        "rid-lock-8",
        &log,
    );
    assert!(locked.contains(r#""login":"alice""#), "{locked}");
    let throttled = event_of(&server.events("login refused"), "rid-throttled-3", &log);
    assert!(throttled.contains(r#""reason":"throttled""#), "{throttled}");
}

#[test]
fn an_unknown_log_format_is_refused_naming_the_choices() {
    let Some(bin) = orgsso_test_support::operator::binary() else {
        return;
    };
    let out = orgsso_test_support::operator::command(&bin)
        .args([
            "--log-format",
            "yaml",
            "migrate",
            "--data-dir",
            "/nonexistent/orgsso",
        ])
        .output()
        .expect("run orgsso");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--log-format") && stderr.contains("text") && stderr.contains("json"),
        "{stderr}"
    );
}
