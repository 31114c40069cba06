//! Organization SSO over OpenID Connect end to end: the real orgsso server
//! and the OpenID Certified `oidc-provider` (npm, `e2e/oidc-idp.mjs`), both
//! on loopback ports, the IdP's login form driven over HTTP with each
//! browser's own cookie jar. Then the same callback against a hostile
//! OpenID Provider that mints broken ID tokens.
//!
//! Without node or `e2e/node_modules` the `oidc-provider` tests print why
//! and pass, unless `ORGSSO_TEST_REQUIRE_PEERS=1` demands them.

use orgsso_core::{Clock, OrgName, SystemClock, Username};
use orgsso_store::SsoSession;
use orgsso_test_support::hostile_op::{op_callback, through_op, Forgery, HostileOp};
use orgsso_test_support::location;
use orgsso_test_support::oidc_provider::{
    asks_for_login, authenticate, back_at_hub, follow_idp, login, AtIdp, OidcIdp, IDP_PASSWORD,
};
use orgsso_test_support::{error_of, json_body, Client, StatusCode, TestApp};
use serde_json::{json, Value};

const ORG: &str = "acme";

fn settings() -> String {
    format!("/organizations/{ORG}/settings/sso")
}

/// orgsso with organization `acme` administered by alice.
struct Hub {
    app: TestApp,
    admin: Client,
}

/// Plus the real IdP with a client registered for acme's callback URL.
struct World {
    hub: Hub,
    idp: OidcIdp,
}

impl Hub {
    async fn new() -> Hub {
        Self::on(TestApp::spawn().await).await
    }

    /// alice, admin of acme, on `app`.
    async fn on(app: TestApp) -> Hub {
        let admin = app.user("alice").await;
        app.org(&admin, ORG).await;
        Hub { app, admin }
    }

    /// A signed-in user who is a member (`read`) of acme.
    async fn member(&self, name: &str) -> Client {
        let client = self.app.user(name).await;
        self.app.add_member(&self.admin, ORG, name, "read").await;
        client
    }

    /// Submits the OIDC settings form as the admin.
    async fn save_config(&self, issuer: &str, client_id: &str, secret: &str) -> reqwest::Response {
        self.save_config_with(issuer, client_id, secret, "openid email profile")
            .await
    }

    async fn save_config_with(
        &self,
        issuer: &str,
        client_id: &str,
        secret: &str,
        scopes: &str,
    ) -> reqwest::Response {
        let csrf = self.admin.page_csrf(&settings()).await;
        self.admin
            .post_form(
                &format!("{}/oidc", settings()),
                &[
                    ("csrf_token", &csrf),
                    ("issuer_url", issuer),
                    ("client_id", client_id),
                    ("client_secret", secret),
                    ("scopes", scopes),
                    ("email_claim", "email"),
                ],
            )
            .await
    }

    async fn enable(&self, config_id: i64) -> reqwest::Response {
        let csrf = self.admin.page_csrf(&settings()).await;
        self.admin
            .post_form(
                &format!("{}/enable", settings()),
                &[("csrf_token", &csrf), ("config_id", &config_id.to_string())],
            )
            .await
    }

