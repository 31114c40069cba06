//! A real OpenID Provider for end-to-end tests: the OpenID Certified
//! `oidc-provider` from npm, run by `e2e/oidc-idp.mjs` under `node` on a
//! loopback port, with one confidential client registered for one
//! organization's callback URL and the users of `e2e/users.json`.
//!
//! [`authenticate`] drives its plain-HTML login form over HTTP with the
//! browser's own cookie jar and stops at the redirect back to orgsso;
//! [`login`] also makes that last request, as the same browser.

use crate::Client;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long one start of the IdP may take (node loading `oidc-provider`
/// and generating its keys: about half a second when the machine is idle).
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How many times a start that stalls is retried with a fresh process. On
/// a shared, loaded machine one node start in a few hundred has been seen
/// to stall; a fresh process starts normally.
const START_ATTEMPTS: usize = 3;
/// How many redirects one trip through the IdP may take.
const MAX_HOPS: usize = 20;

/// The password of every user of `e2e/users.json`.
pub const IDP_PASSWORD: &str = "password";

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

pub struct OidcIdp {
    /// `http://127.0.0.1:{port}`, exactly as the IdP names itself.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    child: Option<Child>,
    stderr: tempfile::NamedTempFile,
}

impl OidcIdp {
    /// Why the IdP cannot run here (`node` or `e2e/node_modules` missing),
    /// or `None` when it can.
    pub fn unavailable() -> Option<String> {
        let node = Command::new("node")
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !node.is_ok_and(|s| s.success()) {
            return Some("node (20.19 or later) is not installed".into());
        }
        if !e2e_dir().join("node_modules/oidc-provider").is_dir() {
            return Some("e2e/node_modules is missing (run `npm ci` in e2e/)".into());
        }
        None
    }

    /// Starts the IdP on a free loopback port with a client for
    /// `{base_url}/organizations/{org}/oidc/callback` and the default users.
    pub fn for_org(base_url: &str, org: &str) -> OidcIdp {
        let redirect_uri = format!(
            "{}/organizations/{org}/oidc/callback",
            base_url.trim_end_matches('/')
        );
        Self::start(&format!("orgsso-{org}"), &redirect_uri)
    }

    /// Starts `node e2e/oidc-idp.mjs` (port 0: the OS picks a free one) and
    /// waits for its `READY <issuer>` line, retrying a stalled start with a
    /// fresh process. Panics with every attempt's stderr otherwise.
    pub fn start(client_id: &str, redirect_uri: &str) -> OidcIdp {
        let client_secret = format!("secret-{}", random_hex());
        let mut logs = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            let mut idp = OidcIdp {
                issuer: String::new(),
                client_id: client_id.to_owned(),
                client_secret: client_secret.clone(),
                redirect_uri: redirect_uri.to_owned(),
                child: None,
                stderr: tempfile::NamedTempFile::new().expect("stderr file"),
            };
            match idp.spawn() {
                Some(issuer) => {
                    idp.issuer = issuer;
                    return idp;
                }
                None => {
                    idp.stop();
                    logs.push(format!("attempt {attempt}:\n{}", idp.log()));
                }
            }
        }
        panic!(
            "oidc-idp.mjs did not print READY within {START_TIMEOUT:?}, {START_ATTEMPTS} times:\n{}",
            logs.join("\n")
        );
    }

    /// One start of the node process; its issuer once it printed `READY`.
    fn spawn(&mut self) -> Option<String> {
        let dir = e2e_dir();
        let mut child = Command::new("node")
            .arg(dir.join("oidc-idp.mjs"))
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(["--client-id", &self.client_id])
            .args(["--client-secret", &self.client_secret])
            .args(["--redirect-uri", &self.redirect_uri])
            .arg("--users")
            .arg(dir.join("users.json"))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(self.stderr.reopen().expect("stderr handle"))
            .spawn()
            .expect("spawn node e2e/oidc-idp.mjs");
        let stdout = child.stdout.take().expect("stdout");
        self.child = Some(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keeps reading after READY so the IdP never blocks on a full pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(issuer) = line.strip_prefix("READY ") {
                    let _ = tx.send(issuer.trim().to_owned());
                }
            }
        });
        rx.recv_timeout(START_TIMEOUT).ok()
    }

    /// What the IdP wrote on stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap_or_default()
    }

    /// Stops the IdP (idempotent): from now on it refuses connections.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OidcIdp {
    fn drop(&mut self) {
        self.stop();
    }
}

pub(crate) fn random_hex() -> String {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    (0..3)
        .map(|_| format!("{:016x}", RandomState::new().build_hasher().finish()))
        .collect()
}

/// What the browser does at the IdP, and where it is sent back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtIdp<'a> {
    /// Fills the login form with these credentials.
    SignIn { user: &'a str, password: &'a str },
    /// Presses Cancel on the login form.
    Cancel,
}

fn resolve(base: &reqwest::Url, location: &str) -> reqwest::Url {
    base.join(location)
        .unwrap_or_else(|_| panic!("bad Location {location:?} from {base}"))
}

fn same_origin(a: &reqwest::Url, b: &reqwest::Url) -> bool {
    a.scheme() == b.scheme() && a.host_str() == b.host_str() && a.port() == b.port()
}

