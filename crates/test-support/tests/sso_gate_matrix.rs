//! The SSO gate over the real server, as one table: visibility ×
//! relation × credential × mode, every cell asserted by API (JSON) and by
//! page (HTML) against the expectation written below from SPEC S5–S8, S11
//! and B7. On SQLite, or on a fresh PostgreSQL schema when
//! `ORGSSO_TEST_DATABASE_URL` is set.
//!
//! One server holds three organizations, one per mode, each with a public
//! and a private repository: `acme-off` (SSO never enabled), `acme-optional`
//! and `acme-enforced`; each lists its own email domain. Sign-ins go through
//! the real flow (save → the admin's own test → enable; members start at
//! `/organizations/{org}/sso`) against the in-process OpenID Provider of
//! `hostile_op`, honest. The server's clock is the wall clock plus an offset
//! the test moves, so SSO sessions time out without sleeping.

use orgsso_core::{Clock, SystemClock, Timestamp};
use orgsso_test_support::hostile_op::{op_callback, HostileOp};
use orgsso_test_support::location;
use orgsso_test_support::oidc_provider::back_at_hub;
use orgsso_test_support::{json_body, Client, StatusCode, TestApp, PASSWORD};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use Cred::*;
use Mode::*;
use Rel::*;
use Want::*;

/// The organization's SSO mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Off,
    Optional,
    Enforced,
}

/// Who asks, relative to the organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rel {
    Anonymous,
    /// Signed up, in no organization and none of its domains.
    Unrelated,
    /// A verified email in the organization's SSO domain, not a member.
    DomainUser,
    /// A member with the `read` role.
    Member,
    /// The organization's admin (who enabled its SSO).
    Admin,
    /// Admin of `globex`, which enforces SSO too; they hold no session there.
    OtherOrgMember,
}

/// What the request carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cred {
    /// A browser not logged in to the hub (anonymous only).
    NoLogin,
    /// A browser logged in to the hub that never went through the org's IdP;
    /// asserted while the same user holds a live SSO session in another
    /// browser, when they have one: an SSO session belongs to its browser.
    Hub,
    /// The browser that completed the org's SSO.
    HubSso,
    /// That browser once the org's session timeout (default 7 days) passed.
    HubSsoExpired,
    /// A read token whose owner holds a live SSO session (in another browser).
    TokenSso,
    /// A read token whose owner never signed in through the org's IdP
    /// (asserted before anyone does).
    TokenNoSso,
    /// The same token once its owner's SSO session timed out.
    TokenSsoExpired,
}

/// What one request gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// 200; a page without the org's SSO banner.
    Show,
    /// 200; a page with the org's SSO banner, whose button starts its SSO
    /// and returns to this page (optional SSO not signed in with).
    Banner,
    /// 403: the API answers `sso_required` naming the org and where its
    /// sign-in starts; a page is the SSO prompt, returning to this page.
    Sso,
    /// 404, as if the repository did not exist.
    Hidden,
}

/// Which credentials each relation can hold. An SSO session needs SSO on
/// and membership: the IdP sign-in of a non-member either makes them a
/// member (just-in-time) or is refused, so "with an SSO session" makes no
/// sense for them, nor while SSO is off.
fn credentials(mode: Mode, rel: Rel) -> &'static [Cred] {
    match (mode, rel) {
        (_, Anonymous) => &[NoLogin],
        (Optional | Enforced, Member | Admin) => &[
            Hub,
            HubSso,
            HubSsoExpired,
            TokenSso,
            TokenNoSso,
            TokenSsoExpired,
        ],
        _ => &[Hub, TokenNoSso],
    }
}

