//! Mandatory organization SSO end to end, through the real IdPs: the
//! OpenID Certified `oidc-provider` (npm, `e2e/oidc-idp.mjs`) and
//! SimpleSAMLphp (`php -S`), both on loopback, their login forms driven
//! over HTTP with each browser's own cookie jar.
//!
//! A member is refused (SSO prompt page, `sso_required` API answer, read
//! token) until they sign in through the IdP, and lands back on the page
//! they wanted; sessions end with the organization's timeout (an injected
//! clock, no sleeps), an admin's revocation, a disable, and the operator's
//! break-glass CLI (the built `orgsso` binary); a sign-in started before a
//! disable cannot finish; users of the organization's email domains join by
//! just-in-time membership, or are refused when it is off; enabling needs
//! an admin whose IdP identity is their own verified email, and optional
//! mode refuses nothing but shows the banner.
//!
//! Without an IdP (or the built binary) a test prints why and passes,
//! unless `ORGSSO_TEST_REQUIRE_PEERS=1` demands it.

use orgsso_core::{Clock, FixedClock, SystemClock};
use orgsso_test_support::location;
use orgsso_test_support::oidc_provider::{authenticate, back_at_hub, OidcIdp, IDP_PASSWORD};
use orgsso_test_support::operator::{binary, ok, run, stderr, stdout, Place, Server};
use orgsso_test_support::simplesamlphp::{
    IdpUser, SamlPost, SigningKey, SimpleSamlIdp, SpRegistration,
};
use orgsso_test_support::{
    error_of, json_body, skip_without_peer, Client, StatusCode, TestApp, PASSWORD,
};
use serde_json::{json, Value};
use std::sync::Arc;

const ORG: &str = "acme";
/// acme's private repository: its page, its API resource and its README.
const SECRET_PAGE: &str = "/models/acme/secret";
const SECRET_API: &str = "/api/repos/model/acme/secret";
const SECRET_README: &str = "the secret plans of acme";
/// acme's public repository.
const OPEN_PAGE: &str = "/models/acme/open";
const OPEN_API: &str = "/api/repos/model/acme/open";
/// The email domain acme ties its SSO to in the domain tests.
const DOMAIN: &str = "acme.example.com";
const DAY_S: i64 = 24 * 3600;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    Oidc,
    Saml,
}

/// One real IdP with acme registered as its client / service provider.
enum Idp {
    Oidc(OidcIdp),
    Saml(SimpleSamlIdp),
}

/// Where the IdP hands the browser back to the hub, not delivered yet.
enum BackToHub {
    /// The OIDC callback URL with `code` and `state`.
    Callback(String),
    /// The SAML auto-posting form for the ACS.
    Post(SamlPost),
}

impl Idp {
    /// Starts the IdP of `protocol` for acme on the hub at `base_url`; the
    /// SAML IdP also knows `extra_users`. `None` (after saying why) when it
    /// cannot run here.
    fn start(protocol: Protocol, base_url: &str, extra_users: &[IdpUser]) -> Option<Idp> {
        let unavailable = match protocol {
            Protocol::Oidc => OidcIdp::unavailable(),
            Protocol::Saml => SimpleSamlIdp::unavailable(),
        };
        if let Some(why) = unavailable {
            skip_without_peer(&why);
            return None;
        }
        Some(match protocol {
            Protocol::Oidc => {
                assert!(
                    extra_users.is_empty(),
                    "the OIDC IdP has the users of e2e/users.json only"
                );
                Idp::Oidc(OidcIdp::for_org(base_url, ORG))
            }
            Protocol::Saml => {
                let mut users = IdpUser::defaults();
                users.extend(extra_users.iter().cloned());
                Idp::Saml(SimpleSamlIdp::start(
                    &[SpRegistration::for_org(base_url, ORG)],
                    &users,
                    SigningKey::First,
                ))
            }
        })
    }

    /// Saves this IdP as acme's newest configuration through the API, as
    /// `admin`: its id and the IdP URL that tests it.
    async fn save(&self, admin: &Client) -> (i64, String) {
        let (protocol, body) = match self {
            Idp::Oidc(idp) => (
                "oidc",
                json!({"issuer_url": idp.issuer, "client_id": idp.client_id,
                       "client_secret": idp.client_secret, "scopes": "openid email profile",
                       "email_claim": "email"}),
            ),
            Idp::Saml(idp) => (
                "saml",
                json!({"idp_sso_url": idp.sso_url(), "idp_entity_id": idp.idp_entity_id(),
                       "certificates": idp.cert_pem(SigningKey::First)}),
            ),
        };
        let res = admin
            .post_json(&format!("/api/orgs/{ORG}/sso/{protocol}"), body)
            .await;
        let status = res.status();
        let body = json_body(res).await;
        assert_eq!(status, StatusCode::CREATED, "save {protocol}: {body}");
        let id = body["config_id"].as_i64().expect("config_id");
        let test_url = body["test_url"].as_str().expect("test_url").to_owned();
        (id, test_url)
    }

    /// Signs `user` in at the IdP, from `idp_url` where the hub sent
    /// `browser`; stops where the IdP sends the browser back to the hub.
    async fn authenticate(&self, browser: &Client, idp_url: &str, user: &str) -> BackToHub {
        match self {
            Idp::Oidc(idp) => {
                assert!(
                    idp_url.starts_with(&idp.issuer),
                    "expected the OIDC IdP, sent to {idp_url}"
                );
                BackToHub::Callback(authenticate(browser, idp_url, user, IDP_PASSWORD).await)
            }
            Idp::Saml(idp) => {
                assert!(
                    idp_url.starts_with(&idp.base_url()),
                    "expected the SAML IdP, sent to {idp_url}"
                );
                BackToHub::Post(idp.login(&browser.http, idp_url, user, IDP_PASSWORD).await)
            }
        }
    }
}

impl BackToHub {
    /// What the browser does next: requests the callback, or posts the form
    /// to the ACS. The hub's answer.
    async fn deliver(&self, browser: &Client) -> reqwest::Response {
        match self {
            BackToHub::Callback(url) => back_at_hub(browser, url).await,
            BackToHub::Post(post) => {
                let path = post
                    .acs_url
                    .strip_prefix(&browser.base_url)
                    .unwrap_or_else(|| panic!("the IdP posts to {}, not the hub", post.acs_url));
                browser
                    .post_form(
                        path,
                        &[
                            ("SAMLResponse", &post.saml_response),
                            ("RelayState", &post.relay_state),
                        ],
                    )
                    .await
            }
        }
    }
}