    /// A member starts SSO for acme: the IdP URL orgsso sends the browser to.
    async fn start(&self, browser: &Client, return_to: &str) -> String {
        let res = browser
            .get(&format!("/organizations/{ORG}/sso?return_to={return_to}"))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "start SSO");
        location(&res)
    }

    async fn org_id(&self) -> orgsso_core::OrgId {
        self.app
            .store
            .org_by_name(&OrgName::parse(ORG).unwrap())
            .await
            .unwrap()
            .expect("org")
            .id
    }

    async fn latest_config(&self) -> orgsso_store::SsoConfig {
        self.app
            .store
            .latest_sso_config(self.org_id().await)
            .await
            .unwrap()
            .expect("a configuration")
    }

    async fn sso_session(&self, username: &str) -> Option<SsoSession> {
        let user = self
            .app
            .store
            .user_by_username(&Username::parse(username).unwrap())
            .await
            .unwrap()
            .expect("user");
        self.app
            .store
            .sso_sessions_of_org(self.org_id().await, SystemClock.now())
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.user == user.id)
    }

    /// The org's audit log, newest first, as `(event, detail)`.
    async fn audit(&self) -> Vec<(String, String)> {
        let entries = self
            .app
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

    /// The detail of the newest `sso.login_failed` entry.
    async fn last_failure(&self) -> String {
        self.audit()
            .await
            .into_iter()
            .find(|(event, _)| event == "sso.login_failed")
            .map(|(_, detail)| detail)
            .expect("a sso.login_failed entry in the audit log")
    }

    /// Asserts a refusal a member sees (403, a page that is not a crash) and
    /// that the audit log names `code`; returns the page.
    async fn refused(&self, res: reqwest::Response, code: &str) -> String {
        let status = res.status();
        let page = res.text().await.unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN, "expected a refusal:\n{page}");
        assert!(
            page.contains("Single sign-on did not complete"),
            "not the refusal page:\n{page}"
        );
        let failure = self.last_failure().await;
        assert!(
            failure.starts_with(&format!("{code}: ")),
            "audit names {failure:?}, expected {code}"
        );
        page
    }

    async fn api_state(&self) -> Value {
        let res = self.admin.get(&format!("/api/orgs/{ORG}/sso")).await;
        assert_eq!(res.status(), StatusCode::OK);
        json_body(res).await
    }

    async fn settings_page(&self) -> String {
        let res = self.admin.get(&settings()).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.text().await.unwrap()
    }
}

async fn world() -> Option<World> {
    if let Some(why) = OidcIdp::unavailable() {
        orgsso_test_support::skip_without_peer(&why);
        return None;
    }
    let hub = Hub::new().await;
    let idp = OidcIdp::for_org(&hub.app.base_url, ORG);
    Some(World { hub, idp })
}

impl World {
    async fn save_config(&self) -> reqwest::Response {
        self.hub
            .save_config(
                &self.idp.issuer,
                &self.idp.client_id,
                &self.idp.client_secret,
            )
            .await
    }

    /// Update and Test as alice, through the IdP: the tested configuration's id.
    async fn configure_and_test(&self) -> i64 {
        let res = self.save_config().await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "save: {}",
            res.text().await.unwrap()
        );
        let res = login(&self.hub.admin, &location(&res), "alice", IDP_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "test round trip");
        assert_eq!(
            location(&res),
            format!("/organizations/{ORG}/settings/sso?done=tested")
        );
        let config = self.hub.latest_config().await;
        assert!(config.tested_at.is_some());
        config.id.0
    }

    async fn enabled(&self) {
        let id = self.configure_and_test().await;
        let res = self.hub.enable(id).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "enable");
        // Enforcement holds the admin too: enabling sends them through the
        // IdP, which brings them back to the SSO settings.
        let start = location(&res);
        assert!(
            start.starts_with(&format!("/organizations/{ORG}/sso?return_to=")),
            "enabling sends the admin to sign in: {start}"
        );
        let res = self.hub.admin.get(&start).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "start SSO");
        let res = login(&self.hub.admin, &location(&res), "alice", IDP_PASSWORD).await;
        assert_eq!(location(&res), format!("{}?done=enabled", settings()));
    }

    /// `browser` starts SSO and signs in at the IdP as `idp_user`: the
    /// callback URL the IdP sends it back to, not requested yet.
    async fn to_callback(&self, browser: &Client, idp_user: &str) -> String {
        let idp_url = self.hub.start(browser, "").await;
        authenticate(browser, &idp_url, idp_user, IDP_PASSWORD).await
    }
}

