//! `TestApp::spawn()`: the real orgsso server, built exactly as `orgsso serve`
//! builds it, on a random loopback port, over a temporary SQLite file or,
//! when `ORGSSO_TEST_DATABASE_URL` is set, a fresh PostgreSQL schema.
//! `Client` speaks HTTP to it with its own cookie jar, like one browser.

use orgsso::{App, Config};
use orgsso_core::{Clock, SystemClock};
use orgsso_store::Store;
use serde_json::{json, Value};
use std::sync::Arc;

pub use reqwest::StatusCode;
pub mod honest_sso;
pub mod hostile_op;
pub mod oidc_provider;
pub mod operator;
pub mod simplesamlphp;

pub struct TestApp {
    pub base_url: String,
    pub store: Arc<dyn Store>,
    _data_dir: tempfile::TempDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Skips a test whose third-party peer (IdP, browser, built binary) is not
/// installed here, saying why; fails it instead when
/// `ORGSSO_TEST_REQUIRE_PEERS` is set, as the test command sets it after
/// installing them, so a missing peer can never pass unnoticed.
pub fn skip_without_peer(why: &str) {
    assert!(
        std::env::var_os("ORGSSO_TEST_REQUIRE_PEERS").is_none(),
        "ORGSSO_TEST_REQUIRE_PEERS is set but a peer is missing: {why}"
    );
    eprintln!("skipped: {why}");
}

/// Which backend tests run on in this process.
pub fn backend() -> &'static str {
    if std::env::var("ORGSSO_TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with_clock(Arc::new(SystemClock)).await
    }

    pub async fn spawn_with_clock(clock: Arc<dyn Clock>) -> TestApp {
        Self::spawn_inner(clock, "127.0.0.1", |_| {}).await
    }

    /// Serves on loopback but names itself `http://{host}:{port}`: a browser
    /// then treats it as another site than an IdP on `127.0.0.1`.
    pub async fn spawn_at_host(host: &str) -> TestApp {
        Self::spawn_inner(Arc::new(SystemClock), host, |_| {}).await
    }

    /// The server with some of the operator's settings changed by `configure`.
    pub async fn spawn_configured(configure: impl FnOnce(&mut Config)) -> TestApp {
        Self::spawn_inner(Arc::new(SystemClock), "127.0.0.1", configure).await
    }

    async fn spawn_inner(
        clock: Arc<dyn Clock>,
        host: &str,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let store: Arc<dyn Store> = match std::env::var("ORGSSO_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                let store = orgsso_store_postgres::PostgresStore::connect_fresh_schema(&url)
                    .await
                    .expect("postgres schema");
                store.migrate().await.expect("migrate postgres");
                Arc::new(store)
            }
            _ => {
                let url = format!("sqlite://{}", data_dir.path().join("orgsso.db").display());
                let store = orgsso_store_sqlite::SqliteStore::connect(&url)
                    .await
                    .expect("sqlite");
                store.migrate().await.expect("migrate sqlite");
                Arc::new(store)
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let base_url = format!("http://{host}:{port}");
        let mut config = Config {
            listen: format!("127.0.0.1:{port}"),
            base_url: base_url.clone(),
            data_dir: data_dir.path().to_path_buf(),
            database_url: None,
            smtp_url: None,
            secrets_key: None,
            mail_from: "orgsso <noreply@localhost>".into(),
            sso_block_private_networks: false,
            password_hash_workers: None,
            password_hash_queue: 16,
            header_read_timeout: std::time::Duration::from_secs(10),
            request_body_timeout: std::time::Duration::from_secs(30),
            idle_timeout: std::time::Duration::from_secs(60),
            max_connections: 512,
            shutdown_timeout: std::time::Duration::from_secs(30),
        };
        configure(&mut config);
        let app = App::with_store(config, store.clone(), clock).expect("app");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = app
                .serve(listener, async {
                    let _ = rx.await;
                })
                .await;
        });
        TestApp {
            base_url,
            store,
            _data_dir: data_dir,
            shutdown: Some(tx),
        }
    }

    /// A new browser: its own cookie jar.
    pub fn client(&self) -> Client {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Client {
            http,
            base_url: self.base_url.clone(),
            csrf: None,
            token: None,
        }
    }

    /// The newest verification link mailed to `address`, from the outbox.
    pub async fn verification_token(&self, address: &str) -> String {
        let mails = self.store.outbox(100).await.expect("outbox");
        let mail = mails
            .iter()
            .find(|m| m.to == address)
            .unwrap_or_else(|| panic!("no mail to {address}"));
        let token = mail.body.split("token=").nth(1).expect("link in mail");
        token
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect()
    }

    /// Signs up through the API, verifies the email through its link, logs in.
    pub async fn user(&self, username: &str) -> Client {
        let mut client = self.client();
        let email = format!("{username}@example.com");
        let res = client
            .post_json(
                "/api/signup",
                json!({"username": username, "email": email, "password": "correct horse battery"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "signup {username}");
        let token = self.verification_token(&email).await;
        let res = client
            .post_json("/api/emails/verify", json!({"token": token}))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "verify {username}");
        client.login(username, "correct horse battery").await;
        client
    }
}