/// A user of the SAML IdP (password [`IDP_PASSWORD`]).
fn saml_user(username: &str, email: &str) -> IdpUser {
    IdpUser {
        username: username.to_owned(),
        password: IDP_PASSWORD.to_owned(),
        email: email.to_owned(),
        display_name: format!("{username} of acme"),
        groups: Vec::new(),
    }
}

async fn text(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    (status, res.text().await.unwrap_or_default())
}

fn settings_path() -> String {
    format!("/organizations/{ORG}/settings/sso")
}

/// The path that starts acme's SSO and returns to the organization's page.
fn start_path() -> String {
    format!("/organizations/{ORG}/sso?return_to=/organizations/{ORG}")
}

/// Update and Test as `admin` (an API save, then the admin's browser
/// through the IdP as `idp_user`): the configuration's id and where the hub
/// sent the admin back to.
async fn configure_and_test(idp: &Idp, admin: &Client, idp_user: &str) -> (i64, String) {
    let (id, test_url) = idp.save(admin).await;
    let back = idp.authenticate(admin, &test_url, idp_user).await;
    let res = back.deliver(admin).await;
    let landed = location(&res);
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "test round trip");
    (id, landed)
}

/// `POST /api/orgs/acme/sso/enable`, with `"mode"` when given.
async fn enable(admin: &Client, config_id: i64, mode: Option<&str>) -> reqwest::Response {
    let mut body = json!({ "config_id": config_id });
    if let Some(mode) = mode {
        body["mode"] = json!(mode);
    }
    admin
        .post_json(&format!("/api/orgs/{ORG}/sso/enable"), body)
        .await
}

/// `browser` opens `link` (a path that starts acme's SSO) and signs in at
/// the IdP as `idp_user`: the hub's answer to the callback or ACS.
async fn sign_in_from(
    idp: &Idp,
    browser: &Client,
    link: &str,
    idp_user: &str,
) -> reqwest::Response {
    let res = browser.get(link).await;
    let (status, idp_url) = (res.status(), location(&res));
    assert_eq!(status, StatusCode::SEE_OTHER, "start SSO at {link}");
    idp.authenticate(browser, &idp_url, idp_user)
        .await
        .deliver(browser)
        .await
}

/// Like [`sign_in_from`] acme's own start path; asserts the sign-in succeeded.
async fn sign_in(idp: &Idp, browser: &Client, idp_user: &str) {
    let res = sign_in_from(idp, browser, &start_path(), idp_user).await;
    let status = res.status();
    let landed = res
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let page = res.text().await.unwrap_or_default();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{idp_user}'s SSO sign-in:\n{page}"
    );
    assert_eq!(landed.as_deref(), Some("/organizations/acme"));
}

/// Decodes the HTML entities askama writes in attributes.
fn html_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').filter(|e| *e <= 8);
        let decoded = end.and_then(|end| match &tail[1..end] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            entity => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        });
        match (decoded, end) {
            (Some(c), Some(end)) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            _ => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The first `href` after `marker` in `html`, unescaped.
fn href_after(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)?;
    let rest = &html[at..];
    let start = rest.find("href=\"")? + "href=\"".len();
    let end = rest[start..].find('"')?;
    Some(html_unescape(&rest[start..start + end]))
}

/// The `return_to` of a link that starts acme's SSO, decoded; panics when
/// `link` is not such a link.
fn return_to_of(link: &str) -> String {
    let url = reqwest::Url::parse(&format!("http://hub.invalid{link}"))
        .unwrap_or_else(|_| panic!("not a path: {link}"));
    assert_eq!(
        url.path(),
        format!("/organizations/{ORG}/sso"),
        "not acme's SSO start: {link}"
    );
    url.query_pairs()
        .find(|(k, _)| k == "return_to")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no return_to in {link}"))
}

/// The organizations the SSO banner names on `html`, with their links.
fn banner(html: &str) -> Vec<(String, String)> {
    html.split("class=\"sso-banner\"")
        .skip(1)
        .map(|rest| {
            let org = rest
                .split("data-org=\"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("the banner names its organization");
            let link = href_after(rest, "").expect("the banner links to the sign-in");
            (html_unescape(org), link)
        })
        .collect()
}

/// The hub's home page banner for `browser`: each organization it names, with its link.
async fn home_banner_links(browser: &Client) -> Vec<(String, String)> {
    let (status, html) = text(browser.get("/").await).await;
    assert_eq!(status, StatusCode::OK, "home page:\n{html}");
    banner(&html)
}

/// The organizations the hub's home page banner names for `browser`.
async fn home_banner(browser: &Client) -> Vec<String> {
    home_banner_links(browser)
        .await
        .into_iter()
        .map(|(org, _)| org)
        .collect()
}

/// The hub's id of `username`, as the audit log names actors.
async fn user_id(app: &TestApp, username: &str) -> i64 {
    let name = orgsso_core::Username::parse(username).expect("username");
    app.store
        .user_by_username(&name)
        .await
        .expect("store")
        .expect("user")
        .id
        .0
}

/// Asserts `browser` gets acme's SSO prompt (403) instead of the page at
/// `path`, and that the prompt's button starts acme's SSO and comes back
/// to `path`; returns that link.
async fn assert_prompted(browser: &Client, path: &str) -> String {
    let (status, html) = text(browser.get(path).await).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "{path}: expected the SSO prompt:\n{html}"
    );
    assert!(
        html.contains("sso-prompt") && html.contains("data-org=\"acme\""),
        "{path}: not acme's SSO prompt:\n{html}"
    );
    assert!(
        !html.contains(SECRET_README),
        "{path}: the prompt leaks content"
    );
    let link = href_after(&html, "sso-prompt").expect("a sign-in link on the prompt");
    assert!(
        link.starts_with(&format!("/organizations/{ORG}/sso?return_to=")),
        "{link}"
    );
    assert_eq!(return_to_of(&link), path, "the prompt returns to {link}");
    link
}

/// Asserts `client` (a browser or a token) gets the `sso_required` answer on `path`.
async fn assert_sso_required(client: &Client, path: &str) {
    let (status, error) = error_of(client.get(path).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {error}");
    assert_eq!(error["code"], "sso_required", "{path}: {error}");
    assert_eq!(error["org"], ORG, "{path}: {error}");
    assert_eq!(
        error["sso_url"],
        format!("{}/organizations/{ORG}/sso", client.base_url),
        "{path}: {error}"
    );
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{path}: {error}"
    );
}

