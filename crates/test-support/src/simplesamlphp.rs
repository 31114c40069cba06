//! A real SAML 2.0 IdP for end-to-end tests: Debian's SimpleSAMLphp (1.19)
//! served by `php -S` on a loopback port, with a configuration directory
//! written into a temporary directory.
//!
//! The configuration files are the ones under `e2e/simplesamlphp/`, shared
//! with `scripts/saml-idp.sh`; everything that varies (port, service
//! providers, users, which key signs) lives in `params.json`, which those
//! files read on every request, so [`SimpleSamlIdp::set_signing_key`] and
//! [`SimpleSamlIdp::register`] take effect without a restart.
//!
//! [`SimpleSamlIdp::login`] drives the IdP's username/password form over
//! plain HTTP and returns the auto-posting form the IdP sends back to the
//! service provider, without posting it.

use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONFIG_PHP: &str = include_str!("../../../e2e/simplesamlphp/config.php");
const AUTHSOURCES_PHP: &str = include_str!("../../../e2e/simplesamlphp/authsources.php");
const PARAMS_PHP: &str = include_str!("../../../e2e/simplesamlphp/params.php");
const IDP_HOSTED_PHP: &str =
    include_str!("../../../e2e/simplesamlphp/metadata/saml20-idp-hosted.php");
const SP_REMOTE_PHP: &str =
    include_str!("../../../e2e/simplesamlphp/metadata/saml20-sp-remote.php");
const USERS_JSON: &str = include_str!("../../../e2e/simplesamlphp/users.json");

/// Where Debian installs SimpleSAMLphp; `ORGSSO_SIMPLESAMLPHP_DIR` overrides it.
pub const DEFAULT_INSTALL_DIR: &str = "/usr/share/simplesamlphp";

/// The longest an IdP process lives, even if its owner never stops it.
const MAX_LIFETIME_S: &str = "900";

/// How long the IdP may take to answer one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// One of the two key pairs the IdP holds, for key-rotation tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigningKey {
    First,
    Second,
}

impl SigningKey {
    fn file_stem(self) -> &'static str {
        match self {
            SigningKey::First => "idp1",
            SigningKey::Second => "idp2",
        }
    }
}

/// A service provider the IdP knows: one orgsso organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpRegistration {
    pub entity_id: String,
    pub acs_url: String,
}

impl SpRegistration {
    /// The SP of organization `org` on the orgsso at `base_url`.
    pub fn for_org(base_url: &str, org: &str) -> SpRegistration {
        let base = base_url.trim_end_matches('/');
        SpRegistration {
            entity_id: format!("{base}/organizations/{org}/saml/metadata"),
            acs_url: format!("{base}/organizations/{org}/saml/consume"),
        }
    }
}

/// A user of the IdP's username/password source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdpUser {
    pub username: String,
    pub password: String,
    pub email: String,
    pub display_name: String,
    pub groups: Vec<String>,
}

impl IdpUser {
    /// alice, bob and carol (`e2e/simplesamlphp/users.json`), with
    /// `{name}@example.com` like `TestApp::user`.
    pub fn defaults() -> Vec<IdpUser> {
        let users: Value = serde_json::from_str(USERS_JSON).expect("users.json");
        users
            .as_array()
            .expect("users.json is a list")
            .iter()
            .map(|u| {
                let s = |k: &str| u[k].as_str().expect("user field").to_owned();
                IdpUser {
                    username: s("username"),
                    password: s("password"),
                    email: s("email"),
                    display_name: s("displayName"),
                    groups: u["groups"]
                        .as_array()
                        .expect("groups")
                        .iter()
                        .map(|g| g.as_str().expect("group").to_owned())
                        .collect(),
                }
            })
            .collect()
    }

    /// The default user named `username`.
    pub fn named(username: &str) -> IdpUser {
        Self::defaults()
            .into_iter()
            .find(|u| u.username == username)
            .unwrap_or_else(|| panic!("no default IdP user {username}"))
    }
}

/// What the IdP asks the browser to post to the service provider.
#[derive(Clone, Debug)]
pub struct SamlPost {
    /// The form's action: the ACS URL.
    pub acs_url: String,
    pub saml_response: String,
    /// Empty when the IdP sent none (IdP-initiated login).
    pub relay_state: String,
}

impl SamlPost {
    /// The decoded Response XML.
    pub fn xml(&self) -> String {
        let bytes = base64_decode(&self.saml_response).expect("SAMLResponse is base64");
        String::from_utf8(bytes).expect("SAMLResponse is UTF-8")
    }
}