impl TestApp {
    /// Asks the server to stop, as SIGTERM does; returns at once.
    pub fn begin_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub struct Client {
    pub http: reqwest::Client,
    pub base_url: String,
    /// The session's CSRF token, sent as `X-CSRF-Token` on API writes.
    pub csrf: Option<String>,
    /// When set, requests carry `Authorization: Bearer` instead of relying on cookies.
    pub token: Option<String>,
}

impl Client {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    fn decorate(&self, mut req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(csrf) = &self.csrf {
            req = req.header("x-csrf-token", csrf);
        }
        req
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.decorate(self.http.get(self.url(path)))
            .send()
            .await
            .expect("GET")
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> reqwest::Response {
        self.decorate(self.http.request(method, self.url(path)).json(&body))
            .send()
            .await
            .expect("request")
    }

    /// Sends `body` as JSON and asserts a 2xx answer: for a step a test
    /// needs done, not examined.
    pub async fn succeeds(&self, method: reqwest::Method, path: &str, body: Value) {
        let what = format!("{method} {path}");
        let res = self.send_json(method, path, body).await;
        assert!(res.status().is_success(), "{what}: {}", res.status());
    }

    pub async fn post_json(&self, path: &str, body: Value) -> reqwest::Response {
        self.send_json(reqwest::Method::POST, path, body).await
    }

    pub async fn patch_json(&self, path: &str, body: Value) -> reqwest::Response {
        self.send_json(reqwest::Method::PATCH, path, body).await
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.decorate(self.http.delete(self.url(path)))
            .send()
            .await
            .expect("DELETE")
    }

    /// Posts an HTML form the way a browser would, with the page's CSRF token.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST form")
    }

    /// The CSRF token embedded in the HTML page at `path`.
    pub async fn page_csrf(&self, path: &str) -> String {
        let html = self.get(path).await.text().await.expect("html");
        let marker = "name=\"csrf_token\" value=\"";
        let start = html
            .find(marker)
            .unwrap_or_else(|| panic!("no csrf token in {path}"))
            + marker.len();
        html[start..].chars().take_while(|c| *c != '"').collect()
    }

    pub async fn login(&mut self, login: &str, password: &str) -> reqwest::Response {
        let res = self
            .post_json("/api/login", json!({"login": login, "password": password}))
            .await;
        if res.status() == StatusCode::OK {
            let body: Value = res.json().await.expect("login json");
            self.csrf = body["csrf_token"].as_str().map(str::to_owned);
            // Hand back an equivalent response for callers that check it.
            return self.get("/api/me").await;
        }
        res
    }
}

/// The `Location` of a redirect, panicking with the status when there is none.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(reqwest::header::LOCATION)
        .unwrap_or_else(|| panic!("no Location (HTTP {})", res.status()))
        .to_str()
        .expect("Location")
        .to_owned()
}