#[tokio::test]
async fn member_signs_in_through_the_idp_and_lands_on_the_page_they_wanted() {
    let Some(w) = world().await else { return };
    w.enabled().await;
    let bob = w.hub.member("bob").await;
    assert!(w.hub.sso_session("bob").await.is_none());

    let idp_url = w.hub.start(&bob, &format!("/models/{ORG}/x")).await;
    assert!(idp_url.starts_with(&w.idp.issuer), "sent to {idp_url}");
    let res = login(&bob, &idp_url, "bob", IDP_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), format!("/models/{ORG}/x"));

    let session = w.hub.sso_session("bob").await.expect("an SSO session");
    assert_eq!(session.email, "bob@example.com");
    assert_eq!(session.subject, "bob");
    let days = (session.expires_at.unix() - session.created_at.unix()) / 86_400;
    assert_eq!(days, 7, "default session timeout");
    assert_eq!(
        w.hub.count("sso.login").await,
        2,
        "alice after enabling, then bob"
    );
    let users = w.hub.api_state().await["sso_users"].clone();
    let bob_row = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "bob")
        .expect("bob among the SSO users");
    assert_eq!(bob_row["email"], "bob@example.com");

    // Only a same-origin path: anything else lands on the organization's page.
    let idp_url = w.hub.start(&bob, "https://evil.example/x").await;
    let res = login(&bob, &idp_url, "bob", IDP_PASSWORD).await;
    assert_eq!(location(&res), format!("/organizations/{ORG}"));
    let idp_url = w.hub.start(&bob, "//evil.example/x").await;
    let res = login(&bob, &idp_url, "bob", IDP_PASSWORD).await;
    assert_eq!(location(&res), format!("/organizations/{ORG}"));
}

#[tokio::test]
async fn a_configuration_is_tested_through_the_idp_before_it_can_be_enabled() {
    let Some(w) = world().await else { return };
    let bob = w.hub.member("bob").await;

    // Nothing saved: nothing to enable, and members cannot start SSO.
    let res = w.hub.enable(1).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = bob.get(&format!("/organizations/{ORG}/sso")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("not enabled single sign-on"));

    // Save: the admin is sent to the IdP; the configuration is untested.
    let page = w.hub.settings_page().await;
    assert!(page.contains(&format!(
        "{}/organizations/{ORG}/oidc/callback",
        w.hub.app.base_url
    )));
    let res = w.save_config().await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let idp_url = location(&res);
    assert!(idp_url.starts_with(&w.idp.issuer), "sent to {idp_url}");
    let config = w.hub.latest_config().await;
    assert!(config.tested_at.is_none());
    let res = w.hub.enable(config.id.0).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("passed its test"));
    assert!(w.hub.settings_page().await.contains("Not tested yet"));
    let state = w.hub.api_state().await;
    assert_eq!(state["enabled"], false);
    assert_eq!(state["latest_config"]["tested_at"], Value::Null);

    // Back from the IdP: tested, with the claims it sent.
    let res = login(&w.hub.admin, &idp_url, "alice", IDP_PASSWORD).await;
    assert_eq!(
        location(&res),
        format!("/organizations/{ORG}/settings/sso?done=tested")
    );
    let page = w.hub.settings_page().await;
    assert!(page.contains("✔ Tested"), "{page}");
    assert!(page.contains("alice@example.com") && page.contains("Alice Example"));
    let state = w.hub.api_state().await;
    let latest = &state["latest_config"];
    assert_eq!(latest["id"], config.id.0);
    assert!(latest["tested_at"].is_string());
    assert_eq!(latest["test_result"]["email"], "alice@example.com");
    assert_eq!(latest["test_result"]["name"], "Alice Example");
    assert_eq!(latest["oidc"]["issuer_url"], w.idp.issuer.as_str());
    assert_eq!(w.hub.count("sso.test_passed").await, 1);
    // A test opens no SSO session.
    assert!(w.hub.sso_session("alice").await.is_none());

    // Enable (the admin signs in through the IdP like everyone); members sign in.
    let res = w.hub.enable(config.id.0).await;
    let res = w.hub.admin.get(&location(&res)).await;
    let res = login(&w.hub.admin, &location(&res), "alice", IDP_PASSWORD).await;
    assert_eq!(location(&res), format!("{}?done=enabled", settings()));
    let state = w.hub.api_state().await;
    assert_eq!(state["enabled"], true);
    assert_eq!(state["active_config"], config.id.0);
    let res = login(&bob, &w.hub.start(&bob, "").await, "bob", IDP_PASSWORD).await;
    assert_eq!(location(&res), format!("/organizations/{ORG}"));
    assert!(w.hub.sso_session("bob").await.is_some());

    // A changed configuration is the newest, untested one; the enabled one keeps working.
    let res = w
        .hub
        .save_config_with(&w.idp.issuer, &w.idp.client_id, "", "openid email")
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "save with the kept secret"
    );
    let newest = w.hub.latest_config().await;
    assert_ne!(newest.id, config.id);
    assert!(newest.tested_at.is_none());
    let state = w.hub.api_state().await;
    assert_eq!(state["latest_config"]["id"], newest.id.0);
    assert_eq!(state["latest_config"]["tested_at"], Value::Null);
    assert_eq!(state["active_config"], config.id.0);
    assert!(w.hub.settings_page().await.contains("Not tested yet"));
    let res = w.hub.enable(newest.id.0).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = login(&bob, &w.hub.start(&bob, "").await, "bob", IDP_PASSWORD).await;
    assert_eq!(location(&res), format!("/organizations/{ORG}"));
}