/// The install directory, and its web root (`www/` in 1.x, `public/` in 2.x).
fn install_dir() -> PathBuf {
    std::env::var_os("ORGSSO_SIMPLESAMLPHP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_INSTALL_DIR))
}

fn web_root(install: &Path) -> Option<PathBuf> {
    ["www", "public"]
        .iter()
        .map(|d| install.join(d))
        .find(|d| d.join("saml2/idp/SSOService.php").is_file())
}

fn command_works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub struct SimpleSamlIdp {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
    params: std::sync::Mutex<Value>,
}

impl SimpleSamlIdp {
    /// Why the IdP cannot run here (`php`, its XML/DOM support, SimpleSAMLphp
    /// or `openssl` missing), or `None` when it can.
    pub fn unavailable() -> Option<String> {
        let install = install_dir();
        if web_root(&install).is_none() {
            return Some(format!(
                "SimpleSAMLphp not found in {} (apt-get install simplesamlphp, or set ORGSSO_SIMPLESAMLPHP_DIR)",
                install.display()
            ));
        }
        if !command_works(
            "php",
            &[
                "-r",
                "exit(extension_loaded('dom') && extension_loaded('openssl') ? 0 : 1);",
            ],
        ) {
            return Some("php with the dom and openssl extensions is missing (apt-get install php-cli php-xml)".into());
        }
        if !command_works("openssl", &["version"]) {
            return Some("openssl is missing".into());
        }
        None
    }

    /// Writes the configuration, generates two RSA-2048 key pairs and starts
    /// `php -S` on a free loopback port; returns once the IdP serves its
    /// metadata. Panics with the IdP's log when it does not.
    pub fn start(sps: &[SpRegistration], users: &[IdpUser], key: SigningKey) -> SimpleSamlIdp {
        let install = install_dir();
        let root = web_root(&install)
            .unwrap_or_else(|| panic!("no SimpleSAMLphp web root in {}", install.display()));
        let dir = tempfile::Builder::new()
            .prefix("orgsso-saml-idp")
            .tempdir()
            .expect("temp dir");
        for sub in ["config/metadata", "certs", "log", "data", "tmp", "sessions"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("create dir");
        }
        let config = dir.path().join("config");
        for (name, text) in [
            ("config.php", CONFIG_PHP),
            ("authsources.php", AUTHSOURCES_PHP),
            ("params.php", PARAMS_PHP),
            ("metadata/saml20-idp-hosted.php", IDP_HOSTED_PHP),
            ("metadata/saml20-sp-remote.php", SP_REMOTE_PHP),
        ] {
            std::fs::write(config.join(name), text).expect("write config");
        }
        for (stem, cn) in [
            ("idp1", "orgsso test IdP key 1"),
            ("idp2", "orgsso test IdP key 2"),
        ] {
            generate_key_pair(&dir.path().join("certs"), stem, cn);
        }
        let users: Vec<Value> = users
            .iter()
            .map(|u| {
                json!({"username": u.username, "password": u.password, "email": u.email,
                       "displayName": u.display_name, "groups": u.groups})
            })
            .collect();
        let sps: Vec<Value> = sps
            .iter()
            .map(|sp| json!({"entity_id": sp.entity_id, "acs_url": sp.acs_url}))
            .collect();

        let mut last_error = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let base = format!("http://127.0.0.1:{port}/");
            let params = json!({
                "base_url": base,
                "idp_entity_id": format!("{base}saml2/idp/metadata.php"),
                "secretsalt": random_hex(24),
                "state_dir": dir.path().to_str().expect("UTF-8 temp path"),
                "signing_key": key.file_stem(),
                "sps": sps,
                "users": users,
            });
            write_params(&config, &params);
            let log =
                std::fs::File::create(dir.path().join("log/php-server.log")).expect("server log");
            // One php process (no PHP_CLI_SERVER_WORKERS, whose forked workers
            // outlive a killed parent), under `timeout` so that an IdP whose
            // test process died without dropping it still goes away.
            let child = Command::new("timeout")
                .args([
                    MAX_LIFETIME_S,
                    "php",
                    "-S",
                    &format!("127.0.0.1:{port}"),
                    "-t",
                ])
                .arg(&root)
                .current_dir(&root)
                .env("SIMPLESAMLPHP_CONFIG_DIR", &config)
                .env_remove("PHP_CLI_SERVER_WORKERS")
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log handle"))
                .stderr(log)
                .spawn()
                .expect("spawn timeout php -S");
            let mut child = child;
            match wait_ready(&mut child, port, Duration::from_secs(20)) {
                Ok(()) => {
                    return SimpleSamlIdp {
                        dir,
                        port,
                        child,
                        params: std::sync::Mutex::new(params),
                    }
                }
                Err(e) => {
                    last_error = format!("{e}\n{}", logs_of(dir.path()));
                    stop(&mut child);
                }
            }
        }
        panic!("SimpleSAMLphp did not start: {last_error}");
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The IdP entity ID (the Issuer of its responses).
    pub fn idp_entity_id(&self) -> String {
        format!("{}/saml2/idp/metadata.php", self.base_url())
    }

    /// The IdP metadata document (entity ID, SSO endpoint, signing certificate).
    pub fn metadata_url(&self) -> String {
        self.idp_entity_id()
    }

    /// The single sign-on endpoint (HTTP-Redirect binding): the sign-on URL.
    pub fn sso_url(&self) -> String {
        format!("{}/saml2/idp/SSOService.php", self.base_url())
    }

    /// Starts an IdP-initiated login for the SP with this entity ID (the app tile).
    pub fn idp_initiated_url(&self, sp_entity_id: &str) -> String {
        format!(
            "{}?spentityid={}",
            self.sso_url(),
            form_encode(sp_entity_id)
        )
    }

    /// The certificate (PEM) of one of the IdP's key pairs.
    pub fn cert_pem(&self, key: SigningKey) -> String {
        let path = self
            .dir
            .path()
            .join("certs")
            .join(format!("{}.crt", key.file_stem()));
        std::fs::read_to_string(path).expect("read certificate")
    }

    /// Makes the IdP sign with another key from the next response on.
    pub fn set_signing_key(&self, key: SigningKey) {
        self.update_params(|p| p["signing_key"] = json!(key.file_stem()));
    }

    /// Registers one more service provider.
    pub fn register(&self, sp: &SpRegistration) {
        self.update_params(|p| {
            p["sps"]
                .as_array_mut()
                .expect("sps")
                .push(json!({"entity_id": sp.entity_id, "acs_url": sp.acs_url}))
        });
    }

    /// Makes the IdP sign only the Response of what it sends to the service
    /// provider `sp_entity_id` (`saml20.sign.response` on,
    /// `saml20.sign.assertion` off: Shibboleth's default), or, with `false`,
    /// both the Response and the Assertion again (the default).
    pub fn set_response_only_signature(&self, sp_entity_id: &str, response_only: bool) {
        self.update_params(|p| {
            for sp in p["sps"].as_array_mut().expect("sps") {
                if sp["entity_id"] == sp_entity_id {
                    sp["sign_assertion"] = json!(!response_only);
                }
            }
        });
    }

    /// Gives the IdP the encryption certificates (PEM) of the service provider
    /// `sp_entity_id`, as read from its SP metadata, and makes it encrypt the
    /// assertion with the first one (`assertion.encryption`); none: plain
    /// assertions again (the default).
    pub fn set_sp_encryption(&self, sp_entity_id: &str, certificates: &[String]) {
        self.update_sp(sp_entity_id, "encryption_certs", json!(certificates));
    }

    /// Makes the IdP require AuthnRequests of `sp_entity_id` signed by one of
    /// `certificates` (PEM; `validate.authnrequest`); none: unsigned requests
    /// are accepted again (the default).
    pub fn set_sp_signing(&self, sp_entity_id: &str, certificates: &[String]) {
        self.update_sp(sp_entity_id, "signing_certs", json!(certificates));
    }

    fn update_sp(&self, sp_entity_id: &str, field: &str, value: Value) {
        self.update_params(|p| {
            for sp in p["sps"].as_array_mut().expect("sps") {
                if sp["entity_id"] == sp_entity_id {
                    sp[field] = value.clone();
                }
            }
        });
    }

    /// Opens `url` at the IdP like [`SimpleSamlIdp::login`] but only up to the
    /// first page: `None` when the IdP asks for a password or answers with a
    /// SAML post, `Some((status, page))` when it shows anything else (an error).
    pub async fn refusal(&self, http: &reqwest::Client, url: &str) -> Option<(u16, String)> {
        let mut next = Request::Get(url.to_owned());
        for _hop in 0..12 {
            let (current, res) = self.send(http, &next).await;
            let status = res.status();
            if status.is_redirection() {
                let location = res
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_else(|| panic!("redirect without Location from {current}"));
                let target = current.join(location).expect("redirect target");
                self.check_loopback(&target);
                next = Request::Get(target.to_string());
                continue;
            }
            let body = res.text().await.expect("IdP page");
            if saml_post_form(&body).is_some() || body.contains("name=\"password\"") {
                return None;
            }
            return Some((status.as_u16(), body));
        }
        panic!("too many redirects at the IdP starting from {url}");
    }

    fn update_params(&self, change: impl FnOnce(&mut Value)) {
        let mut params = self.params.lock().expect("params lock");
        change(&mut params);
        write_params(&self.dir.path().join("config"), &params);
    }

    /// The IdP's own log and the PHP server's output, for failure messages.
    pub fn logs(&self) -> String {
        logs_of(self.dir.path())
    }

    /// Opens `url` at the IdP (an AuthnRequest redirect or an IdP-initiated
    /// URL) in the browser `http` (a cookie store and no automatic
    /// redirects), follows the IdP's redirects, signs in through its
    /// username/password form when asked (an existing IdP session skips it)
    /// and returns the form the IdP auto-posts to the service provider.
    pub async fn login(
        &self,
        http: &reqwest::Client,
        url: &str,
        username: &str,
        password: &str,
    ) -> SamlPost {
        let mut next = Request::Get(url.to_owned());
        let mut submitted = false;
        for _hop in 0..12 {
            let (current, res) = self.send(http, &next).await;
            let status = res.status();
            if status.is_redirection() {
                let location = res
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_else(|| panic!("redirect without Location from {current}"));
                let target = current.join(location).expect("redirect target");
                self.check_loopback(&target);
                next = Request::Get(target.to_string());
                continue;
            }
            let body = res.text().await.expect("IdP page");
            if let Some(post) = saml_post_form(&body) {
                return post;
            }
            if let Some(auth_state) =
                input_value(&body, "AuthState").filter(|_| body.contains("name=\"password\""))
            {
                assert!(
                    !submitted,
                    "the IdP refused {username}'s password (HTTP {status}):\n{}",
                    excerpt(&body)
                );
                submitted = true;
                let action = form_action(&body).unwrap_or_else(|| "?".to_owned());
                let target = current.join(&action).expect("form action");
                self.check_loopback(&target);
                next = Request::Post(
                    target.to_string(),
                    vec![
                        ("username".into(), username.to_owned()),
                        ("password".into(), password.to_owned()),
                        ("AuthState".into(), auth_state),
                    ],
                );
                continue;
            }
            panic!(
                "unexpected IdP page at {current} (HTTP {status}):\n{}\n{}",
                excerpt(&body),
                self.logs()
            );
        }
        panic!("too many redirects at the IdP starting from {url}");
    }

    async fn send(
        &self,
        http: &reqwest::Client,
        req: &Request,
    ) -> (reqwest::Url, reqwest::Response) {
        let (url, builder) = match req {
            Request::Get(url) => (url, http.get(url)),
            Request::Post(url, fields) => (url, http.post(url).form(fields)),
        };
        let url = reqwest::Url::parse(url).expect("IdP URL");
        let res = tokio::time::timeout(REQUEST_TIMEOUT, builder.send())
            .await
            .unwrap_or_else(|_| panic!("the IdP took over {REQUEST_TIMEOUT:?} at {url}"))
            .unwrap_or_else(|e| panic!("request to the IdP failed at {url}: {e}"));
        (url, res)
    }

    fn check_loopback(&self, url: &reqwest::Url) {
        assert!(
            url.host_str() == Some("127.0.0.1") && url.port() == Some(self.port),
            "the IdP sent the browser away from itself, to {url}"
        );
    }
}

impl Drop for SimpleSamlIdp {
    fn drop(&mut self) {
        stop(&mut self.child);
    }
}

/// SIGTERM to `timeout`, which passes it on to php; SIGKILL if that is not enough.
fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn logs_of(dir: &Path) -> String {
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).unwrap_or_default();

    let tail = |s: String| {
        let lines: Vec<&str> = s.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    };
    format!(
        "--- simplesamlphp.log ---\n{}\n--- php -S ---\n{}",
        tail(read("log/simplesamlphp.log")),
        tail(read("log/php-server.log"))
    )
}