/// The expected table: the public repository, the private repository, and
/// the organization (its page, `GET /api/orgs/{org}` and its repository
/// list, which shows the private repository exactly when that column is
/// 200). Each repository is read by `GET /api/repos/model/{org}/{name}` and
/// its page `/models/{org}/{name}`. The hub's home page shows the org's
/// banner exactly when the org column is `Banner` or `Sso`.
#[rustfmt::skip]
const TABLE: &[(Mode, Rel, Cred, Want, Want, Want)] = &[
    // mode     relation        credential       public  private org
    (Off,      Anonymous,      NoLogin,         Show,   Hidden, Show),
    (Off,      Unrelated,      Hub,             Show,   Hidden, Show),
    (Off,      Unrelated,      TokenNoSso,      Show,   Hidden, Show),
    (Off,      DomainUser,     Hub,             Show,   Hidden, Show),
    (Off,      DomainUser,     TokenNoSso,      Show,   Hidden, Show),
    (Off,      Member,         Hub,             Show,   Show,   Show),
    (Off,      Member,         TokenNoSso,      Show,   Show,   Show),
    (Off,      Admin,          Hub,             Show,   Show,   Show),
    (Off,      Admin,          TokenNoSso,      Show,   Show,   Show),
    (Off,      OtherOrgMember, Hub,             Show,   Hidden, Show),
    (Off,      OtherOrgMember, TokenNoSso,      Show,   Hidden, Show),

    (Optional, Anonymous,      NoLogin,         Show,   Hidden, Show),
    (Optional, Unrelated,      Hub,             Show,   Hidden, Show),
    (Optional, Unrelated,      TokenNoSso,      Show,   Hidden, Show),
    (Optional, DomainUser,     Hub,             Banner, Hidden, Banner),
    (Optional, DomainUser,     TokenNoSso,      Banner, Hidden, Banner),
    (Optional, Member,         Hub,             Banner, Banner, Banner),
    (Optional, Member,         HubSso,          Show,   Show,   Show),
    (Optional, Member,         HubSsoExpired,   Banner, Banner, Banner),
    (Optional, Member,         TokenSso,        Show,   Show,   Show),
    (Optional, Member,         TokenNoSso,      Banner, Banner, Banner),
    (Optional, Member,         TokenSsoExpired, Banner, Banner, Banner),
    (Optional, Admin,          Hub,             Banner, Banner, Banner),
    (Optional, Admin,          HubSso,          Show,   Show,   Show),
    (Optional, Admin,          HubSsoExpired,   Banner, Banner, Banner),
    (Optional, Admin,          TokenSso,        Show,   Show,   Show),
    (Optional, Admin,          TokenNoSso,      Banner, Banner, Banner),
    (Optional, Admin,          TokenSsoExpired, Banner, Banner, Banner),
    (Optional, OtherOrgMember, Hub,             Show,   Hidden, Show),
    (Optional, OtherOrgMember, TokenNoSso,      Show,   Hidden, Show),

    (Enforced, Anonymous,      NoLogin,         Show,   Hidden, Show),
    (Enforced, Unrelated,      Hub,             Show,   Hidden, Show),
    (Enforced, Unrelated,      TokenNoSso,      Show,   Hidden, Show),
    (Enforced, DomainUser,     Hub,             Sso,    Hidden, Sso),
    (Enforced, DomainUser,     TokenNoSso,      Sso,    Hidden, Sso),
    (Enforced, Member,         Hub,             Sso,    Sso,    Sso),
    (Enforced, Member,         HubSso,          Show,   Show,   Show),
    (Enforced, Member,         HubSsoExpired,   Sso,    Sso,    Sso),
    (Enforced, Member,         TokenSso,        Show,   Show,   Show),
    (Enforced, Member,         TokenNoSso,      Sso,    Sso,    Sso),
    (Enforced, Member,         TokenSsoExpired, Sso,    Sso,    Sso),
    (Enforced, Admin,          Hub,             Sso,    Sso,    Sso),
    (Enforced, Admin,          HubSso,          Show,   Show,   Show),
    (Enforced, Admin,          HubSsoExpired,   Sso,    Sso,    Sso),
    (Enforced, Admin,          TokenSso,        Show,   Show,   Show),
    (Enforced, Admin,          TokenNoSso,      Sso,    Sso,    Sso),
    (Enforced, Admin,          TokenSsoExpired, Sso,    Sso,    Sso),
    (Enforced, OtherOrgMember, Hub,             Show,   Hidden, Show),
    (Enforced, OtherOrgMember, TokenNoSso,      Show,   Hidden, Show),
];