#[tokio::test]
async fn the_client_secret_is_never_shown_back_and_is_stored_sealed() {
    let Some(w) = world().await else { return };
    w.enabled().await;
    let secret = w.idp.client_secret.clone();

    let page = w.hub.settings_page().await;
    assert!(
        !page.contains(&secret),
        "the settings page shows the secret"
    );
    assert!(page.contains("set (never shown)"));
    let state = w.hub.api_state().await;
    assert!(
        !state.to_string().contains(&secret),
        "the API shows the secret"
    );
    assert_eq!(state["latest_config"]["oidc"]["client_secret_set"], true);
    let audit = w.hub.admin.sso_audit(ORG).await;
    assert!(
        !Value::from(audit).to_string().contains(&secret),
        "the audit log shows the secret"
    );

    let sealed = w
        .hub
        .latest_config()
        .await
        .secret_ciphertext
        .expect("a sealed secret");
    assert!(sealed.len() > secret.len());
    assert!(
        !sealed.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the stored secret is in clear"
    );
    // Not merely hex- or base64-encoded either: no 8-byte run of it survives.
    assert!(!sealed
        .windows(8)
        .any(|w| secret.as_bytes().windows(8).any(|s| s == w)));
}

#[tokio::test]
async fn an_idp_email_that_is_not_on_the_account_is_refused_with_the_email_to_add() {
    let Some(w) = world().await else { return };
    w.enabled().await;
    let bob = w.hub.member("bob").await;

    let callback = w.to_callback(&bob, "alice").await;
    let page = w
        .hub
        .refused(back_at_hub(&bob, &callback).await, "sso.email_mismatch")
        .await;
    assert!(page.contains("alice@example.com"), "{page}");
    // Signed in at the IdP as someone else: told to sign out there first.
    assert!(
        page.contains("sign out at the identity provider and sign in there as yourself"),
        "{page}"
    );
    assert!(page.contains("add it in Settings → Emails"), "{page}");
    assert!(w.hub.sso_session("bob").await.is_none());
}