/// Asserts `client` gets `path` (200); returns the body.
async fn assert_reads(client: &Client, path: &str) -> String {
    let (status, body) = text(client.get(path).await).await;
    assert_eq!(status, StatusCode::OK, "{path}:\n{body}");
    body
}

/// Asserts `browser` reads acme's private repository, by page and by API.
async fn assert_reads_secret(browser: &Client) {
    let page = assert_reads(browser, SECRET_PAGE).await;
    assert!(page.contains(SECRET_README), "{page}");
    let body = assert_reads(browser, SECRET_API).await;
    assert!(body.contains(SECRET_README), "{body}");
}

/// Asserts `browser` is refused acme's private repository, page and API.
async fn assert_refused_secret(browser: &Client) {
    assert_prompted(browser, SECRET_PAGE).await;
    assert_sso_required(browser, SECRET_API).await;
}

/// acme's SSO audit log through the API, newest first, as `(event, detail, actor_id)`.
async fn audit(admin: &Client) -> Vec<(String, String, Value)> {
    admin
        .sso_audit(ORG)
        .await
        .iter()
        .map(|e| {
            (
                e["event"].as_str().expect("event").to_owned(),
                e["detail"].as_str().expect("detail").to_owned(),
                e["actor_id"].clone(),
            )
        })
        .collect()
}

async fn sso_state(admin: &Client) -> Value {
    let res = admin.get(&format!("/api/orgs/{ORG}/sso")).await;
    let status = res.status();
    let body = json_body(res).await;
    assert_eq!(status, StatusCode::OK, "SSO state: {body}");
    body
}