const MODES: [Mode; 3] = [Off, Optional, Enforced];
const RELATIONS: [Rel; 6] = [
    Anonymous,
    Unrelated,
    DomainUser,
    Member,
    Admin,
    OtherOrgMember,
];
const PUBLIC_REPO: &str = "open-weights";
const PRIVATE_REPO: &str = "secret-weights";
/// SPEC S11: the session timeout when the admin sets none.
const DEFAULT_TIMEOUT_S: i64 = 7 * 24 * 3600;

impl Mode {
    fn org(self) -> &'static str {
        match self {
            Off => "acme-off",
            Optional => "acme-optional",
            Enforced => "acme-enforced",
        }
    }

    fn domain(self) -> String {
        format!("{}.example", self.org())
    }
}

/// When in the story a credential is observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    BeforeSignIn,
    Live,
    Expired,
}

impl Cred {
    fn phase(self) -> Phase {
        match self {
            NoLogin | TokenNoSso => Phase::BeforeSignIn,
            Hub | HubSso | TokenSso => Phase::Live,
            HubSsoExpired | TokenSsoExpired => Phase::Expired,
        }
    }
}

/// The wall clock plus an offset the test moves.
#[derive(Default)]
struct TestClock {
    offset_s: AtomicI64,
}

impl TestClock {
    fn advance(&self, seconds: i64) {
        self.offset_s.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        SystemClock
            .now()
            .plus_seconds(self.offset_s.load(Ordering::SeqCst))
    }
}

/// One user: the browser used to log in, the browser that goes through the
/// IdP (members and admins), and a client sending their read token.
struct Person {
    hub: Client,
    sso: Option<Client>,
    token: Client,
}

struct World {
    app: TestApp,
    clock: Arc<TestClock>,
    op: HostileOp,
    anonymous: Client,
    admin: Person,
    member: Person,
    unrelated: Person,
    other_org: Person,
    /// One per mode, with a verified email in that organization's domain.
    domain_users: [Person; 3],
}

/// `orgsso_saml::percent_encode`: everything but unreserved characters.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The link that starts `org`'s SSO and lands back on `path`.
fn sso_start(org: &str, path: &str) -> String {
    format!(
        "/organizations/{org}/sso?return_to={}",
        percent_encode(path)
    )
}

/// Whether `html` shows the SSO banner of `org` (not another org's).
fn banner_of(html: &str, org: &str) -> Option<String> {
    html.match_indices("class=\"sso-banner\"")
        .find_map(|(at, _)| {
            let rest = &html[at..];
            let tag = &rest[..rest.find('>').unwrap_or(rest.len())];
            tag.contains(&format!("data-org=\"{org}\""))
                .then(|| rest[..rest.find("</div>").unwrap_or(rest.len())].to_owned())
        })
}