#[tokio::test]
async fn unverified_emails_are_refused() {
    let Some(w) = world().await else { return };
    w.enabled().await;

    // On the hub: dave adds bob@example.com but has not verified it.
    let dave = w.hub.member("dave").await;
    let res = dave
        .post_json("/api/me/emails", json!({"email": "bob@example.com"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let callback = w.to_callback(&dave, "bob").await;
    let page = w
        .hub
        .refused(
            back_at_hub(&dave, &callback).await,
            "sso.email_not_verified",
        )
        .await;
    assert!(
        page.contains("bob@example.com") && page.contains("not verified yet"),
        "{page}"
    );
    assert!(w.hub.sso_session("dave").await.is_none());

    // At the IdP: carol's email_verified is false there.
    let carol = w.hub.member("carol").await;
    let callback = w.to_callback(&carol, "carol").await;
    let page = w
        .hub
        .refused(
            back_at_hub(&carol, &callback).await,
            "oidc.email_not_verified",
        )
        .await;
    assert!(
        page.contains("has not verified your email address"),
        "{page}"
    );
    assert!(w.hub.sso_session("carol").await.is_none());
}

#[tokio::test]
async fn access_denied_at_the_idp_is_refused_with_a_plain_message() {
    let Some(w) = world().await else { return };
    w.enabled().await;
    let bob = w.hub.member("bob").await;

    let idp_url = w.hub.start(&bob, "").await;
    let callback = follow_idp(&bob.http, &w.idp.issuer, &idp_url, AtIdp::Cancel).await;
    assert!(callback.contains("error=access_denied"), "{callback}");
    let page = w
        .hub
        .refused(back_at_hub(&bob, &callback).await, "oidc.idp_error")
        .await;
    assert!(
        page.contains("did not sign you in (access denied)"),
        "{page}"
    );
    assert!(w.hub.last_failure().await.contains("access_denied"));
    assert!(w.hub.sso_session("bob").await.is_none());
}

#[tokio::test]
async fn an_idp_that_is_down_gives_clear_errors() {
    let Some(mut w) = world().await else { return };
    w.enabled().await;
    let bob = w.hub.member("bob").await;

    // The IdP goes down between its login page and the code exchange.
    let callback = w.to_callback(&bob, "bob").await;
    w.idp.stop();
    let page = w
        .hub
        .refused(back_at_hub(&bob, &callback).await, "oidc.idp_unreachable")
        .await;
    assert!(page.contains("not signed in"), "{page}");
    assert!(w.hub.sso_session("bob").await.is_none());

    // Starting again while it is down: never a server error. The IdP's
    // endpoints were discovered when the configuration was saved, so the
    // browser is sent to the IdP (which then fails to load in the browser);
    // without discovered endpoints the hub says the IdP cannot be reached.
    let res = bob.get(&format!("/organizations/{ORG}/sso")).await;
    match res.status() {
        StatusCode::SEE_OTHER => assert!(location(&res).starts_with(&w.idp.issuer)),
        status => {
            let page = res.text().await.unwrap();
            assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
            assert!(page.contains("cannot be reached right now"), "{page}");
        }
    }
    assert!(w.hub.sso_session("bob").await.is_none());

    // Saving a configuration whose issuer does not answer: 422 on issuer_url.
    let res = w.save_config().await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("issuer_url"), "{page}");
    let res = w
        .hub
        .admin
        .post_json(
            &format!("/api/orgs/{ORG}/sso/oidc"),
            json!({"issuer_url": w.idp.issuer, "client_id": "orgsso-acme", "client_secret": "s"}),
        )
        .await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "issuer_url", "{error}");
}

/// Issuer URLs are typed by org admins and fetched by the server: a
/// link-local address (the cloud metadata service) is refused on save
/// without being contacted, whatever the operator's settings.
#[tokio::test]
async fn an_issuer_on_a_link_local_address_is_refused_on_save() {
    let hub = Hub::new().await;
    for issuer in [
        "https://169.254.169.254/latest",
        "https://[::ffff:169.254.169.254]/",
        "https://[fe80::1]/",
    ] {
        let res = hub.save_config(issuer, "orgsso-acme", "s").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{issuer}");
        let page = res.text().await.unwrap();
        assert!(page.contains("link-local"), "{issuer}: {page}");
    }
    let state = hub.api_state().await;
    assert!(state["latest_config"].is_null(), "nothing saved: {state}");
}

/// With `--sso-block-private-networks` the real IdP on loopback is refused
/// on save, by name, and nothing is saved; the same IdP is accepted by a
/// hub with the default settings (every other test here).
#[tokio::test]
async fn an_operator_can_keep_identity_providers_off_private_networks() {
    if let Some(why) = OidcIdp::unavailable() {
        orgsso_test_support::skip_without_peer(&why);
        return;
    }
    let hub =
        Hub::on(TestApp::spawn_configured(|c| c.sso_block_private_networks = true).await).await;
    let idp = OidcIdp::for_org(&hub.app.base_url, ORG);
    let res = hub
        .admin
        .post_json(
            &format!("/api/orgs/{ORG}/sso/oidc"),
            json!({"issuer_url": idp.issuer, "client_id": idp.client_id, "client_secret": idp.client_secret}),
        )
        .await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "issuer_url", "{error}");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("only contacts identity providers on public addresses"),
        "{error}"
    );
    // By name too: `localhost` resolves to loopback only.
    let by_name = idp.issuer.replace("127.0.0.1", "localhost");
    let res = hub
        .save_config(&by_name, &idp.client_id, &idp.client_secret)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(page.contains("localhost cannot be used"), "{page}");
    let state = hub.api_state().await;
    assert!(state["latest_config"].is_null(), "nothing saved: {state}");
}