fn wait_ready(child: &mut Child, port: u16, limit: Duration) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("php -S exited with {status}"));
        }
        match raw_get(port, "/saml2/idp/metadata.php") {
            Ok(200) => return Ok(()),
            Ok(status) => return Err(format!("the IdP metadata answered HTTP {status}")),
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("the IdP did not answer within {limit:?}: {e}")),
        }
    }
}

enum Request {
    Get(String),
    Post(String, Vec<(String, String)>),
}

fn write_params(config_dir: &Path, params: &Value) {
    let tmp = config_dir.join("params.json.tmp");
    std::fs::write(
        &tmp,
        serde_json::to_vec_pretty(params).expect("params JSON"),
    )
    .expect("write params");
    std::fs::rename(&tmp, config_dir.join("params.json")).expect("replace params");
}

fn generate_key_pair(dir: &Path, stem: &str, common_name: &str) {
    let out = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "3650",
        ])
        .arg("-keyout")
        .arg(dir.join(format!("{stem}.key")))
        .arg("-out")
        .arg(dir.join(format!("{stem}.crt")))
        .args(["-subj", &format!("/CN={common_name}")])
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// The HTTP status of a GET on the loopback port, with bounded waits.
fn raw_get(port: u16, path: &str) -> std::io::Result<u16> {
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(10)))?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 64];
    let n = stream.read(&mut head)?;
    let line = String::from_utf8_lossy(&head[..n]);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no HTTP status in {line:?}")))
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .expect("read /dev/urandom");
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SAML auto-post form (`SAMLResponse`, optional `RelayState`), if the page is one.
fn saml_post_form(html: &str) -> Option<SamlPost> {
    let saml_response = input_value(html, "SAMLResponse")?;
    Some(SamlPost {
        acs_url: form_action(html).expect("the SAML post form has an action"),
        saml_response,
        relay_state: input_value(html, "RelayState").unwrap_or_default(),
    })
}