/// Creates acme's private and public repositories as `admin`.
async fn repositories(admin: &Client) {
    for (name, visibility, readme) in [
        ("secret", "private", SECRET_README),
        ("open", "public", "the open model of acme"),
    ] {
        let res = admin
            .post_json(
                "/api/repos",
                json!({"owner": ORG, "kind": "model", "name": name,
                       "visibility": visibility, "readme": readme}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "create {name}");
    }
}

/// Signs `username` up with `email`, verifies it through its link, logs in.
async fn user_with_email(app: &TestApp, username: &str, email: &str) -> Client {
    let mut client = app.client();
    let res = client
        .post_json(
            "/api/signup",
            json!({"username": username, "email": email, "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "signup {username}");
    let token = app.verification_token(email).await;
    let res = client
        .post_json("/api/emails/verify", json!({"token": token}))
        .await;
    assert_eq!(res.status(), StatusCode::OK, "verify {email}");
    client.login(username, PASSWORD).await;
    client
}

/// orgsso with acme (alice its admin, a private and a public repository)
/// and a real IdP for acme.
struct Hub {
    app: TestApp,
    idp: Idp,
    alice: Client,
}

impl Hub {
    async fn new(protocol: Protocol) -> Option<Hub> {
        Self::with(TestApp::spawn().await, protocol, &[]).await
    }

    /// On `app`; the SAML IdP also knows `extra_users`.
    async fn with(app: TestApp, protocol: Protocol, extra_users: &[IdpUser]) -> Option<Hub> {
        let idp = Idp::start(protocol, &app.base_url, extra_users)?;
        let alice = app.user("alice").await;
        app.org(&alice, ORG).await;
        repositories(&alice).await;
        Some(Hub { app, idp, alice })
    }

    /// A signed-in user who is a `read` member of acme.
    async fn member(&self, name: &str) -> Client {
        let client = self.app.user(name).await;
        self.app.add_member(&self.alice, ORG, name, "read").await;
        client
    }

    /// alice saves the IdP, tests it as herself and enables it in `mode`
    /// (the API default, enforced, when `None`): the configuration's id.
    async fn enable(&self, mode: Option<&str>) -> i64 {
        let (id, landed) = configure_and_test(&self.idp, &self.alice, "alice").await;
        assert_eq!(landed, format!("{}?done=tested", settings_path()));
        let res = enable(&self.alice, id, mode).await;
        let (status, body) = text(res).await;
        assert_eq!(status, StatusCode::NO_CONTENT, "enable: {body}");
        id
    }
}

// ---------------------------------------------------------------------------
// 1. A member is refused, then signs in from the prompt and lands back.
// ---------------------------------------------------------------------------

/// Refused by page (the prompt), by API (`sso_required`) and on the hub's
/// home page banner; then in through the prompt's link and the IdP, back on
/// the private page they wanted, which now renders.
async fn member_is_refused_then_signs_in_from_the_prompt(protocol: Protocol) {
    let Some(hub) = Hub::new(protocol).await else {
        return;
    };
    let bob = hub.member("bob").await;
    let anonymous = hub.app.client();
    // Bob's own private repository and another organization of his.
    let res = bob
        .post_json(
            "/api/repos",
            json!({"owner": "bob", "kind": "model", "name": "notes", "visibility": "private"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "bob's own repository");
    hub.app.org(&bob, "globex").await;
    assert_reads_secret(&bob).await;
    assert!(
        home_banner(&bob).await.is_empty(),
        "no banner while SSO is off"
    );

    hub.enable(None).await;

    // Everything in acme's namespace is refused, its public content included.
    let link = assert_prompted(&bob, SECRET_PAGE).await;
    assert_sso_required(&bob, SECRET_API).await;
    assert_prompted(&bob, OPEN_PAGE).await;
    assert_sso_required(&bob, OPEN_API).await;
    assert_prompted(&bob, "/organizations/acme").await;
    assert_sso_required(&bob, "/api/orgs/acme").await;
    // The home page banner names acme; its button comes back to the home page.
    let banner = home_banner_links(&bob).await;
    assert_eq!(banner.len(), 1, "{banner:?}");
    assert_eq!(banner[0].0, ORG);
    assert_eq!(return_to_of(&banner[0].1), "/");
    // Bob's own account and namespace and his other organization are not
    // gated; anonymous visitors see what they saw.
    assert_reads(&bob, "/api/me").await;
    assert_reads(&bob, "/models/bob/notes").await;
    assert_reads(&bob, "/api/repos/model/bob/notes").await;
    assert_reads(&bob, "/organizations/globex").await;
    assert_reads(&bob, "/api/orgs/globex").await;
    assert_reads(&anonymous, OPEN_PAGE).await;
    assert_reads(&anonymous, OPEN_API).await;
    assert_eq!(
        anonymous.get(SECRET_PAGE).await.status(),
        StatusCode::NOT_FOUND
    );

    // From the prompt's button, through the IdP, back to the page he wanted.
    let res = sign_in_from(&hub.idp, &bob, &link, "bob").await;
    let status = res.status();
    let landed = location(&res);
    assert_eq!(status, StatusCode::SEE_OTHER, "{protocol:?} sign-in");
    assert_eq!(landed, SECRET_PAGE, "lands on the page he wanted");
    let page = assert_reads(&bob, &landed).await;
    assert!(page.contains(SECRET_README), "{page}");
    assert!(banner_of(&page).is_empty(), "{page}");
    assert_reads_secret(&bob).await;
    assert_reads(&bob, OPEN_PAGE).await;
    assert_reads(&bob, "/organizations/acme").await;
    assert!(
        home_banner(&bob).await.is_empty(),
        "the banner is gone after signing in"
    );

    // The SSO session belongs to that browser: bob elsewhere is still refused.
    let mut bob_elsewhere = hub.app.client();
    bob_elsewhere.login("bob", PASSWORD).await;
    assert_refused_secret(&bob_elsewhere).await;
    assert_eq!(home_banner(&bob_elsewhere).await, [ORG]);
}

fn banner_of(html: &str) -> Vec<String> {
    banner(html).into_iter().map(|(org, _)| org).collect()
}

#[tokio::test]
async fn a_member_is_refused_then_signs_in_from_the_prompt_and_lands_on_the_page_over_oidc() {
    member_is_refused_then_signs_in_from_the_prompt(Protocol::Oidc).await;
}

#[tokio::test]
async fn a_member_is_refused_then_signs_in_from_the_prompt_and_lands_on_the_page_over_saml() {
    member_is_refused_then_signs_in_from_the_prompt(Protocol::Saml).await;
}

// ---------------------------------------------------------------------------
// 2. Tokens obey SSO (B7).
// ---------------------------------------------------------------------------

/// A read token reaches acme only while its owner holds a live SSO session
/// (in any browser): refused with `sso_required` before, accepted after
/// the owner's sign-in, refused again once that browser logs out.
#[tokio::test]
async fn a_read_token_is_refused_until_its_owner_signs_in_through_the_idp_in_a_browser() {
    let Some(hub) = Hub::new(Protocol::Saml).await else {
        return;
    };
    let bob = hub.member("bob").await;
    let carol = hub.member("carol").await;
    let bobs_script = hub.app.token_client(&hub.app.token(&bob, "read").await);
    let carols_script = hub.app.token_client(&hub.app.token(&carol, "read").await);
    assert_reads(&bobs_script, SECRET_API).await;

    hub.enable(None).await;
    for script in [&bobs_script, &carols_script] {
        assert_sso_required(script, SECRET_API).await;
        assert_sso_required(script, OPEN_API).await;
        assert_sso_required(script, "/api/orgs/acme/members").await;
        // The token still works outside acme.
        assert_reads(script, "/api/me").await;
    }

    // Bob signs in through the IdP in his browser: his token gets through.
    sign_in(&hub.idp, &bob, "bob").await;
    let body = assert_reads(&bobs_script, SECRET_API).await;
    assert!(body.contains(SECRET_README), "{body}");
    assert_reads(&bobs_script, OPEN_API).await;
    // Carol's does not: the session is bob's.
    assert_sso_required(&carols_script, SECRET_API).await;

    // Logging that browser out ends its SSO session, for the token too.
    let res = bob.post_json("/api/logout", json!({})).await;
    assert!(res.status().is_success(), "logout: {}", res.status());
    assert_sso_required(&bobs_script, SECRET_API).await;

    // So does a password change: the IdP vouched for the account as it was.
    let mut bob = hub.app.client();
    bob.login("bob", PASSWORD).await;
    sign_in(&hub.idp, &bob, "bob").await;
    assert_reads(&bobs_script, SECRET_API).await;
    let res = bob
        .post_json(
            "/api/me/password",
            json!({"current_password": PASSWORD, "new_password": "another long passphrase"}),
        )
        .await;
    assert!(
        res.status().is_success(),
        "password change: {}",
        res.status()
    );
    assert_sso_required(&bobs_script, SECRET_API).await;
    assert_refused_secret(&bob).await;
}

// ---------------------------------------------------------------------------
// 3. Session timeout, with an injected clock.
// ---------------------------------------------------------------------------

/// A clock frozen at the wall time now: the IdPs' tokens and assertions
/// (issued at the wall time) stay valid while the test moves it forward.
fn frozen_clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(SystemClock.now()))
}

/// After the organization's timeout (default 7 days) the member, his token
/// and the admin are refused again and the banner is back.
#[tokio::test]
async fn an_sso_session_ends_when_the_organizations_timeout_passes() {
    let clock = frozen_clock();
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let Some(hub) = Hub::with(app, Protocol::Oidc, &[]).await else {
        return;
    };
    let bob = hub.member("bob").await;
    let script = hub.app.token_client(&hub.app.token(&bob, "read").await);
    hub.enable(None).await;
    sign_in(&hub.idp, &hub.alice, "alice").await;
    assert_eq!(sso_state(&hub.alice).await["session_timeout_s"], 7 * DAY_S);
    sign_in(&hub.idp, &bob, "bob").await;
    assert_reads_secret(&bob).await;

    clock.advance(7 * DAY_S - 60);
    assert_reads_secret(&bob).await;
    assert_reads(&script, SECRET_API).await;
    assert!(home_banner(&bob).await.is_empty());

    clock.advance(61);
    assert_refused_secret(&bob).await;
    assert_sso_required(&script, SECRET_API).await;
    assert_eq!(home_banner(&bob).await, [ORG]);
    assert_sso_required(&hub.alice, "/api/orgs/acme/sso").await;
}

/// Lowering the timeout applies to sessions already open: one hour keeps a
/// 20-minute-old session, 15 minutes ends it at once; out-of-range values
/// are refused naming the field; a new sign-in lasts the new timeout.
#[tokio::test]
async fn lowering_the_timeout_shortens_sessions_already_open() {
    let clock = frozen_clock();
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let Some(hub) = Hub::with(app, Protocol::Oidc, &[]).await else {
        return;
    };
    let bob = hub.member("bob").await;
    hub.enable(None).await;
    sign_in(&hub.idp, &hub.alice, "alice").await;
    sign_in(&hub.idp, &bob, "bob").await;
    clock.advance(20 * 60);
    assert_reads_secret(&bob).await;

    let options = format!("/api/orgs/{ORG}/sso");
    for bad in [json!(15 * 60 - 1), json!(90 * DAY_S + 1), json!(0)] {
        let res = hub
            .alice
            .patch_json(&options, json!({ "session_timeout_s": bad }))
            .await;
        let (status, error) = error_of(res).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {error}");
        assert_eq!(error["field"], "session_timeout", "{bad}: {error}");
    }
    assert_eq!(sso_state(&hub.alice).await["session_timeout_s"], 7 * DAY_S);

    let res = hub
        .alice
        .patch_json(&options, json!({ "session_timeout_s": 3600 }))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_reads_secret(&bob).await;
    // The admin's list of SSO users shows the shortened end.
    let state = sso_state(&hub.alice).await;
    let users = state["sso_users"].as_array().expect("sso_users");
    assert_eq!(users.len(), 2, "{state}");
    for user in users {
        let at = |key: &str| {
            orgsso_core::Timestamp::parse_rfc3339(user[key].as_str().expect(key))
                .expect("RFC 3339")
                .unix()
        };
        assert_eq!(at("expires_at") - at("signed_in_at"), 3600, "{user}");
    }

    let res = hub
        .alice
        .patch_json(&options, json!({ "session_timeout_s": 15 * 60 }))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_refused_secret(&bob).await;
    // alice's session is as old as bob's.
    assert_sso_required(&hub.alice, &options).await;

    // A new sign-in lasts the new timeout.
    sign_in(&hub.idp, &bob, "bob").await;
    assert_reads_secret(&bob).await;
    clock.advance(15 * 60 - 1);
    assert_reads_secret(&bob).await;
    clock.advance(1);
    assert_refused_secret(&bob).await;
}

// ---------------------------------------------------------------------------
// 4. An admin revokes one member's sessions.
// ---------------------------------------------------------------------------

#[tokio::test]
async fn an_admin_revokes_one_members_sso_sessions_at_once_and_the_audit_log_records_it() {
    let Some(hub) = Hub::new(Protocol::Saml).await else {
        return;
    };
    let bob = hub.member("bob").await;
    let carol = hub.member("carol").await;
    let mut bob_elsewhere = hub.app.client();
    bob_elsewhere.login("bob", PASSWORD).await;
    hub.enable(None).await;
    for (browser, who) in [
        (&hub.alice, "alice"),
        (&bob, "bob"),
        (&bob_elsewhere, "bob"),
        (&carol, "carol"),
    ] {
        sign_in(&hub.idp, browser, who).await;
        assert_reads_secret(browser).await;
    }

    let res = hub
        .alice
        .post_json("/api/orgs/acme/sso/revoke", json!({"username": "bob"}))
        .await;
    let (status, body) = (res.status(), json_body(res).await);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revoked"], 2, "both of bob's browsers: {body}");

    // Bob is refused at once, in both browsers; the others are not.
    assert_refused_secret(&bob).await;
    assert_refused_secret(&bob_elsewhere).await;
    assert_eq!(home_banner(&bob).await, [ORG]);
    assert_reads_secret(&carol).await;
    assert_reads_secret(&hub.alice).await;
    assert!(home_banner(&carol).await.is_empty());

    let alice_id = user_id(&hub.app, "alice").await;
    let entries = audit(&hub.alice).await;
    let (_, detail, actor) = entries
        .iter()
        .find(|(event, _, _)| event == "sso.sessions_revoked")
        .unwrap_or_else(|| panic!("no sso.sessions_revoked in {entries:?}"));
    assert!(detail.contains("bob") && detail.contains('2'), "{detail}");
    assert_eq!(actor, &json!(alice_id), "the revoking admin is named");

    // An unknown member is an error naming nothing revoked.
    let res = hub
        .alice
        .post_json("/api/orgs/acme/sso/revoke", json!({"username": "nobody"}))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_reads_secret(&carol).await;

    // Bob may sign in again.
    sign_in(&hub.idp, &bob, "bob").await;
    assert_reads_secret(&bob).await;

    // Revoking everyone's (no username) ends every session, the admin's too.
    let res = hub
        .alice
        .post_json("/api/orgs/acme/sso/revoke", json!({}))
        .await;
    let (status, body) = (res.status(), json_body(res).await);
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revoked"], 3, "alice, bob and carol: {body}");
    for browser in [&bob, &carol, &hub.alice] {
        assert_refused_secret(browser).await;
    }
    sign_in(&hub.idp, &hub.alice, "alice").await;
    let entries = audit(&hub.alice).await;
    assert!(
        entries.iter().any(|(e, d, a)| e == "sso.sessions_revoked"
            && d.contains("every member")
            && a == &json!(alice_id)),
        "{entries:?}"
    );
}

// ---------------------------------------------------------------------------
// 5. Disabling ends every session; a sign-in started before cannot finish.
// ---------------------------------------------------------------------------

#[tokio::test]
async fn disabling_sso_ends_every_session_and_enabling_it_again_needs_a_new_sign_in() {
    let Some(hub) = Hub::new(Protocol::Oidc).await else {
        return;
    };
    let bob = hub.member("bob").await;
    let config = hub.enable(None).await;
    sign_in(&hub.idp, &hub.alice, "alice").await;
    sign_in(&hub.idp, &bob, "bob").await;
    assert_reads_secret(&bob).await;

    let res = hub
        .alice
        .post_json("/api/orgs/acme/sso/disable", json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // SSO off: bob reaches acme with his hub session alone, no banner.
    assert_reads_secret(&bob).await;
    assert!(home_banner(&bob).await.is_empty());
    let state = sso_state(&hub.alice).await;
    assert_eq!(state["mode"], "off", "{state}");
    assert_eq!(state["sso_users"], json!([]), "{state}");
    let entries = audit(&hub.alice).await;
    assert!(
        entries
            .iter()
            .any(|(e, d, _)| e == "sso.disabled" && d.contains("2 SSO session(s) ended")),
        "{entries:?}"
    );

    // Enabled again (alice's own test is still recent): the old sessions
    // do not come back; everyone signs in again.
    let res = enable(&hub.alice, config, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_refused_secret(&bob).await;
    assert_sso_required(&hub.alice, "/api/orgs/acme/sso").await;
    sign_in(&hub.idp, &bob, "bob").await;
    assert_reads_secret(&bob).await;

    // Enabling another configuration ends every session too.
    sign_in(&hub.idp, &hub.alice, "alice").await;
    let (newer, landed) = configure_and_test(&hub.idp, &hub.alice, "alice").await;
    assert_eq!(landed, format!("{}?done=tested", settings_path()));
    assert_ne!(newer, config);
    assert_reads_secret(&bob).await;
    let res = enable(&hub.alice, newer, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_refused_secret(&bob).await;
    assert_sso_required(&hub.alice, "/api/orgs/acme/sso").await;
    sign_in(&hub.idp, &bob, "bob").await;
    assert_reads_secret(&bob).await;
}

/// Bob starts signing in and is at the IdP when alice disables SSO (then,
/// second round, disables and enables it again): his browser's return to
/// the callback / ACS gets a refusal page and opens no session.
/// `refusals`: the audited reason after the disable, and after the
/// disable and enable.
async fn a_sign_in_started_before_a_disable_cannot_finish(protocol: Protocol, refusals: [&str; 2]) {
    let Some(hub) = Hub::new(protocol).await else {
        return;
    };
    let bob = hub.member("bob").await;
    let config = hub.enable(None).await;
    sign_in(&hub.idp, &hub.alice, "alice").await;
    let start = format!("/organizations/{ORG}/sso?return_to={SECRET_PAGE}");
    let logins = |entries: &[(String, String, Value)]| {
        entries.iter().filter(|(e, _, _)| e == "sso.login").count()
    };
    let logins_before = logins(&audit(&hub.alice).await);

    // At the IdP while SSO is disabled.
    let res = bob.get(&start).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let back = hub.idp.authenticate(&bob, &location(&res), "bob").await;
    let res = hub
        .alice
        .post_json("/api/orgs/acme/sso/disable", json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_sign_in_refused(back.deliver(&bob).await).await;
    let state = sso_state(&hub.alice).await;
    assert_eq!(state["mode"], "off", "nothing changed: {state}");
    assert_eq!(state["sso_users"], json!([]), "{state}");
    let entries = audit(&hub.alice).await;
    assert_eq!(logins(&entries), logins_before, "{entries:?}");
    assert_refusal_audited(&hub, &entries[0], refusals[0]).await;
    // Enabled again: that sign-in left bob nothing.
    let res = enable(&hub.alice, config, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_refused_secret(&bob).await;

    // At the IdP while SSO is disabled and enabled again.
    sign_in(&hub.idp, &hub.alice, "alice").await;
    let logins_before = logins(&audit(&hub.alice).await);
    let res = bob.get(&start).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let back = hub.idp.authenticate(&bob, &location(&res), "bob").await;
    let res = hub
        .alice
        .post_json("/api/orgs/acme/sso/disable", json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = enable(&hub.alice, config, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_sign_in_refused(back.deliver(&bob).await).await;
    assert_refused_secret(&bob).await;
    sign_in(&hub.idp, &hub.alice, "alice").await;
    let entries = audit(&hub.alice).await;
    assert_refusal_audited(&hub, &entries[1], refusals[1]).await;
    assert_eq!(
        logins(&entries),
        logins_before + 1,
        "only alice's new sign-in: {entries:?}"
    );

    // A sign-in started now finishes.
    let res = sign_in_from(&hub.idp, &bob, &start, "bob").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), SECRET_PAGE);
    assert_reads_secret(&bob).await;
}

/// Asserts `entry` of the audit log is bob's sign-in refused for `code`.
async fn assert_refusal_audited(hub: &Hub, entry: &(String, String, Value), code: &str) {
    let (event, detail, actor) = entry;
    assert_eq!(event, "sso.login_failed", "{entry:?}");
    assert!(detail.starts_with(&format!("{code}: ")), "{entry:?}");
    assert_eq!(actor, &json!(user_id(&hub.app, "bob").await), "{entry:?}");
}

/// The hub's answer to a sign-in it refuses: a 403 page saying so, not a
/// redirect into the organization.
async fn assert_sign_in_refused(res: reqwest::Response) {
    let (status, page) = text(res).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "expected a refusal:\n{page}");
    assert!(
        page.contains("Single sign-on did not complete"),
        "not the refusal page:\n{page}"
    );
    assert!(!page.contains(SECRET_README), "{page}");
}

#[tokio::test]
async fn a_sign_in_started_before_a_disable_cannot_finish_at_the_oidc_callback() {
    a_sign_in_started_before_a_disable_cannot_finish(
        Protocol::Oidc,
        ["sso.changed_during_sign_in", "sso.changed_during_sign_in"],
    )
    .await;
}

#[tokio::test]
async fn a_sign_in_started_before_a_disable_cannot_finish_at_the_saml_acs() {
    a_sign_in_started_before_a_disable_cannot_finish(
        Protocol::Saml,
        ["sso.changed_during_sign_in", "sso.changed_during_sign_in"],
    )
    .await;
}

// ---------------------------------------------------------------------------
// 6. Users of the organization's email domains.
// ---------------------------------------------------------------------------

/// acme over SAML with the email domain `acme.example.com`, and `user` a
/// hub account (not a member) whose verified email is in it, also known to
/// the IdP.
async fn domain_hub(user: &str) -> Option<(Hub, Client)> {
    let email = format!("{user}@{DOMAIN}");
    let hub = Hub::with(
        TestApp::spawn().await,
        Protocol::Saml,
        &[saml_user(user, &email)],
    )
    .await?;
    let browser = user_with_email(&hub.app, user, &email).await;
    let res = hub
        .alice
        .post_json(
            "/api/orgs/acme/sso/domains",
            json!({"domain": "ACME.Example.com"}),
        )
        .await;
    let (status, body) = (res.status(), json_body(res).await);
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["domain"], DOMAIN, "normalised: {body}");
    let domains = json_body(hub.alice.get("/api/orgs/acme/sso/domains").await).await;
    assert_eq!(
        domains,
        json!([{"domain": DOMAIN, "verified_accounts": 1}]),
        "settings count the accounts of the domain"
    );
    Some((hub, browser))
}

#[tokio::test]
async fn a_domain_user_is_refused_public_content_until_joining_through_the_idp() {
    let Some((hub, dave)) = domain_hub("dave").await else {
        return;
    };
    let erin = hub.app.user("erin").await; // erin@example.com: outside the domain
    let anonymous = hub.app.client();
    assert_reads(&dave, OPEN_PAGE).await;
    hub.enable(None).await;

    // dave reaches nothing of acme, not even its public content; what he
    // could not see anyway stays hidden (404, not a prompt).
    let link = assert_prompted(&dave, OPEN_PAGE).await;
    assert_sso_required(&dave, OPEN_API).await;
    assert_eq!(dave.get(SECRET_PAGE).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(dave.get(SECRET_API).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(home_banner(&dave).await, [ORG]);
    // Users outside the domain and anonymous visitors: as before.
    for other in [&erin, &anonymous] {
        assert_reads(other, OPEN_PAGE).await;
        assert_reads(other, OPEN_API).await;
        assert_eq!(other.get(SECRET_API).await.status(), StatusCode::NOT_FOUND);
    }
    assert!(home_banner(&erin).await.is_empty());

    // From the prompt through the IdP: dave joins just in time and lands back.
    let res = sign_in_from(&hub.idp, &dave, &link, "dave").await;
    let (status, landed) = (res.status(), location(&res));
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(landed, OPEN_PAGE);
    assert_reads(&dave, OPEN_PAGE).await;
    assert_reads_secret(&dave).await;
    assert!(home_banner(&dave).await.is_empty());

    sign_in(&hub.idp, &hub.alice, "alice").await;
    assert_eq!(
        hub.alice.role_of(ORG, "dave").await.as_deref(),
        Some("read"),
        "the default role"
    );
    let entries = audit(&hub.alice).await;
    assert!(
        entries
            .iter()
            .any(|(e, d, _)| e == "sso.member_joined" && d.contains("dave")),
        "{entries:?}"
    );
}

#[tokio::test]
async fn with_just_in_time_membership_off_a_domain_users_sign_in_is_refused_and_nothing_joins() {
    let Some((hub, frank)) = domain_hub("frank").await else {
        return;
    };
    hub.enable(None).await;
    sign_in(&hub.idp, &hub.alice, "alice").await;
    let res = hub
        .alice
        .patch_json("/api/orgs/acme/sso", json!({"jit_membership": false}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(sso_state(&hub.alice).await["jit_membership"], false);

    let link = assert_prompted(&frank, OPEN_PAGE).await;
    let (status, page) = text(sign_in_from(&hub.idp, &frank, &link, "frank").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    assert!(
        page.contains("Single sign-on did not complete")
            && page.contains("not a member of acme")
            && page.contains("Ask one of its admins"),
        "not a clear refusal:\n{page}"
    );

    // No membership, no session: frank is refused as before.
    assert_eq!(hub.alice.role_of(ORG, "frank").await, None);
    assert_prompted(&frank, OPEN_PAGE).await;
    assert_eq!(frank.get(SECRET_PAGE).await.status(), StatusCode::NOT_FOUND);
    let state = sso_state(&hub.alice).await;
    let users: Vec<&Value> = state["sso_users"].as_array().unwrap().iter().collect();
    assert!(users.iter().all(|u| u["username"] != "frank"), "{state}");
    let entries = audit(&hub.alice).await;
    assert!(
        entries
            .iter()
            .any(|(e, d, _)| e == "sso.login_failed" && d.starts_with("sso.not_a_member")),
        "{entries:?}"
    );
    assert!(
        !entries.iter().any(|(e, _, _)| e == "sso.member_joined"),
        "{entries:?}"
    );
}

// ---------------------------------------------------------------------------
// 7. Enabling safely; optional mode.
// ---------------------------------------------------------------------------

/// alice's test round trip signs in at the IdP as bob: the test passes and
/// shows the claims, the page says why she cannot enable, and enabling is
/// refused (422) with that reason. Tested as herself, she can.
#[tokio::test]
async fn an_admin_whose_idp_identity_is_not_their_own_email_passes_the_test_but_cannot_enable() {
    let Some(hub) = Hub::new(Protocol::Oidc).await else {
        return;
    };
    let (config, landed) = configure_and_test(&hub.idp, &hub.alice, "bob").await;
    assert_eq!(
        landed,
        format!("{}?done=tested_other_identity", settings_path())
    );
    let page = assert_reads(&hub.alice, &landed).await;
    for shown in [
        "Test passed",
        "bob@example.com",
        "Bob Example",
        "not a verified email of your account",
        "Cannot enable yet",
        "an admin whose IdP identity matches",
    ] {
        assert!(
            page.contains(shown),
            "the settings page lacks {shown:?}:\n{page}"
        );
    }
    let state = sso_state(&hub.alice).await;
    assert_eq!(state["can_enable"], false, "{state}");
    assert!(
        state["can_enable_reason"]
            .as_str()
            .is_some_and(|r| r.contains("not a verified email of your account")),
        "{state}"
    );
    assert!(state["latest_config"]["tested_at"].is_string(), "{state}");
    assert_eq!(
        state["latest_config"]["test_result"]["email"],
        "bob@example.com"
    );

    for mode in [None, Some("optional"), Some("enforced")] {
        let (status, error) = error_of(enable(&hub.alice, config, mode).await).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{mode:?}: {error}"
        );
        let message = error["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("not a verified email of your account"),
            "{mode:?}: {error}"
        );
    }
    // An unknown mode is refused naming the field.
    let (status, error) = error_of(enable(&hub.alice, config, Some("sometimes")).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["field"], "mode", "{error}");
    assert_eq!(sso_state(&hub.alice).await["mode"], "off");

    // In a browser where the IdP does not remember bob, alice tests as herself.
    let mut alice = hub.app.client();
    alice.login("alice", PASSWORD).await;
    let (own, landed) = configure_and_test(&hub.idp, &alice, "alice").await;
    assert_eq!(landed, format!("{}?done=tested", settings_path()));
    let res = enable(&alice, own, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    sign_in(&hub.idp, &alice, "alice").await;
    let state = sso_state(&alice).await;
    assert_eq!(state["mode"], "enforced", "{state}");
    assert_eq!(state["active_config"], own, "{state}");
}

/// Optional SSO refuses nothing (page, API, token) but shows the banner
/// on acme's pages and the home page; its button signs the member in and
/// brings them back, and the banner is gone.
#[tokio::test]
async fn optional_sso_refuses_nothing_but_shows_the_banner() {
    let Some(hub) = Hub::new(Protocol::Oidc).await else {
        return;
    };
    let bob = hub.member("bob").await;
    let script = hub.app.token_client(&hub.app.token(&bob, "read").await);
    hub.enable(Some("optional")).await;
    let state = sso_state(&hub.alice).await;
    assert_eq!(state["mode"], "optional", "{state}");
    assert_eq!(state["enabled"], true, "{state}");

    let page = assert_reads(&bob, SECRET_PAGE).await;
    assert!(page.contains(SECRET_README), "{page}");
    let banner = banner(&page);
    assert_eq!(banner.len(), 1, "{page}");
    assert_eq!(banner[0].0, ORG);
    assert_eq!(return_to_of(&banner[0].1), SECRET_PAGE);
    assert!(!page.contains("sso-prompt"), "{page}");
    assert_reads(&bob, SECRET_API).await;
    assert_reads(&bob, OPEN_API).await;
    assert_reads(&script, SECRET_API).await;
    let org_page = assert_reads(&bob, "/organizations/acme").await;
    assert_eq!(banner_of(&org_page), [ORG]);
    assert_eq!(home_banner(&bob).await, [ORG]);

    let res = sign_in_from(&hub.idp, &bob, &banner[0].1, "bob").await;
    let (status, landed) = (res.status(), location(&res));
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(landed, SECRET_PAGE);
    let page = assert_reads(&bob, SECRET_PAGE).await;
    assert!(banner_of(&page).is_empty(), "{page}");
    assert!(home_banner(&bob).await.is_empty());
}

// ---------------------------------------------------------------------------
// 8. The operator's break-glass, run as the built binary.
// ---------------------------------------------------------------------------

/// `orgsso sso disable --org acme --reason …` against the database of a
/// running `orgsso serve`: the reason is required (clap: exit 2; blank:
/// refused), it ends every SSO session at once, the audit log carries the
/// reason, and `orgsso sso status` shows mode, domains, timeout and the
/// live sessions before and after.
#[tokio::test]
async fn break_glass_from_the_command_line_needs_a_reason_and_ends_every_sso_session() {
    let Some(bin) = binary() else { return };
    if let Some(why) = OidcIdp::unavailable() {
        skip_without_peer(&why);
        return;
    }
    let place = Place::new().await;
    ok(run(&bin, &["migrate"], &place, &[]), "migrate");
    for name in ["alice", "bob"] {
        let email = format!("{name}@example.com");
        ok(
            run(
                &bin,
                &[
                    "user",
                    "create",
                    "--username",
                    name,
                    "--email",
                    &email,
                    "--verified",
                ],
                &place,
                &[("ORGSSO_NEW_PASSWORD", PASSWORD)],
            ),
            "user create",
        );
    }
    ok(
        run(
            &bin,
            &["org", "create", "--name", ORG, "--admin", "alice"],
            &place,
            &[],
        ),
        "org create",
    );
    let server = Server::start(&bin, &place).await;
    let idp = Idp::start(Protocol::Oidc, &server.base_url, &[]).expect("checked above");
    let alice = logged_in(&server, "alice").await;
    let bob = logged_in(&server, "bob").await;
    let res = alice
        .post_json(
            "/api/orgs/acme/members",
            json!({"username": "bob", "role": "read"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "add bob");
    repositories(&alice).await;
    let res = alice
        .post_json(
            "/api/orgs/acme/sso/domains",
            json!({"domain": "example.com"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "add the domain");
    let (config, landed) = configure_and_test(&idp, &alice, "alice").await;
    assert_eq!(landed, format!("{}?done=tested", settings_path()));
    let res = enable(&alice, config, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "enable");
    assert_refused_secret(&bob).await;
    sign_in(&idp, &alice, "alice").await;
    sign_in(&idp, &bob, "bob").await;
    assert_reads_secret(&bob).await;

    let status = |what: &str| {
        ok(
            run(&bin, &["sso", "status", "--org", ORG], &place, &[]),
            what,
        )
    };
    let before = status("sso status");
    for line in [
        "mode: enforced",
        "domains: example.com (2 verified account(s))",
        "session timeout: 604800s",
        "live SSO sessions: 2",
    ] {
        assert!(before.contains(line), "status lacks {line:?}:\n{before}");
    }

    // Without a reason: a usage error from clap, and nothing changes.
    let out = run(&bin, &["sso", "disable", "--org", ORG], &place, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--reason"), "{}", stderr(&out));
    let out = run(
        &bin,
        &["sso", "disable", "--org", ORG, "--reason", "   "],
        &place,
        &[],
    );
    assert!(!out.status.success(), "a blank reason: {}", stdout(&out));
    assert!(stderr(&out).contains("reason"), "{}", stderr(&out));
    assert_eq!(status("sso status"), before, "nothing changed");
    assert_reads_secret(&bob).await;

    let reason = "IdP outage, ticket OPS-42";
    let out = ok(
        run(
            &bin,
            &["sso", "disable", "--org", ORG, "--reason", reason],
            &place,
            &[],
        ),
        "sso disable",
    );
    assert!(out.contains("2 SSO session(s) ended"), "{out}");
    let after = status("sso status");
    for line in ["mode: off", "live SSO sessions: 0"] {
        assert!(after.contains(line), "status lacks {line:?}:\n{after}");
    }

    // SSO off: bob gets in with his hub session alone, no prompt, no banner.
    assert_reads_secret(&bob).await;
    assert!(home_banner(&bob).await.is_empty());
    let entries = audit(&alice).await;
    let (_, detail, actor) = entries
        .iter()
        .find(|(e, _, _)| e == "sso.disabled")
        .unwrap_or_else(|| panic!("no sso.disabled in {entries:?}"));
    assert!(detail.contains(&format!("reason: {reason}")), "{detail}");
    assert!(detail.contains("break-glass"), "{detail}");
    assert_eq!(actor, &Value::Null, "the operator is no hub user");

    // The sessions ended for good: enabled again, bob must sign in again.
    let res = enable(&alice, config, None).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "enable again");
    assert_refused_secret(&bob).await;
}

/// A new browser for `server`, logged in as `username`.
async fn logged_in(server: &Server, username: &str) -> Client {
    let mut client = server.browser();
    let res = client.login(username, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK, "{username} logs in");
    client
}