#[tokio::test]
async fn a_replayed_callback_is_refused() {
    let Some(w) = world().await else { return };
    w.enabled().await;
    let bob = w.hub.member("bob").await;

    let callback = w.to_callback(&bob, "bob").await;
    let res = back_at_hub(&bob, &callback).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let session = w.hub.sso_session("bob").await.expect("an SSO session");

    let page = w
        .hub
        .refused(back_at_hub(&bob, &callback).await, "oidc.state_mismatch")
        .await;
    assert!(page.contains("already used"), "{page}");
    assert_eq!(w.hub.sso_session("bob").await, Some(session));
    assert_eq!(
        w.hub.count("sso.login").await,
        2,
        "alice after enabling, then bob once"
    );
}

#[tokio::test]
async fn a_callback_with_a_forged_state_is_refused() {
    let Some(w) = world().await else { return };
    w.enabled().await;
    let bob = w.hub.member("bob").await;

    let callback = w.to_callback(&bob, "bob").await;
    let mut url = reqwest::Url::parse(&callback).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" {
                "A".repeat(v.len())
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    w.hub
        .refused(back_at_hub(&bob, url.as_str()).await, "oidc.state_mismatch")
        .await;
    assert!(w.hub.sso_session("bob").await.is_none());

    // Without any state at all.
    let no_state = callback.split("&state=").next().unwrap().to_owned();
    w.hub
        .refused(back_at_hub(&bob, &no_state).await, "oidc.state_mismatch")
        .await;
    assert!(w.hub.sso_session("bob").await.is_none());
}

#[tokio::test]
async fn a_callback_presented_by_another_browser_is_refused() {
    let Some(w) = world().await else { return };
    w.enabled().await;
    let bob = w.hub.member("bob").await;
    let mallory = w.hub.member("mallory").await;
    let mut bob_elsewhere = w.hub.app.client();
    bob_elsewhere
        .login("bob", orgsso_test_support::PASSWORD)
        .await;

    // Bob's own account, in another browser session.
    let callback = w.to_callback(&bob, "bob").await;
    let page = w
        .hub
        .refused(
            back_at_hub(&bob_elsewhere, &callback).await,
            "sso.request_mismatch",
        )
        .await;
    assert!(page.contains("another browser"), "{page}");
    assert!(w.hub.sso_session("bob").await.is_none());

    // Another account: bob's callback in mallory's browser (or the reverse,
    // a sign-in planted in a victim's browser) finishes nothing.
    let callback = w.to_callback(&bob, "bob").await;
    w.hub
        .refused(
            back_at_hub(&mallory, &callback).await,
            "sso.request_mismatch",
        )
        .await;
    assert!(w.hub.sso_session("mallory").await.is_none());
    assert!(w.hub.sso_session("bob").await.is_none());

    // Neither refusal cancelled bob's sign-in: his own browser finishes it.
    let res = back_at_hub(&bob, &callback).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(w.hub.sso_session("bob").await.is_some());
}