impl World {
    async fn new() -> World {
        let clock = Arc::new(TestClock::default());
        let app = TestApp::spawn_with_clock(clock.clone()).await;
        let op = HostileOp::start("orgsso-matrix", "ada@example.com").await;
        let admin = app.user("ada").await;
        let member = app.user("mel").await;
        let unrelated = app.user("uma").await;
        let other_org = app.user("olga").await;
        let mut domain_users = Vec::new();
        for mode in MODES {
            let name = format!("dora-{}", mode.org());
            domain_users.push(signup(&app, &name, &format!("dora@{}", mode.domain())).await);
        }

        // globex: olga's organization, enforcing SSO she has not signed in with.
        app.org(&other_org, "globex").await;
        enable_sso(&op, &other_org, "olga@example.com", "globex", None).await;

        for mode in MODES {
            let org = mode.org();
            app.org(&admin, org).await;
            for (name, visibility) in [(PUBLIC_REPO, "public"), (PRIVATE_REPO, "private")] {
                let res = admin
                    .post_json(
                        "/api/repos",
                        json!({"owner": org, "kind": "model", "name": name, "visibility": visibility}),
                    )
                    .await;
                assert_eq!(res.status(), StatusCode::CREATED, "create {org}/{name}");
            }
            app.add_member(&admin, org, "mel", "read").await;
            let res = admin
                .post_json(
                    &format!("/api/orgs/{org}/sso/domains"),
                    json!({"domain": mode.domain()}),
                )
                .await;
            assert_eq!(res.status(), StatusCode::CREATED, "add {org}'s domain");
            // Settings are gated once SSO is enforced: everything is set up first.
            match mode {
                Off => {}
                Optional => enable_sso(&op, &admin, "ada@example.com", org, Some("optional")).await,
                // No mode given: enabling enforces.
                Enforced => enable_sso(&op, &admin, "ada@example.com", org, None).await,
            }
        }

        let admin = person(&app, admin, Some("ada")).await;
        let member = person(&app, member, Some("mel")).await;
        let unrelated = person(&app, unrelated, None).await;
        let other_org = person(&app, other_org, None).await;
        let mut people = Vec::new();
        for client in domain_users {
            people.push(person(&app, client, None).await);
        }
        let domain_users: [Person; 3] = people.try_into().ok().expect("three domain users");
        World {
            anonymous: app.client(),
            app,
            clock,
            op,
            admin,
            member,
            unrelated,
            other_org,
            domain_users,
        }
    }

    fn client(&self, mode: Mode, rel: Rel, cred: Cred) -> &Client {
        let person = match rel {
            Anonymous => return &self.anonymous,
            Unrelated => &self.unrelated,
            DomainUser => &self.domain_users[MODES.iter().position(|m| *m == mode).unwrap()],
            Member => &self.member,
            Admin => &self.admin,
            OtherOrgMember => &self.other_org,
        };
        match cred {
            NoLogin => &self.anonymous,
            Hub => &person.hub,
            HubSso | HubSsoExpired => person.sso.as_ref().expect("an SSO browser"),
            TokenSso | TokenNoSso | TokenSsoExpired => &person.token,
        }
    }

