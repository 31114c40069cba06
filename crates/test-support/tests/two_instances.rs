//! Two `orgsso serve` processes on one PostgreSQL database, as behind a load
//! balancer. Both are given the same secrets key and the same public URL,
//! instance A's: the URL the IdPs know (ACS, OIDC redirect URI) and the one
//! the browser follows. The test sends some of the browser's requests to
//! instance B directly instead (the server does not look at the Host), which
//! is what a load balancer does. A browser's cookie jar ignores ports, so
//! its hub session goes to both.
//!
//! Through the real IdPs (SimpleSAMLphp; npm `oidc-provider`):
//! - a sign-in started on A finishes on B, over SAML and over OIDC, and the
//!   member then reaches the private repository through both;
//! - a SAML response accepted by one instance is refused by the other as a
//!   replay, also when both receive it at the same moment;
//! - SSO sessions revoked on one instance are refused by the other at its
//!   next request: nothing is cached across requests.
//!
//! PostgreSQL only: without `ORGSSO_TEST_DATABASE_URL` the tests print why
//! and pass. Each test gets a fresh schema, which both instances migrate at
//! the same time on start. The binary is found as in `cli.rs` (`cargo build
//! -p orgsso` first).

use orgsso_core::{Clock, Entropy, OrgName, SystemClock, Username};
use orgsso_store::{SsoSession, Store};
use orgsso_test_support::location;
use orgsso_test_support::oidc_provider::{authenticate, OidcIdp, IDP_PASSWORD};
use orgsso_test_support::operator::{binary, free_port, fresh_schema};
use orgsso_test_support::simplesamlphp::{
    IdpUser, SamlPost, SigningKey, SimpleSamlIdp, SpRegistration,
};
use orgsso_test_support::{error_of, json_body, Client, StatusCode, PASSWORD};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ORG: &str = "acme";
/// The organization's private repository: its page and its API resource.
const PAGE: &str = "/models/acme/secret";
const API: &str = "/api/repos/model/acme/secret";
/// The longest an instance lives, even if the test process dies without dropping it.
const MAX_LIFETIME_S: &str = "900";

fn settings() -> String {
    format!("/organizations/{ORG}/settings/sso")
}

/// The PostgreSQL server the tests use, or `None` (with a note) on SQLite runs.
fn database_url() -> Option<String> {
    match std::env::var("ORGSSO_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipped: two instances share one PostgreSQL database; set ORGSSO_TEST_DATABASE_URL");
            None
        }
    }
}

/// One `orgsso serve` process; stopped (SIGTERM, then SIGKILL) on drop.
struct Instance {
    name: &'static str,
    /// Where this process listens: `http://127.0.0.1:{port}`.
    url: String,
    child: Child,
    log: PathBuf,
    _data_dir: tempfile::TempDir,
}

impl Instance {
    /// Starts the process without waiting for it (see [`Instance::ready`]).
    fn spawn(
        name: &'static str,
        bin: &Path,
        database_url: &str,
        secrets_key: &str,
        port: u16,
        public_url: &str,
    ) -> Instance {
        let data_dir = tempfile::tempdir().expect("data dir");
        let log = data_dir.path().join("serve.log");
        let file = std::fs::File::create(&log).expect("log file");
        // Under `timeout`, like the SAML IdP: an instance whose test process
        // died without dropping it still goes away.
        let mut cmd = Command::new("timeout");
        cmd.args(["--kill-after=5", MAX_LIFETIME_S])
            .arg(bin)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--base-url", public_url])
            .arg("--data-dir")
            .arg(data_dir.path())
            .args(["--database-url", database_url])
            .args(["--secrets-key", secrets_key]);
        for var in [
            "ORGSSO_DATABASE_URL",
            "ORGSSO_DATA_DIR",
            "ORGSSO_LISTEN",
            "ORGSSO_BASE_URL",
            "ORGSSO_SECRETS_KEY",
            "ORGSSO_SMTP_URL",
            "ORGSSO_SSO_BLOCK_PRIVATE_NETWORKS",
        ] {
            cmd.env_remove(var);
        }
        let child = cmd
            .env("ORGSSO_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn timeout orgsso serve");
        Instance {
            name,
            url: format!("http://127.0.0.1:{port}"),
            child,
            log,
            _data_dir: data_dir,
        }
    }