/// The hub's callback against a hostile OP: every broken ID token is refused,
/// leaves no SSO session and is named in the audit log; the honest one passes.
#[tokio::test]
async fn broken_id_tokens_from_a_hostile_op_are_refused() {
    let hub = Hub::new().await;
    let op = HostileOp::start("orgsso-acme", "alice@example.com").await;
    let res = hub
        .save_config(&op.issuer, &op.client_id, &op.client_secret)
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "save");
    let res = through_op(&hub.admin, &location(&res)).await;
    assert_eq!(
        location(&res),
        format!("/organizations/{ORG}/settings/sso?done=tested"),
        "honest test round trip"
    );
    let res = hub.enable(hub.latest_config().await.id.0).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "enable");
    // The admin signs in through the OP before managing members.
    let res = hub.admin.get(&location(&res)).await;
    let res = through_op(&hub.admin, &location(&res)).await;
    assert_eq!(location(&res), format!("{}?done=enabled", settings()));
    let bob = hub.member("bob").await;
    op.set_email("bob@example.com");

    for (forgery, code) in [
        (Forgery::WrongIssuer, "oidc.issuer_mismatch"),
        (Forgery::WrongAudience, "oidc.audience_mismatch"),
        (Forgery::Expired, "oidc.expired"),
        (Forgery::IssuedInFuture, "oidc.issued_in_future"),
        (Forgery::AlgNone, "oidc.unsupported_algorithm"),
        (Forgery::Hs256WithRsaPublicKey, "oidc.unsupported_algorithm"),
        (Forgery::BadSignature, "oidc.bad_signature"),
        (Forgery::UnknownKid, "oidc.unknown_key"),
        (Forgery::NonceMismatch, "oidc.nonce_mismatch"),
        (Forgery::NonceMissing, "oidc.nonce_missing"),
        (Forgery::MissingEmail, "oidc.missing_email"),
        (Forgery::EmailUnverified, "oidc.email_not_verified"),
        (
            Forgery::CallbackIssuerMismatch,
            "oidc.callback_issuer_mismatch",
        ),
        (
            Forgery::CallbackIssuerMissing,
            "oidc.callback_issuer_mismatch",
        ),
    ] {
        op.set_forgery(forgery);
        let res = through_op(&bob, &hub.start(&bob, "").await).await;
        let status = res.status();
        let page = res.text().await.unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN, "{forgery:?}:\n{page}");
        let failure = hub.last_failure().await;
        assert!(
            failure.starts_with(&format!("{code}: ")),
            "{forgery:?}: audit names {failure:?}, expected {code}"
        );
        assert!(
            hub.sso_session("bob").await.is_none(),
            "{forgery:?} opened an SSO session"
        );
    }

    // The same OP, honest: bob signs in; the same callback again is refused
    // before it reaches the OP (state and code are single-use).
    op.set_forgery(Forgery::Honest);
    let idp_url = hub.start(&bob, "/models/acme/x").await;
    let callback = op_callback(&bob, &idp_url).await;
    let res = back_at_hub(&bob, &callback).await;
    assert_eq!(location(&res), "/models/acme/x");
    assert!(hub.sso_session("bob").await.is_some());
    let exchanges = op.token_requests();
    hub.refused(back_at_hub(&bob, &callback).await, "oidc.state_mismatch")
        .await;
    assert_eq!(
        op.token_requests(),
        exchanges,
        "a replayed code reached the OP"
    );
}

/// Re-authentication with the real IdP: without `prompt=login` a second trip
/// rides the IdP session; with it (and `max_age`) the IdP asks again and its
/// ID token carries the `auth_time` the hub then requires.
#[tokio::test]
async fn prompt_login_and_max_age_make_the_real_idp_ask_again() {
    let Some(w) = world().await else { return };
    w.configure_and_test().await;
    // A second Update and Test: alice's IdP session is reused, no login form.
    let res = w.save_config().await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!asks_for_login(&w.hub.admin, &location(&res)).await);

    let csrf = w.hub.admin.page_csrf(&settings()).await;
    let res = w
        .hub
        .admin
        .post_form(
            &format!("{}/oidc", settings()),
            &[
                ("csrf_token", &csrf),
                ("issuer_url", &w.idp.issuer),
                ("client_id", &w.idp.client_id),
                ("client_secret", &w.idp.client_secret),
                ("scopes", "openid email profile"),
                ("email_claim", "email"),
                ("max_age", "600"),
                ("prompt_login", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let idp_url = location(&res);
    assert!(idp_url.contains("prompt=login") && idp_url.contains("max_age=600"));
    assert!(
        asks_for_login(&w.hub.admin, &idp_url).await,
        "prompt=login: the IdP asks for credentials again"
    );
    let res = login(&w.hub.admin, &idp_url, "alice", IDP_PASSWORD).await;
    assert_eq!(
        location(&res),
        format!("/organizations/{ORG}/settings/sso?done=tested"),
        "the IdP's auth_time satisfies max_age"
    );
    let config = w.hub.latest_config().await;
    let claims: Value = serde_json::from_str(config.test_result.as_deref().unwrap()).unwrap();
    assert!(claims["auth_time"].is_i64(), "{claims}");
}