    /// `browser` signs in to `org` through its IdP as `email`, starting from
    /// the prompt's link, and lands back on `return_to`.
    async fn sign_in(&self, browser: &Client, email: &str, org: &str, return_to: &str) {
        self.op.set_email(email);
        let res = browser.get(&sso_start(org, return_to)).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{email}: start {org}'s SSO"
        );
        let callback = op_callback(browser, &location(&res)).await;
        let res = back_at_hub(browser, &callback).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "{email}: {org}'s callback: {}",
            res.text().await.unwrap_or_default()
        );
        assert_eq!(location(&res), return_to, "{email}: back where they were");
    }

    /// Asserts every row of `phase`; returns the failures, each naming its cell.
    async fn run(&self, phase: Phase, label: &str) -> (usize, Vec<String>) {
        let mut failures = Vec::new();
        let mut cells = 0;
        for &(mode, rel, cred, public, private, org) in TABLE {
            if cred.phase() != phase {
                continue;
            }
            cells += 1;
            let cell = format!("[{label}] {mode:?} × {rel:?} × {cred:?}");
            self.check_row(
                &cell,
                mode,
                rel,
                cred,
                [public, private, org],
                &mut failures,
            )
            .await;
        }
        (cells, failures)
    }

    async fn check_row(
        &self,
        cell: &str,
        mode: Mode,
        rel: Rel,
        cred: Cred,
        [public, private, org_want]: [Want; 3],
        failures: &mut Vec<String>,
    ) {
        let who = self.client(mode, rel, cred);
        let org = mode.org();
        for (visibility, repo, want) in [
            ("public", PUBLIC_REPO, public),
            ("private", PRIVATE_REPO, private),
        ] {
            let api = format!("/api/repos/model/{org}/{repo}");
            if let Err(e) = self.check_api(who, &api, org, want).await {
                failures.push(format!(
                    "{cell} × {visibility} repo by API (GET {api}): {e}"
                ));
            }
            let page = format!("/models/{org}/{repo}");
            if let Err(e) = self.check_page(who, &page, org, want).await {
                failures.push(format!("{cell} × {visibility} repo page (GET {page}): {e}"));
            }
        }

        // The organization: its API, its repository list, its page.
        let lists_private = matches!(private, Show | Banner);
        let role = match rel {
            Member => json!("read"),
            Admin => json!("admin"),
            _ => Value::Null,
        };
        let api = format!("/api/orgs/{org}");
        match self.check_api(who, &api, org, org_want).await {
            Ok(Some(body)) if body["your_role"] != role => failures.push(format!(
                "{cell} × org by API (GET {api}): your_role {} but expected {role}",
                body["your_role"]
            )),
            Ok(_) => {}
            Err(e) => failures.push(format!("{cell} × org by API (GET {api}): {e}")),
        }
        let api = format!("/api/repos/{org}");
        match self.check_api(who, &api, org, org_want).await {
            Ok(Some(body)) => {
                let names: Vec<&str> = body
                    .as_array()
                    .map(|a| a.iter().filter_map(|r| r["name"].as_str()).collect())
                    .unwrap_or_default();
                let expected: Vec<&str> = if lists_private {
                    vec![PUBLIC_REPO, PRIVATE_REPO]
                } else {
                    vec![PUBLIC_REPO]
                };
                let mut sorted = names.clone();
                sorted.sort_unstable();
                if sorted != expected {
                    failures.push(format!(
                        "{cell} × org's repositories by API (GET {api}): listed {names:?}, expected {expected:?}"
                    ));
                }
            }
            Ok(None) => {}
            Err(e) => failures.push(format!(
                "{cell} × org's repositories by API (GET {api}): {e}"
            )),
        }
        let page = format!("/organizations/{org}");
        match self.check_page(who, &page, org, org_want).await {
            Ok(Some(html)) => {
                for (repo, listed) in [(PUBLIC_REPO, true), (PRIVATE_REPO, lists_private)] {
                    let link = format!("href=\"/models/{org}/{repo}\"");
                    if html.contains(&link) != listed {
                        failures.push(format!(
                            "{cell} × org page (GET {page}): {repo} {} but expected {}",
                            if listed { "missing" } else { "listed" },
                            if listed { "listed" } else { "hidden" },
                        ));
                    }
                }
            }
            Ok(None) => {}
            Err(e) => failures.push(format!("{cell} × org page (GET {page}): {e}")),
        }

        // The hub's home page names the org in its banner exactly when the
        // org's own pages prompt, with a button that returns home.
        let res = who.get("/").await;
        let status = res.status();
        let html = res.text().await.unwrap_or_default();
        let prompted = matches!(org_want, Banner | Sso);
        match banner_of(&html, org) {
            _ if status != StatusCode::OK => {
                failures.push(format!("{cell} × home page (GET /): HTTP {status}"))
            }
            Some(b) if prompted && !b.contains(&format!("href=\"{}\"", sso_start(org, "/"))) => {
                failures.push(format!(
                    "{cell} × home page (GET /): the banner of {org} does not return home: {b}"
                ))
            }
            Some(_) if !prompted => failures.push(format!(
                "{cell} × home page (GET /): a banner for {org}, expected none"
            )),
            None if prompted => failures.push(format!(
                "{cell} × home page (GET /): no banner for {org}, expected one"
            )),
            _ => {}
        }
    }

    /// A JSON request: `Ok(Some(body))` for a 200 that was expected.
    async fn check_api(
        &self,
        who: &Client,
        path: &str,
        org: &str,
        want: Want,
    ) -> Result<Option<Value>, String> {
        let res = who.get(path).await;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let body: Value =
            serde_json::from_str(&text).map_err(|_| format!("HTTP {status}, not JSON: {text}"))?;
        let code = body["error"]["code"].as_str();
        match want {
            Show | Banner if status == StatusCode::OK => Ok(Some(body)),
            Sso if status == StatusCode::FORBIDDEN && code == Some("sso_required") => {
                let error = &body["error"];
                let sso_url = format!("{}/organizations/{org}/sso", self.app.base_url);
                if error["org"] != org || error["sso_url"] != sso_url.as_str() {
                    return Err(format!(
                        "sso_required should name org {org} and sso_url {sso_url}: {error}"
                    ));
                }
                if error["message"].as_str().is_none_or(str::is_empty) {
                    return Err(format!("sso_required without a message: {error}"));
                }
                Ok(None)
            }
            Hidden if status == StatusCode::NOT_FOUND && code == Some("not_found") => Ok(None),
            _ => Err(format!(
                "expected {want:?}, got HTTP {status} {}",
                code.map_or_else(|| "(no error code)".to_owned(), |c| format!("code {c}"))
            )),
        }
    }

    /// An HTML page: `Ok(Some(html))` for a 200 that was expected.
    async fn check_page(
        &self,
        who: &Client,
        path: &str,
        org: &str,
        want: Want,
    ) -> Result<Option<String>, String> {
        let res = who.get(path).await;
        let status = res.status();
        let html = res.text().await.unwrap_or_default();
        let prompt = html.contains("class=\"card sso-prompt\"");
        let banner = banner_of(&html, org);
        let start = format!("href=\"{}\"", sso_start(org, path));
        let got = format!(
            "HTTP {status}{}{}",
            if prompt { ", the SSO prompt" } else { "" },
            if banner.is_some() {
                ", the SSO banner"
            } else {
                ""
            }
        );
        let fail = || Err(format!("expected {want:?}, got {got}"));
        match want {
            Show if status == StatusCode::OK && !prompt && banner.is_none() => Ok(Some(html)),
            Banner if status == StatusCode::OK && !prompt => match banner {
                Some(b) if b.contains(&start) => Ok(Some(html)),
                Some(b) => Err(format!("the banner does not link to {start}: {b}")),
                None => fail(),
            },
            Sso if status == StatusCode::FORBIDDEN && prompt => {
                if html.contains(&start) {
                    Ok(None)
                } else {
                    Err(format!("the SSO prompt does not link to {start}"))
                }
            }
            Hidden if status == StatusCode::NOT_FOUND && !prompt => Ok(None),
            _ => fail(),
        }
    }
}