    /// Waits until `/readyz` answers 200 (migrations done, database reachable).
    async fn ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                panic!(
                    "instance {} exited early ({status}):\n{}",
                    self.name,
                    self.log()
                );
            }
            if let Ok(res) = reqwest::get(format!("{}/readyz", self.url)).await {
                if res.status().is_success() {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "instance {} not ready within 60 s:\n{}",
                self.name,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        // SIGTERM to `timeout`, which passes it on: orgsso shuts down gracefully.
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Instances A and B on one fresh schema, and a store handle on it for the
/// test's own checks (outbox, audit log, SSO sessions).
struct Pair {
    a: Instance,
    b: Instance,
    store: Arc<dyn Store>,
}

impl Pair {
    /// `None` (having said why) without PostgreSQL or the built binary.
    async fn start() -> Option<Pair> {
        let server = database_url()?;
        let bin = binary()?;
        let url = fresh_schema(&server).await;
        let secrets_key = orgsso_core::OsEntropy.token().expose().to_owned();
        let (port_a, port_b) = (free_port(), free_port());
        let public_url = format!("http://127.0.0.1:{port_a}");
        // Both start at once on the empty schema: they migrate concurrently.
        let mut a = Instance::spawn("A", &bin, &url, &secrets_key, port_a, &public_url);
        let mut b = Instance::spawn("B", &bin, &url, &secrets_key, port_b, &public_url);
        a.ready().await;
        b.ready().await;
        let store = orgsso_store_postgres::PostgresStore::connect(&url)
            .await
            .expect("connect to the instances' schema");
        Some(Pair {
            a,
            b,
            store: Arc::new(store),
        })
    }

    /// The public URL, which both instances were given: instance A's.
    fn public_url(&self) -> &str {
        &self.a.url
    }

    /// A new browser that sends its requests to A.
    fn browser(&self) -> Client {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Client {
            http,
            base_url: self.a.url.clone(),
            csrf: None,
            token: None,
        }
    }

    /// Signs `name` up on A, verifies the email on B, logs in on A.
    async fn user(&self, name: &str) -> Client {
        let mut browser = self.browser();
        let email = format!("{name}@example.com");
        let res = browser
            .post_json(
                "/api/signup",
                json!({"username": name, "email": email, "password": PASSWORD}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "signup {name}");
        let token = self.verification_token(&email).await;
        let res = on(&browser, &self.b)
            .post_json("/api/emails/verify", json!({"token": token}))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "verify {name}");
        self.log_in(&mut browser, name).await;
        browser
    }

    /// Another browser of `name`: a second hub session, on A.
    async fn second_browser(&self, name: &str) -> Client {
        let mut browser = self.browser();
        self.log_in(&mut browser, name).await;
        browser
    }

    async fn log_in(&self, browser: &mut Client, name: &str) {
        let res = browser.login(name, PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "log in {name}");
    }

    async fn verification_token(&self, address: &str) -> String {
        let mails = self.store.outbox(100).await.expect("outbox");
        let mail = mails
            .iter()
            .find(|m| m.to.as_str() == address)
            .unwrap_or_else(|| panic!("no mail to {address}"));
        let token = mail.body.split("token=").nth(1).expect("link in mail");
        token
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect()
    }

    /// alice's organization with its private repository and bob as a
    /// `read` member, before SSO: set up through A.
    async fn org_with_member(&self) -> (Client, Client) {
        let alice = self.user("alice").await;
        let bob = self.user("bob").await;
        let res = alice.post_json("/api/orgs", json!({"name": ORG})).await;
        assert_eq!(res.status(), StatusCode::CREATED, "create org");
        let res = alice
            .post_json(
                "/api/repos",
                json!({"owner": ORG, "kind": "model", "name": "secret", "visibility": "private"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "create private repo");
        let res = alice
            .post_json(
                &format!("/api/orgs/{ORG}/members"),
                json!({"username": "bob", "role": "read"}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "add bob");
        (alice, bob)
    }

    /// Enables the newest configuration (enforced) through B's API.
    async fn enable_on_b(&self, admin: &Client) {
        let config = self
            .store
            .latest_sso_config(self.org_id().await)
            .await
            .unwrap()
            .expect("a configuration");
        let res = on(admin, &self.b)
            .post_json(
                &format!("/api/orgs/{ORG}/sso/enable"),
                json!({"config_id": config.id.0}),
            )
            .await;
        let status = res.status();
        assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "enable on B: {}",
            res.text().await.unwrap_or_default()
        );
    }

    async fn org_id(&self) -> orgsso_core::OrgId {
        self.store
            .org_by_name(&OrgName::parse(ORG).unwrap())
            .await
            .unwrap()
            .expect("org")
            .id
    }

    /// The org's live SSO sessions of `username` (one per browser).
    async fn sso_sessions(&self, username: &str) -> Vec<SsoSession> {
        let user = self
            .store
            .user_by_username(&Username::parse(username).unwrap())
            .await
            .unwrap()
            .expect("user")
            .id;
        let org = self.org_id().await;
        let all = self
            .store
            .sso_sessions_of_org(org, SystemClock.now())
            .await
            .unwrap();
        all.into_iter().filter(|s| s.user == user).collect()
    }

    /// The org's audit log, newest first, as `(event, detail)`.
    async fn audit(&self) -> Vec<(String, String)> {
        let entries = self
            .store
            .audit_log(self.org_id().await, 200)
            .await
            .unwrap();
        entries.into_iter().map(|e| (e.event, e.detail)).collect()
    }

    async fn count(&self, event: &str) -> usize {
        self.audit()
            .await
            .iter()
            .filter(|(e, _)| e == event)
            .count()
    }

    /// The details of the `sso.login_failed` entries, newest first.
    async fn failures(&self) -> Vec<String> {
        self.audit()
            .await
            .into_iter()
            .filter(|(e, _)| e == "sso.login_failed")
            .map(|(_, d)| d)
            .collect()
    }

    fn logs(&self) -> String {
        format!(
            "--- instance A ---\n{}\n--- instance B ---\n{}",
            self.a.log(),
            self.b.log()
        )
    }
}

/// The same browser (cookie jar, CSRF token), sending its requests to `instance`.
fn on(browser: &Client, instance: &Instance) -> Client {
    Client {
        http: browser.http.clone(),
        base_url: instance.url.clone(),
        csrf: browser.csrf.clone(),
        token: browser.token.clone(),
    }
}

/// The same access token, sent to `instance`.
fn token_on(token: &str, instance: &Instance) -> Client {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Client {
        http,
        base_url: instance.url.clone(),
        csrf: None,
        token: Some(token.to_owned()),
    }
}

/// Asserts that `who` reaches the private repository by page and by API.
async fn reaches(who: &Client, what: &str) {
    for path in [PAGE, API] {
        let res = who.get(path).await;
        let status = res.status();
        assert_eq!(
            status,
            StatusCode::OK,
            "{what}: {path} at {}: {}",
            who.base_url,
            res.text().await.unwrap_or_default()
        );
    }
}

/// Asserts the SSO gate's answers: the API's 403 `sso_required` naming the
/// org and its sign-in URL (at the public URL), and, for a browser, the
/// page's 403 SSO prompt.
async fn refused(who: &Client, public_url: &str, what: &str) {
    let (status, error) = error_of(who.get(API).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {error}");
    assert_eq!(error["code"], "sso_required", "{what}: {error}");
    assert_eq!(error["org"], ORG, "{what}: {error}");
    assert_eq!(
        error["sso_url"],
        format!("{public_url}/organizations/{ORG}/sso"),
        "{what}: {error}"
    );
    if who.token.is_none() {
        let res = who.get(PAGE).await;
        let status = res.status();
        let page = res.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: page");
        assert!(
            page.contains(&format!("{ORG} requires single sign-on")),
            "{what}: not the SSO prompt:\n{page}"
        );
    }
}

/// Two instances plus SimpleSAMLphp, which knows the org's SP at the public URL.
struct SamlWorld {
    pair: Pair,
    idp: SimpleSamlIdp,
}

impl SamlWorld {
    async fn new() -> Option<SamlWorld> {
        // Checked first so that a SQLite run says the real reason.
        database_url()?;
        if let Some(why) = SimpleSamlIdp::unavailable() {
            orgsso_test_support::skip_without_peer(&why);
            return None;
        }
        let pair = Pair::start().await?;
        let sp = SpRegistration::for_org(pair.public_url(), ORG);
        let idp = SimpleSamlIdp::start(&[sp], &IdpUser::defaults(), SigningKey::First);
        Some(SamlWorld { pair, idp })
    }

    /// alice's org with bob as a member and SAML enforced: the
    /// configuration saved on A, its test round trip finished on B, enabled
    /// through B's API.
    async fn enforced(&self) -> (Client, Client) {
        let (alice, bob) = self.pair.org_with_member().await;
        let csrf = alice.page_csrf(&settings()).await;
        let res = alice
            .post_form(
                &format!("{}/saml", settings()),
                &[
                    ("csrf_token", csrf.as_str()),
                    ("idp_sso_url", &self.idp.sso_url()),
                    ("idp_entity_id", &self.idp.idp_entity_id()),
                    ("certificates", &self.idp.cert_pem(SigningKey::First)),
                    ("metadata_xml", ""),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "save on A");
        let post = self.at_idp(&alice, &location(&res), "alice").await;
        let res = self.post_acs(&on(&alice, &self.pair.b), &post).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "test round trip finished on B: {}",
            res.text().await.unwrap_or_default()
        );
        assert_eq!(location(&res), format!("{}?done=tested", settings()));
        self.pair.enable_on_b(&alice).await;
        (alice, bob)
    }

    /// Signs `user` in at the IdP from `url`: the form it auto-posts.
    async fn at_idp(&self, browser: &Client, url: &str, user: &str) -> SamlPost {
        assert!(
            url.starts_with(&self.idp.base_url()),
            "expected a redirect to the IdP, got {url}"
        );
        let password = IdpUser::named(user).password;
        self.idp.login(&browser.http, url, user, &password).await
    }

    /// Posts the IdP's form to the ACS of the instance `browser` talks to,
    /// whatever instance the form's action names.
    async fn post_acs(&self, browser: &Client, post: &SamlPost) -> reqwest::Response {
        let path = post
            .acs_url
            .strip_prefix(self.pair.public_url())
            .unwrap_or_else(|| panic!("the IdP posts to {}, not to orgsso", post.acs_url));
        browser
            .post_form(
                path,
                &[
                    ("SAMLResponse", post.saml_response.as_str()),
                    ("RelayState", post.relay_state.as_str()),
                ],
            )
            .await
    }

    /// SP-initiated: started in `start` (a browser on one instance), the
    /// IdP's answer posted by `finish` (the same browser on an instance).
    async fn sign_in(
        &self,
        start: &Client,
        finish: &Client,
        user: &str,
        return_to: &str,
    ) -> reqwest::Response {
        let res = start
            .get(&format!("/organizations/{ORG}/sso?return_to={return_to}"))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "start SSO");
        let post = self.at_idp(start, &location(&res), user).await;
        self.post_acs(finish, &post).await
    }

    /// A response for the app tile at the IdP (IdP-initiated: no request
    /// to match, so only the replay cache stands between it and a replay).
    async fn idp_initiated(&self, browser: &Client, user: &str) -> SamlPost {
        let sp = SpRegistration::for_org(self.pair.public_url(), ORG);
        let post = self
            .at_idp(browser, &self.idp.idp_initiated_url(&sp.entity_id), user)
            .await;
        assert!(post.relay_state.is_empty());
        post
    }
}

#[tokio::test]
async fn a_saml_sign_in_started_on_one_instance_finishes_on_the_other() {
    let Some(w) = SamlWorld::new().await else {
        return;
    };
    let (_alice, bob) = w.enforced().await;
    let (a, b) = (&w.pair.a, &w.pair.b);
    let public = w.pair.public_url();
    refused(&on(&bob, a), public, "bob before SSO, on A").await;
    refused(&on(&bob, b), public, "bob before SSO, on B").await;

    // Started on A (the pending request is in the database), posted to B's ACS.
    let res = w.sign_in(&on(&bob, a), &on(&bob, b), "bob", PAGE).await;
    let status = res.status();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{}\n{}",
        res.text().await.unwrap_or_default(),
        w.pair.logs()
    );
    assert_eq!(location(&res), PAGE, "back on the page bob asked for");
    assert_eq!(w.pair.sso_sessions("bob").await.len(), 1);
    assert_eq!(w.pair.count("sso.login").await, 1);

    reaches(&on(&bob, a), "bob after SSO, on A").await;
    reaches(&on(&bob, b), "bob after SSO, on B").await;
}

#[tokio::test]
async fn an_oidc_sign_in_started_on_one_instance_finishes_on_the_other() {
    if database_url().is_none() {
        return;
    }
    if let Some(why) = OidcIdp::unavailable() {
        orgsso_test_support::skip_without_peer(&why);
        return;
    }
    let Some(pair) = Pair::start().await else {
        return;
    };
    let idp = OidcIdp::for_org(pair.public_url(), ORG);
    let (a, b) = (&pair.a, &pair.b);
    let public = pair.public_url().to_owned();
    // The callback the IdP sends a browser to (at the public URL), requested from B.
    let to_b = |callback: &str| {
        let path = callback
            .strip_prefix(&public)
            .unwrap_or_else(|| panic!("the IdP sent the browser to {callback}, not to orgsso"));
        format!("{}{path}", b.url)
    };

    // The configuration (its client secret sealed with the shared key) is
    // saved on A; its test round trip finishes on B, which unseals it for
    // the code exchange, with the PKCE verifier and nonce A stored.
    let (alice, bob) = pair.org_with_member().await;
    let csrf = alice.page_csrf(&settings()).await;
    let res = alice
        .post_form(
            &format!("{}/oidc", settings()),
            &[
                ("csrf_token", csrf.as_str()),
                ("issuer_url", &idp.issuer),
                ("client_id", &idp.client_id),
                ("client_secret", &idp.client_secret),
                ("scopes", "openid email profile"),
                ("email_claim", "email"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "save on A");
    let callback = authenticate(&alice, &location(&res), "alice", IDP_PASSWORD).await;
    let res = alice.http.get(to_b(&callback)).send().await.unwrap();
    let status = res.status();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "test round trip finished on B: {}\n{}",
        res.text().await.unwrap_or_default(),
        pair.logs()
    );
    assert_eq!(location(&res), format!("{}?done=tested", settings()));
    pair.enable_on_b(&alice).await;
    refused(&on(&bob, b), &public, "bob before SSO, on B").await;

    // bob starts on A and comes back to B.
    let res = on(&bob, a)
        .get(&format!("/organizations/{ORG}/sso?return_to={PAGE}"))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "start SSO on A");
    let callback = authenticate(&bob, &location(&res), "bob", IDP_PASSWORD).await;
    let res = bob.http.get(to_b(&callback)).send().await.unwrap();
    let status = res.status();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "callback on B: {}\n{}",
        res.text().await.unwrap_or_default(),
        pair.logs()
    );
    assert_eq!(location(&res), PAGE, "back on the page bob asked for");
    let sessions = pair.sso_sessions("bob").await;
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    assert_eq!(sessions[0].email, "bob@example.com");

    reaches(&on(&bob, a), "bob after SSO, on A").await;
    reaches(&on(&bob, b), "bob after SSO, on B").await;
}

#[tokio::test]
async fn a_saml_response_accepted_by_one_instance_is_a_replay_at_the_other() {
    let Some(w) = SamlWorld::new().await else {
        return;
    };
    let (_alice, bob) = w.enforced().await;
    let (a, b) = (&w.pair.a, &w.pair.b);
    let public = w.pair.public_url();

    // Accepted by A.
    let post = w.idp_initiated(&bob, "bob").await;
    let res = w.post_acs(&on(&bob, a), &post).await;
    let status = res.status();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let first = w.pair.sso_sessions("bob").await;
    assert_eq!(first.len(), 1);

    // The same response at B, from another browser of bob's (a captured
    // response, or a second tab): refused, no session for that browser.
    let other = w.pair.second_browser("bob").await;
    let res = w.post_acs(&on(&other, b), &post).await;
    let status = res.status();
    let page = res.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::FORBIDDEN, "replay at B:\n{page}");
    assert!(page.contains("already used"), "{page}");
    let failure = w.pair.failures().await.remove(0);
    assert!(failure.starts_with("saml.replayed"), "{failure}");
    refused(&on(&other, b), public, "the replaying browser, on B").await;
    refused(&on(&other, a), public, "the replaying browser, on A").await;

    // And from the browser it was issued to, at B: refused too; its
    // session (from A) is the same one, not a second.
    let res = w.post_acs(&on(&bob, b), &post).await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "replay at B, same browser"
    );
    assert!(w
        .pair
        .failures()
        .await
        .remove(0)
        .starts_with("saml.replayed"));
    assert_eq!(w.pair.sso_sessions("bob").await, first);
    assert_eq!(w.pair.count("sso.login").await, 1);

    // An SP-initiated answer accepted by A: at B its request is used up.
    let res = on(&bob, a).get(&format!("/organizations/{ORG}/sso")).await;
    let sp_post = w.at_idp(&bob, &location(&res), "bob").await;
    assert_eq!(
        w.post_acs(&on(&bob, a), &sp_post).await.status(),
        StatusCode::SEE_OTHER
    );
    let res = w.post_acs(&on(&bob, b), &sp_post).await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "SP-initiated replay at B"
    );
    let failure = w.pair.failures().await.remove(0);
    assert!(failure.starts_with("saml.unknown_request"), "{failure}");
    assert_eq!(w.pair.count("sso.login").await, 2);

    // One fresh response posted to A and B at the same moment, from bob's
    // two browsers: exactly one instance accepts it.
    let post = w.idp_initiated(&bob, "bob").await;
    let (at_a, at_b) = (on(&other, a), on(&bob, b));
    let (res_a, res_b) = tokio::join!(w.post_acs(&at_a, &post), w.post_acs(&at_b, &post));
    let statuses = [res_a.status(), res_b.status()];
    assert!(
        statuses.contains(&StatusCode::SEE_OTHER) && statuses.contains(&StatusCode::FORBIDDEN),
        "one accepted, one refused: {statuses:?}\n{}",
        w.pair.logs()
    );
    assert!(w
        .pair
        .failures()
        .await
        .remove(0)
        .starts_with("saml.replayed"));
    assert_eq!(w.pair.count("sso.login").await, 3);
}