/// The `action` of the form in `html` that ends with `suffix` (`/interaction/{uid}/login`).
fn form_action(html: &str, suffix: &str) -> Option<String> {
    html.split("action=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|action| action.ends_with(suffix))
        .map(|action| action.replace("&amp;", "&"))
}

/// Follows the browser (`http`, with its cookie jar) from `start` through
/// the IdP at `idp_origin`: redirects are followed while they stay at the
/// IdP, the login form is filled (or cancelled) as `action` says. Returns
/// the first URL outside the IdP: where the IdP sends the browser back.
pub async fn follow_idp(
    http: &reqwest::Client,
    idp_origin: &str,
    start: &str,
    action: AtIdp<'_>,
) -> String {
    let idp = reqwest::Url::parse(idp_origin).expect("IdP URL");
    let mut url = reqwest::Url::parse(start).expect("start URL");
    assert!(
        same_origin(&url, &idp),
        "expected a redirect to the IdP at {idp_origin}, got {start}"
    );
    let mut form_done = false;
    let mut request = http.get(url.clone());
    for _ in 0..MAX_HOPS {
        let res = request
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .unwrap_or_else(|e| panic!("request to the IdP failed ({url}): {e}"));
        let status = res.status();
        if status.is_redirection() {
            let location = res
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("{status} without Location from {url}"))
                .to_owned();
            let next = resolve(&url, &location);
            if !same_origin(&next, &idp) {
                return next.to_string();
            }
            url = next;
            request = http.get(url.clone());
            continue;
        }
        let html = res.text().await.unwrap_or_default();
        let suffix = match action {
            AtIdp::SignIn { .. } => "/login",
            AtIdp::Cancel => "/abort",
        };
        let target = match form_action(&html, suffix) {
            Some(target) if !form_done => target,
            _ => panic!("unexpected answer from the IdP at {url} (HTTP {status}):\n{html}"),
        };
        form_done = true;
        url = resolve(&url, &target);
        request = match action {
            AtIdp::SignIn { user, password } => http
                .post(url.clone())
                .form(&[("username", user), ("password", password)]),
            AtIdp::Cancel => http.post(url.clone()).form(&[("cancel", "1")]),
        };
    }
    panic!("more than {MAX_HOPS} redirects at the IdP, last {url}");
}

/// Whether the IdP shows its login form for `idp_url` (where orgsso sent the
/// browser) rather than sending the browser straight back on the session it
/// already has there: what `prompt=login` changes.
pub async fn asks_for_login(client: &Client, idp_url: &str) -> bool {
    let idp = reqwest::Url::parse(&origin_of(idp_url)).expect("IdP URL");
    let mut url = reqwest::Url::parse(idp_url).expect("start URL");
    for _ in 0..MAX_HOPS {
        let res = client
            .http
            .get(url.clone())
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .unwrap_or_else(|e| panic!("request to the IdP failed ({url}): {e}"));
        if res.status().is_redirection() {
            let location = res
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("redirect without Location from {url}"))
                .to_owned();
            let next = resolve(&url, &location);
            if !same_origin(&next, &idp) {
                return false;
            }
            url = next;
            continue;
        }
        let html = res.text().await.unwrap_or_default();
        return form_action(&html, "/login").is_some();
    }
    panic!("more than {MAX_HOPS} redirects at the IdP, last {url}");
}

/// Signs `user` in at the IdP (from `idp_url`, where orgsso sent the
/// browser) and returns the callback URL the IdP sends the browser back to,
/// without requesting it.
pub async fn authenticate(client: &Client, idp_url: &str, user: &str, password: &str) -> String {
    let origin = origin_of(idp_url);
    follow_idp(
        &client.http,
        &origin,
        idp_url,
        AtIdp::SignIn { user, password },
    )
    .await
}

/// Like [`authenticate`], then requests the callback as the same browser
/// (the hub session cookie goes along): the hub's answer to it.
pub async fn login(
    client: &Client,
    idp_url: &str,
    user: &str,
    password: &str,
) -> reqwest::Response {
    let callback = authenticate(client, idp_url, user, password).await;
    back_at_hub(client, &callback).await
}

/// `browser` signs in to `org` through the IdP as `idp_user`, from the
/// organization's SSO start back to its page: the hub's last answer.
pub async fn sign_in_to(browser: &Client, org: &str, idp_user: &str) -> reqwest::Response {
    let res = browser
        .get(&format!(
            "/organizations/{org}/sso?return_to=/organizations/{org}"
        ))
        .await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER, "SSO start");
    let start = crate::location(&res);
    login(browser, &start, idp_user, IDP_PASSWORD).await
}

impl OidcIdp {
    /// `admin` saves this IdP as `org`'s OIDC configuration, `groups`
    /// requested: the new configuration's id and the URL of its test.
    pub async fn save_as_config_of(&self, admin: &Client, org: &str) -> (i64, String) {
        let res = admin
            .post_json(
                &format!("/api/orgs/{org}/sso/oidc"),
                serde_json::json!({"issuer_url": self.issuer, "client_id": self.client_id,
                       "client_secret": self.client_secret, "scopes": "openid email profile groups"}),
            )
            .await;
        assert_eq!(
            res.status(),
            reqwest::StatusCode::CREATED,
            "save configuration"
        );
        let saved = crate::json_body(res).await;
        (
            saved["config_id"].as_i64().expect("config_id"),
            saved["test_url"].as_str().expect("test_url").to_owned(),
        )
    }
}

/// Requests `url` (where the IdP sent the browser) as `client`, checking it is on the hub.
pub async fn back_at_hub(client: &Client, url: &str) -> reqwest::Response {
    assert!(
        url.starts_with(&client.base_url),
        "the IdP sent the browser to {url}, not back to orgsso at {}",
        client.base_url
    );
    client.http.get(url).send().await.expect("GET callback")
}

/// `scheme://host:port` of `url`.
pub fn origin_of(url: &str) -> String {
    let url = reqwest::Url::parse(url).unwrap_or_else(|_| panic!("not a URL: {url}"));
    url.origin().ascii_serialization()
}