/// Signs `username` up with `email`, verifies it through its link, logs in.
async fn signup(app: &TestApp, username: &str, email: &str) -> Client {
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
    let res = client.login(username, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK, "login {username}");
    client
}

/// The user of `hub`: a read token, and (for `sso_login`) a second browser
/// logged in as them, to go through the IdP.
async fn person(app: &TestApp, hub: Client, sso_login: Option<&str>) -> Person {
    let token = app.token_client(&app.token(&hub, "read").await);
    let sso = match sso_login {
        Some(username) => {
            let mut browser = app.client();
            let res = browser.login(username, PASSWORD).await;
            assert_eq!(res.status(), StatusCode::OK, "{username}: second browser");
            Some(browser)
        }
        None => None,
    };
    Person { hub, sso, token }
}

/// Save → test as `admin` (the IdP asserting their own `email`) → enable in
/// `mode` (`None`: the default).
async fn enable_sso(op: &HostileOp, admin: &Client, email: &str, org: &str, mode: Option<&str>) {
    let res = admin
        .post_json(
            &format!("/api/orgs/{org}/sso/oidc"),
            json!({"issuer_url": op.issuer, "client_id": op.client_id,
                   "client_secret": op.client_secret, "scopes": "openid email profile",
                   "email_claim": "email"}),
        )
        .await;
    let status = res.status();
    let saved = json_body(res).await;
    assert_eq!(status, StatusCode::CREATED, "{org}: save OIDC: {saved}");
    op.set_email(email);
    let test_url = saved["test_url"].as_str().expect("test_url");
    let res = back_at_hub(admin, &op_callback(admin, test_url).await).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{org}: test round trip"
    );
    assert_eq!(
        location(&res),
        format!("/organizations/{org}/settings/sso?done=tested"),
        "{org}: the test passed with the admin's own identity"
    );
    let state = json_body(admin.get(&format!("/api/orgs/{org}/sso")).await).await;
    assert_eq!(state["can_enable"], true, "{org}: {state}");
    assert_eq!(
        state["latest_config"]["test_result"]["email"], email,
        "{org}: the IdP asserted the admin's email: {state}"
    );
    let mut body = json!({"config_id": saved["config_id"]});
    if let Some(mode) = mode {
        body["mode"] = json!(mode);
    }
    let res = admin
        .post_json(&format!("/api/orgs/{org}/sso/enable"), body)
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NO_CONTENT,
        "{org}: enable {mode:?}"
    );
}