/// The `value` of the first `<input name="{name}" …>`.
fn input_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    let tag_start = html[..at].rfind('<')?;
    let tag_end = at + html[at..].find('>')?;
    attribute(&html[tag_start..tag_end], "value")
}

/// The `action` of the first `<form>`.
fn form_action(html: &str) -> Option<String> {
    let start = html.find("<form")?;
    let end = start + html[start..].find('>')?;
    attribute(&html[start..end], "action")
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    loop {
        let at = rest.find(name)?;
        let before = rest[..at].chars().last();
        let after = rest[at + name.len()..].trim_start();
        if before.is_some_and(char::is_whitespace) {
            if let Some(value) = after.strip_prefix('=') {
                let value = value.trim_start();
                let quote = value.chars().next()?;
                if quote == '"' || quote == '\'' {
                    let inner = &value[1..];
                    let end = inner.find(quote)?;
                    return Some(html_unescape(&inner[..end]));
                }
            }
        }
        rest = &rest[at + name.len()..];
    }
}

fn html_unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let Some(end) = tail.find(';').filter(|e| *e <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let entity = &tail[1..end];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn excerpt(body: &str) -> String {
    body.chars().take(3000).collect()
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes().filter(|b| !b.is_ascii_whitespace()) {
        if b == b'=' {
            break;
        }
        let v = ALPHABET.iter().position(|a| *a == b)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_post_form() {
        let html = r#"<form method="post"
            action="http://127.0.0.1:1/organizations/acme/saml/consume">
            <input type="hidden" name="SAMLResponse" value="PHg+PC94Pg==" />
            <input type="hidden" name="RelayState" value="a&amp;b" /></form>"#;
        let post = saml_post_form(html).expect("form");
        assert_eq!(
            post.acs_url,
            "http://127.0.0.1:1/organizations/acme/saml/consume"
        );
        assert_eq!(post.relay_state, "a&b");
        assert_eq!(post.xml(), "<x></x>");
    }

    #[test]
    fn reads_the_login_form() {
        let html = r#"<form action="?" method="post" name="f"><input id="password" type="password" name="password" />
        <input type="hidden" name="AuthState" value="_1:http://x/?a=1&amp;b=2" /></form>"#;
        assert_eq!(form_action(html).as_deref(), Some("?"));
        assert_eq!(
            input_value(html, "AuthState").as_deref(),
            Some("_1:http://x/?a=1&b=2")
        );
        assert_eq!(html_unescape("&#39;&#x41;&unknown; &"), "'A&unknown; &");
    }

    #[test]
    fn default_users_have_groups() {
        let alice = IdpUser::named("alice");
        assert_eq!(alice.email, "alice@example.com");
        assert!(alice.groups.len() > 1);
    }
}