/// Reads a JSON body, panicking with the text when it is not JSON.
pub async fn json_body(res: reqwest::Response) -> Value {
    let text = res.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// The password `TestApp::user` signs every user up with.
pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    /// A browser that sends `Authorization: Bearer token` and no cookies of its own.
    pub fn token_client(&self, token: &str) -> Client {
        let mut client = self.client();
        client.token = Some(token.to_owned());
        client
    }

    /// Creates an access token for `client`'s user through the API; returns the secret.
    pub async fn token(&self, client: &Client, scope: &str) -> String {
        let res = client
            .post_json(
                "/api/me/tokens",
                json!({"name": format!("{scope} token"), "scope": scope}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "create {scope} token");
        json_body(res).await["token"]
            .as_str()
            .expect("token secret")
            .to_owned()
    }

    /// Creates organization `name` with `admin` as its admin.
    pub async fn org(&self, admin: &Client, name: &str) {
        let res = admin.post_json("/api/orgs", json!({"name": name})).await;
        assert_eq!(res.status(), StatusCode::CREATED, "create org {name}");
    }

    /// Adds `username` to `org` with `role`, as `admin`.
    pub async fn add_member(&self, admin: &Client, org: &str, username: &str, role: &str) {
        let res = admin
            .post_json(
                &format!("/api/orgs/{org}/members"),
                json!({"username": username, "role": role}),
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "add {username} to {org} as {role}"
        );
    }

    /// All mails in the outbox addressed to `address`, newest first.
    pub async fn mails_to(&self, address: &str) -> Vec<String> {
        let mails = self.store.outbox(1000).await.expect("outbox");
        mails
            .into_iter()
            .filter(|m| m.to.as_str() == address)
            .map(|m| m.body)
            .collect()
    }
}

impl Client {
    /// The same browser (shared cookie jar and CSRF token), as a second handle.
    pub fn clone_session(&self) -> Client {
        Client {
            http: self.http.clone(),
            base_url: self.base_url.clone(),
            csrf: self.csrf.clone(),
            token: self.token.clone(),
        }
    }

    pub async fn send(&self, method: reqwest::Method, path: &str) -> reqwest::Response {
        self.decorate(self.http.request(method, self.url(path)))
            .send()
            .await
            .expect("request")
    }

    /// A JSON request whose body is sent verbatim, with the given content type.
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        let req = self
            .http
            .request(method, self.url(path))
            .header("content-type", content_type)
            .body(body);
        self.decorate(req).send().await.expect("request")
    }

    /// The role of `username` in `org` as this client sees the member list, if any.
    pub async fn role_of(&self, org: &str, username: &str) -> Option<String> {
        let members = json_body(self.get(&format!("/api/orgs/{org}/members")).await).await;
        members
            .as_array()?
            .iter()
            .find(|m| m["username"] == username)
            .map(|m| m["role"].as_str().expect("role").to_owned())
    }
}

/// The `error` object of a JSON error body, with its status.
pub async fn error_of(res: reqwest::Response) -> (StatusCode, Value) {
    let status = res.status();
    let body = json_body(res).await;
    assert!(
        body["error"].is_object(),
        "not an error body ({status}): {body}"
    );
    (status, body["error"].clone())
}

/// Reads a JSON-lines body (`application/x-ndjson`): one value per line.
pub async fn ndjson_body(res: reqwest::Response) -> Vec<Value> {
    let content_type = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = res.text().await.expect("body");
    assert_eq!(content_type, "application/x-ndjson", "{text}");
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect()
}

impl Client {
    /// The org's SSO audit log through the export, newest first.
    pub async fn sso_audit(&self, org: &str) -> Vec<Value> {
        let res = self.get(&format!("/api/orgs/{org}/sso/audit")).await;
        assert_eq!(res.status(), StatusCode::OK, "audit export");
        let mut lines = ndjson_body(res).await;
        lines.reverse();
        lines
    }
}