#[tokio::test]
async fn sso_sessions_revoked_on_one_instance_are_refused_by_the_other_at_once() {
    let Some(w) = SamlWorld::new().await else {
        return;
    };
    let (alice, bob) = w.enforced().await;
    let (a, b) = (&w.pair.a, &w.pair.b);
    let public = w.pair.public_url();

    // Admins sign in through the IdP like everyone; alice on B, bob on A.
    for (browser, user, at) in [(&alice, "alice", b), (&bob, "bob", a)] {
        let res = w
            .sign_in(&on(browser, at), &on(browser, at), user, "")
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{user} signs in");
    }
    let res = bob
        .post_json("/api/me/tokens", json!({"name": "ci", "scope": "read"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "bob's token");
    let token = json_body(res).await["token"]
        .as_str()
        .expect("token")
        .to_owned();

    // B serves bob, by cookie and by token, many times: anything it could
    // cache about him is warm.
    for _ in 0..20 {
        reaches(&on(&bob, b), "bob on B").await;
        let res = token_on(&token, b).get(API).await;
        assert_eq!(res.status(), StatusCode::OK, "bob's token on B");
    }

    // alice revokes bob's SSO sessions on A.
    let res = on(&alice, a)
        .post_json(
            &format!("/api/orgs/{ORG}/sso/revoke"),
            json!({"username": "bob"}),
        )
        .await;
    let status = res.status();
    let body = json_body(res).await;
    assert_eq!(status, StatusCode::OK, "revoke on A: {body}");
    assert_eq!(body["revoked"], 1, "{body}");

    // B's very next answers refuse him: browser and token alike.
    refused(&on(&bob, b), public, "bob's browser on B after revocation").await;
    refused(
        &token_on(&token, b),
        public,
        "bob's token on B after revocation",
    )
    .await;
    refused(&on(&bob, a), public, "bob's browser on A after revocation").await;
    reaches(&on(&alice, b), "alice keeps her session").await;
    assert_eq!(w.pair.count("sso.sessions_revoked").await, 1);

    // The other way round: everyone's revoked on B; A refuses alice at once.
    reaches(&on(&alice, a), "alice on A").await;
    let res = on(&alice, b)
        .post_json(&format!("/api/orgs/{ORG}/sso/revoke"), json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "revoke everyone on B");
    refused(&on(&alice, a), public, "alice on A after revocation").await;
    let (status, error) = error_of(on(&alice, a).get(&format!("/api/orgs/{ORG}/sso")).await).await;
    assert_eq!(
        (status, &error["code"]),
        (StatusCode::FORBIDDEN, &json!("sso_required")),
        "the org's settings are gated too: {error}"
    );

    // Signing in again (on B) lets bob back in, on both.
    let res = w.sign_in(&on(&bob, b), &on(&bob, b), "bob", "").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "bob signs in again");
    reaches(&on(&bob, a), "bob on A after signing in again").await;
    let res = token_on(&token, a).get(API).await;
    assert_eq!(res.status(), StatusCode::OK, "bob's token on A again");
}