/// Every cell of the table, by API and by page, in the order the story
/// allows: tokens without SSO before anyone signs in; browsers and tokens
/// with a live session after the members' and admins' sign-ins (and again
/// a minute before the default timeout); the same once it has passed.
#[tokio::test]
async fn every_cell_of_the_sso_gate_matches_the_table() {
    // The table holds exactly the cells the credential lists allow.
    let mut expected_cells = Vec::new();
    for mode in MODES {
        for rel in RELATIONS {
            for &cred in credentials(mode, rel) {
                expected_cells.push((mode, rel, cred));
            }
        }
    }
    let table_cells: Vec<_> = TABLE.iter().map(|&(m, r, c, ..)| (m, r, c)).collect();
    assert_eq!(table_cells, expected_cells, "the table's rows");

    let world = World::new().await;
    let mut failures = Vec::new();
    let mut cells = 0;
    let mut run = |(n, f): (usize, Vec<String>)| {
        cells += n;
        failures.extend(f);
    };

    run(world
        .run(Phase::BeforeSignIn, "before any SSO sign-in")
        .await);

    // The admin and the member sign in through the IdP in their second
    // browser, from the prompt's link on the private repository.
    for (person, email) in [
        (&world.admin, "ada@example.com"),
        (&world.member, "mel@example.com"),
    ] {
        let browser = person.sso.as_ref().expect("an SSO browser");
        for mode in [Optional, Enforced] {
            let org = mode.org();
            let private = format!("/models/{org}/{PRIVATE_REPO}");
            world.sign_in(browser, email, org, &private).await;
        }
    }
    run(world.run(Phase::Live, "just signed in").await);

    world.clock.advance(DEFAULT_TIMEOUT_S - 60);
    run(world
        .run(Phase::Live, "a minute before the default timeout")
        .await);

    world.clock.advance(120);
    run(world
        .run(Phase::Expired, "a minute after the default timeout")
        .await);

    assert_eq!(
        cells,
        TABLE.len() + TABLE.iter().filter(|r| r.2.phase() == Phase::Live).count(),
        "every row was asserted"
    );
    eprintln!(
        "sso gate matrix on {}: {} rows × 2 visibilities + the org, {cells} row checks",
        orgsso_test_support::backend(),
        TABLE.len()
    );
    assert!(
        failures.is_empty(),
        "{} cell(s) differ from the table:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
