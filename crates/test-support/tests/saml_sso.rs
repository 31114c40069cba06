//! Organization SSO over SAML 2.0 end to end: the real orgsso server and a
//! real SAML IdP (SimpleSAMLphp under `php -S`), both on loopback ports, the
//! IdP's login form driven over HTTP like a browser would.
//!
//! Without php or SimpleSAMLphp the tests print why and pass, unless
//! `ORGSSO_TEST_REQUIRE_PEERS=1` demands them.

use orgsso_core::{Clock, OrgName, SystemClock, Username};
use orgsso_store::SsoSession;
use orgsso_test_support::location;
use orgsso_test_support::simplesamlphp::{
    IdpUser, SamlPost, SigningKey, SimpleSamlIdp, SpRegistration,
};
use orgsso_test_support::{error_of, json_body, Client, StatusCode, TestApp, PASSWORD};
use serde_json::json;

struct World {
    app: TestApp,
    idp: SimpleSamlIdp,
}

/// orgsso plus an IdP that knows `orgs` as service providers and signs with `key`.
async fn world(orgs: &[&str], key: SigningKey) -> Option<World> {
    if let Some(why) = SimpleSamlIdp::unavailable() {
        orgsso_test_support::skip_without_peer(&why);
        return None;
    }
    let app = TestApp::spawn().await;
    let sps: Vec<SpRegistration> = orgs
        .iter()
        .map(|org| SpRegistration::for_org(&app.base_url, org))
        .collect();
    let idp = SimpleSamlIdp::start(&sps, &IdpUser::defaults(), key);
    Some(World { app, idp })
}

fn settings(org: &str) -> String {
    format!("/organizations/{org}/settings/sso")
}

impl World {
    /// Submits the SAML settings form with the IdP's URL, entity ID and the
    /// certificates of `keys`.
    async fn save_config(
        &self,
        admin: &Client,
        org: &str,
        keys: &[SigningKey],
    ) -> reqwest::Response {
        let csrf = admin.page_csrf(&settings(org)).await;
        let certificates: String = keys.iter().map(|k| self.idp.cert_pem(*k)).collect();
        admin
            .post_form(
                &format!("{}/saml", settings(org)),
                &[
                    ("csrf_token", &csrf),
                    ("idp_sso_url", &self.idp.sso_url()),
                    ("idp_entity_id", &self.idp.idp_entity_id()),
                    ("certificates", &certificates),
                    ("metadata_xml", ""),
                ],
            )
            .await
    }

    /// Signs `user` in at the IdP, starting from `url`, in `browser`.
    async fn at_idp(&self, browser: &Client, url: &str, user: &str) -> SamlPost {
        assert!(
            url.starts_with(&self.idp.base_url()),
            "expected a redirect to the IdP, got {url}"
        );
        let password = IdpUser::named(user).password;
        self.idp.login(&browser.http, url, user, &password).await
    }

    /// What the browser does with the IdP's auto-posting form.
    async fn post_acs(&self, browser: &Client, post: &SamlPost) -> reqwest::Response {
        self.post_acs_at(browser, &post.acs_url, post).await
    }

    async fn post_acs_at(
        &self,
        browser: &Client,
        acs_url: &str,
        post: &SamlPost,
    ) -> reqwest::Response {
        let path = acs_url
            .strip_prefix(&self.app.base_url)
            .unwrap_or_else(|| panic!("the IdP posts to {acs_url}, not to orgsso"));
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

    /// Update and Test: saves, goes through the IdP as `admin_name`, comes back tested.
    async fn configure_and_test(
        &self,
        admin: &Client,
        admin_name: &str,
        org: &str,
        keys: &[SigningKey],
    ) -> i64 {
        let res = self.save_config(admin, org, keys).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "save: {}",
            res.text().await.unwrap_or_default()
        );
        let post = self.at_idp(admin, &location(&res), admin_name).await;
        let res = self.post_acs(admin, &post).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "test round trip: {}",
            res.text().await.unwrap_or_default()
        );
        assert_eq!(location(&res), format!("{}?done=tested", settings(org)));
        self.latest_config(org).await
    }

    async fn enable(&self, admin: &Client, org: &str, config_id: i64) -> reqwest::Response {
        let csrf = admin.page_csrf(&settings(org)).await;
        admin
            .post_form(
                &format!("{}/enable", settings(org)),
                &[("csrf_token", &csrf), ("config_id", &config_id.to_string())],
            )
            .await
    }

    /// An org whose admin is alice, with SSO tested and enabled.
    async fn sso_org(&self, alice: &Client, org: &str, keys: &[SigningKey]) -> i64 {
        self.app.org(alice, org).await;
        let id = self.configure_and_test(alice, "alice", org, keys).await;
        let res = self.enable(alice, org, id).await;
        self.admin_signs_in_after_enabling(alice, org, res, "alice")
            .await;
        id
    }

    /// Enforcement holds the admin too: enabling sends them through the
    /// IdP, which brings them back to the SSO settings.
    async fn admin_signs_in_after_enabling(
        &self,
        admin: &Client,
        org: &str,
        enabled: reqwest::Response,
        idp_user: &str,
    ) {
        assert_eq!(enabled.status(), StatusCode::SEE_OTHER, "enable");
        let start = location(&enabled);
        assert!(
            start.starts_with(&format!("/organizations/{org}/sso?return_to=")),
            "enabling sends the admin to sign in: {start}"
        );
        let res = admin.get(&start).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "start SSO");
        let post = self.at_idp(admin, &location(&res), idp_user).await;
        let res = self.post_acs(admin, &post).await;
        assert_eq!(
            location(&res),
            format!("/organizations/{org}/settings/sso?done=enabled")
        );
    }

    /// A member starts SSO from orgsso (SP-initiated) and finishes it at the IdP.
    async fn sp_login(
        &self,
        browser: &Client,
        org: &str,
        return_to: &str,
        user: &str,
    ) -> reqwest::Response {
        let res = browser
            .get(&format!("/organizations/{org}/sso?return_to={return_to}"))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "start SSO");
        let post = self.at_idp(browser, &location(&res), user).await;
        self.post_acs(browser, &post).await
    }

    async fn save_options(&self, admin: &Client, org: &str, allow_idp_initiated: bool) {
        let csrf = admin.page_csrf(&settings(org)).await;
        let mut fields = vec![
            ("csrf_token", csrf.as_str()),
            ("session_timeout_hours", "168"),
            ("jit_membership", "on"),
        ];
        if allow_idp_initiated {
            fields.push(("allow_idp_initiated", "on"));
        }
        let res = admin
            .post_form(&format!("{}/options", settings(org)), &fields)
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "options");
    }

    async fn org_id(&self, org: &str) -> orgsso_core::OrgId {
        self.app
            .store
            .org_by_name(&OrgName::parse(org).unwrap())
            .await
            .unwrap()
            .expect("org")
            .id
    }

    async fn latest_config(&self, org: &str) -> i64 {
        self.latest_record(org).await.expect("a configuration").id.0
    }

    async fn latest_record(&self, org: &str) -> Option<orgsso_store::SsoConfig> {
        let id = self.org_id(org).await;
        self.app.store.latest_sso_config(id).await.unwrap()
    }

    /// Submits the SAML settings form with nothing but the IdP's metadata URL.
    async fn import_metadata(&self, admin: &Client, org: &str, url: &str) -> reqwest::Response {
        let csrf = admin.page_csrf(&settings(org)).await;
        admin
            .post_form(
                &format!("{}/saml", settings(org)),
                &[("csrf_token", &csrf), ("metadata_url", url)],
            )
            .await
    }

    async fn enabled(&self, org: &str) -> (bool, Option<i64>) {
        let state = self
            .app
            .store
            .org_sso(self.org_id(org).await)
            .await
            .unwrap();
        (state.enabled(), state.active_config.map(|c| c.0))
    }

    /// The org's audit log, newest first, as `(event, detail)`.
    async fn audit(&self, org: &str) -> Vec<(String, String)> {
        let id = self.org_id(org).await;
        let entries = self.app.store.audit_log(id, 100).await.unwrap();
        entries.into_iter().map(|e| (e.event, e.detail)).collect()
    }

    /// The detail of the newest `sso.login_failed` entry.
    async fn last_failure(&self, org: &str) -> String {
        self.audit(org)
            .await
            .into_iter()
            .find(|(event, _)| event == "sso.login_failed")
            .map(|(_, detail)| detail)
            .expect("a sso.login_failed entry in the audit log")
    }

    async fn count(&self, org: &str, event: &str) -> usize {
        self.audit(org)
            .await
            .iter()
            .filter(|(e, _)| e == event)
            .count()
    }

    async fn sso_session(&self, username: &str, org: &str) -> Option<SsoSession> {
        let user = self
            .app
            .store
            .user_by_username(&Username::parse(username).unwrap())
            .await
            .unwrap()
            .expect("user");
        let org = self.org_id(org).await;
        self.app
            .store
            .sso_sessions_of_org(org, SystemClock.now())
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.user == user.id)
    }

    async fn settings_page(&self, admin: &Client, org: &str) -> String {
        let res = admin.get(&settings(org)).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.text().await.unwrap()
    }
}

async fn body(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    (status, res.text().await.unwrap_or_default())
}

#[tokio::test]
async fn a_configuration_must_pass_its_test_through_the_idp_before_it_can_be_enabled() {
    let Some(w) = world(&["acme"], SigningKey::First).await else {
        return;
    };
    let alice = w.app.user("alice").await;
    w.app.org(&alice, "acme").await;

    // Saving sends the admin to the IdP with an AuthnRequest and a RelayState.
    let res = w.save_config(&alice, "acme", &[SigningKey::First]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to_idp = location(&res);
    assert!(
        to_idp.starts_with(&format!("{}?SAMLRequest=", w.idp.sso_url())),
        "{to_idp}"
    );
    assert!(to_idp.contains("&RelayState="), "{to_idp}");
    let untested = w.latest_config("acme").await;

    // Not tested yet: the page says so and enabling is refused.
    let page = w.settings_page(&alice, "acme").await;
    assert!(page.contains("Not tested yet"), "{page}");
    let (status, text) = body(w.enable(&alice, "acme", untested).await).await;
    assert!(status.is_client_error(), "enable before test: {status}");
    assert!(text.contains("passed its test"), "{text}");
    assert_eq!(w.enabled("acme").await, (false, None));

    // The admin signs in at the IdP and comes back: tested, with what the IdP sent.
    let post = w.at_idp(&alice, &to_idp, "alice").await;
    assert_eq!(
        post.acs_url,
        format!("{}/organizations/acme/saml/consume", w.app.base_url)
    );
    let res = w.post_acs(&alice, &post).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(
        location(&res),
        "/organizations/acme/settings/sso?done=tested"
    );
    let page = w.settings_page(&alice, "acme").await;
    assert!(page.contains("✔ Tested"), "{page}");
    assert!(page.contains("alice@example.com"));
    assert!(page.contains("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"));
    for group in ["engineering", "admins"] {
        assert!(
            page.contains(group),
            "the test result shows the groups value {group}"
        );
    }
    assert!(page.contains("Alice Example"), "displayName is shown");
    assert!(page.contains(&w.idp.idp_entity_id()));
    assert!(w.count("acme", "sso.test_passed").await == 1);

    // Now it can be enabled.
    let res = w.enable(&alice, "acme", untested).await;
    w.admin_signs_in_after_enabling(&alice, "acme", res, "alice")
        .await;
    assert_eq!(w.enabled("acme").await, (true, Some(untested)));
    let page = w.settings_page(&alice, "acme").await;
    assert!(page.contains("SSO is enforced"), "{page}");

    // Any change makes the newest configuration untested again; the enabled one stays.
    let res = w
        .save_config(&alice, "acme", &[SigningKey::First, SigningKey::Second])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let changed = w.latest_config("acme").await;
    assert_ne!(changed, untested);
    let page = w.settings_page(&alice, "acme").await;
    assert!(
        page.contains(&format!("Configuration #{changed}")),
        "{page}"
    );
    assert!(page.contains("Not tested yet"), "{page}");
    let (status, _) = body(w.enable(&alice, "acme", changed).await).await;
    assert!(
        status.is_client_error(),
        "enable an untested change: {status}"
    );
    assert_eq!(w.enabled("acme").await, (true, Some(untested)));
}

/// The admin gives only the IdP's metadata URL: the server fetches it, the
/// sign-on URL, entity ID and certificate come from it, and the test round
/// trip through the IdP passes. A URL that is not usable is refused on
/// `metadata_url` and saves nothing.
#[tokio::test]
async fn an_admin_imports_the_idp_metadata_from_its_url() {
    let Some(w) = world(&["acme"], SigningKey::First).await else {
        return;
    };
    let alice = w.app.user("alice").await;
    w.app.org(&alice, "acme").await;
    let metadata_url = w.idp.idp_entity_id(); // SimpleSAMLphp serves its metadata at its entity ID

    let refusals = [
        // Not a metadata document: the hub's own health check.
        (
            format!("{}/healthz", w.app.base_url),
            "is not usable IdP metadata",
        ),
        // SimpleSAMLphp redirects unknown paths; redirects are not followed.
        (
            format!("{}/nothing-here", w.idp.base_url()),
            "redirects are not followed",
        ),
        ("https://169.254.169.254/metadata".to_owned(), "link-local"),
        ("http://idp.example.com/metadata".to_owned(), "https"),
    ];
    for (url, why) in &refusals {
        let res = alice
            .post_json("/api/orgs/acme/sso/saml", json!({ "metadata_url": url }))
            .await;
        let (status, error) = error_of(res).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {error}");
        assert_eq!(error["field"], "metadata_url", "{url}: {error}");
        let message = error["message"].as_str().unwrap_or_default();
        assert!(message.contains(why), "{url}: {error}");
    }
    assert!(w.latest_record("acme").await.is_none());

    // The form, with nothing but the URL.
    let res = w.import_metadata(&alice, "acme", &metadata_url).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "save from the metadata URL"
    );
    let to_idp = location(&res);
    assert!(
        to_idp.starts_with(&format!("{}?SAMLRequest=", w.idp.sso_url())),
        "{to_idp}"
    );
    let config = w.latest_record("acme").await.expect("saved");
    let saved: serde_json::Value = serde_json::from_str(&config.settings).unwrap();
    assert_eq!(saved["idp_entity_id"], w.idp.idp_entity_id().as_str());
    assert_eq!(saved["idp_sso_url"], w.idp.sso_url().as_str());
    let pem_body = |pem: &str| {
        pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>()
    };
    assert_eq!(
        pem_body(saved["certificates"][0].as_str().unwrap()),
        pem_body(&w.idp.cert_pem(SigningKey::First)),
        "the IdP's own signing certificate"
    );

    let post = w.at_idp(&alice, &to_idp, "alice").await;
    let res = w.post_acs(&alice, &post).await;
    assert_eq!(location(&res), format!("{}?done=tested", settings("acme")));
    let page = w.settings_page(&alice, "acme").await;
    assert!(page.contains("✔ Tested"), "{page}");
    assert_eq!(saved["metadata_url"], metadata_url.as_str());

    // After a key rotation at the IdP the admin imports again from the
    // remembered URL: a new configuration with the new certificate, untested.
    assert!(page.contains("Import again and test"), "{page}");
    w.idp.set_signing_key(SigningKey::Second);
    let res = w.import_metadata(&alice, "acme", &metadata_url).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "import again");
    let again = w.latest_record("acme").await.expect("saved");
    assert_ne!(again.id, config.id);
    assert!(again.tested_at.is_none());
    let saved: serde_json::Value = serde_json::from_str(&again.settings).unwrap();
    assert_eq!(
        pem_body(saved["certificates"][0].as_str().unwrap()),
        pem_body(&w.idp.cert_pem(SigningKey::Second)),
        "the IdP's new signing certificate"
    );
}

#[tokio::test]
async fn a_member_signs_in_through_the_idp_and_lands_on_the_page_they_asked_for() {
    let Some(w) = world(&["acme"], SigningKey::First).await else {
        return;
    };
    let alice = w.app.user("alice").await;
    let bob = w.app.user("bob").await;
    w.sso_org(&alice, "acme", &[SigningKey::First]).await;
    w.app.add_member(&alice, "acme", "bob", "read").await;
    assert!(w.sso_session("bob", "acme").await.is_none());

    let res = w
        .sp_login(&bob, "acme", "/organizations/acme/members", "bob")
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(location(&res), "/organizations/acme/members");

    let session = w
        .sso_session("bob", "acme")
        .await
        .expect("bob's SSO session");
    assert_eq!(session.email, "bob@example.com");
    assert_eq!(session.subject, "bob@example.com");
    let page = w.settings_page(&alice, "acme").await;
    let users = &page[page.find("SSO users").expect("SSO users list")..];
    assert!(users.contains("<td>bob</td>"), "{users}");
    assert!(users.contains("bob@example.com"), "{users}");
    let (_, detail) = w
        .audit("acme")
        .await
        .into_iter()
        .find(|(e, _)| e == "sso.login")
        .expect("sso.login");
    assert!(detail.contains("bob"), "{detail}");

    // A URL elsewhere is not followed: the member lands on the org page.
    let carol = w.app.user("carol").await;
    let res = w
        .sp_login(&carol, "acme", "https%3A%2F%2Fevil.example%2F", "carol")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), "/organizations/acme");
    // carol was not a member: she joined just in time with the default role.
    assert!(alice.role_of("acme", "carol").await.is_some());
}

#[tokio::test]
async fn idp_initiated_login_works_until_the_admin_turns_it_off() {
    let Some(w) = world(&["acme"], SigningKey::First).await else {
        return;
    };
    let alice = w.app.user("alice").await;
    let bob = w.app.user("bob").await;
    let carol = w.app.user("carol").await;
    w.sso_org(&alice, "acme", &[SigningKey::First]).await;
    w.app.add_member(&alice, "acme", "bob", "read").await;
    w.app.add_member(&alice, "acme", "carol", "read").await;
    let sp = SpRegistration::for_org(&w.app.base_url, "acme");

    // The app tile at the IdP: no AuthnRequest, no RelayState, no InResponseTo.
    let post = w
        .at_idp(&bob, &w.idp.idp_initiated_url(&sp.entity_id), "bob")
        .await;
    assert!(post.relay_state.is_empty());
    assert!(!post.xml().contains("InResponseTo"));
    let res = w.post_acs(&bob, &post).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    assert_eq!(location(&res), "/organizations/acme");
    assert!(w.sso_session("bob", "acme").await.is_some());

    // Turned off: the member is told where to start instead.
    w.save_options(&alice, "acme", false).await;
    let post = w
        .at_idp(&carol, &w.idp.idp_initiated_url(&sp.entity_id), "carol")
        .await;
    let (status, text) = body(w.post_acs(&carol, &post).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("/organizations/acme/sso"), "{text}");
    assert!(w
        .last_failure("acme")
        .await
        .contains("saml.idp_initiated_disabled"));
    assert!(w.sso_session("carol", "acme").await.is_none());

    // SP-initiated still works for carol.
    let res = w.sp_login(&carol, "acme", "", "carol").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(w.sso_session("carol", "acme").await.is_some());
}

#[tokio::test]
async fn the_idp_can_rotate_its_signing_key_when_both_certificates_are_configured() {
    let Some(w) = world(&["acme"], SigningKey::First).await else {
        return;
    };
    let alice = w.app.user("alice").await;
    let bob = w.app.user("bob").await;
    w.sso_org(&alice, "acme", &[SigningKey::First]).await;
    w.app.add_member(&alice, "acme", "bob", "read").await;

    // The IdP switches to its new key while only the old certificate is configured: refused.
    w.idp.set_signing_key(SigningKey::Second);
    let (status, text) = body(w.sp_login(&bob, "acme", "", "bob").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("organization admin"), "{text}");
    // A member is not shown the failed check; the admin is.
    assert!(!text.contains("saml.wrong_key"), "{text}");
    let reason = w.last_failure("acme").await;
    assert!(reason.starts_with("saml.wrong_key"), "{reason}");
    assert!(w.sso_session("bob", "acme").await.is_none());
    let (status, text) = body(w.sp_login(&alice, "acme", "", "alice").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        text.contains("what failed") && text.contains("saml.wrong_key"),
        "{text}"
    );

    // The admin adds the new certificate next to the old one; the refused
    // response is accepted by the edited configuration, which passes its test.
    let both = w
        .configure_and_test(
            &alice,
            "alice",
            "acme",
            &[SigningKey::First, SigningKey::Second],
        )
        .await;
    let csrf = alice.page_csrf(&settings("acme")).await;
    let (status, page) = body(
        alice
            .post_form(
                &format!("{}/recheck", settings("acme")),
                &[("csrf_token", &csrf)],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Accepted now"), "{page}");
    let res = w.enable(&alice, "acme", both).await;
    w.admin_signs_in_after_enabling(&alice, "acme", res, "alice")
        .await;

    // Signed with the new key: accepted. Back to the old key: still accepted.
    let res = w.sp_login(&bob, "acme", "", "bob").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    assert!(w.sso_session("bob", "acme").await.is_some());
    w.idp.set_signing_key(SigningKey::First);
    let res = w.sp_login(&bob, "acme", "", "bob").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    // alice after each enabling, then the two sign-ins above.
    assert_eq!(w.count("acme", "sso.login").await, 4);

    // A configuration with only the retired certificate fails its test, with the reason.
    w.idp.set_signing_key(SigningKey::Second);
    let res = w.save_config(&alice, "acme", &[SigningKey::First]).await;
    let post = w.at_idp(&alice, &location(&res), "alice").await;
    let (status, _) = body(w.post_acs(&alice, &post).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(w.last_failure("acme").await.starts_with("saml.wrong_key"));
    let page = w.settings_page(&alice, "acme").await;
    assert!(page.contains("Not tested yet"));
    assert!(
        page.contains("saml.wrong_key"),
        "the audit log on the page names the reason"
    );
    assert_eq!(w.enabled("acme").await, (true, Some(both)));
}

#[tokio::test]
async fn a_captured_response_cannot_be_replayed() {
    let Some(w) = world(&["acme"], SigningKey::First).await else {
        return;
    };
    let alice = w.app.user("alice").await;
    let bob = w.app.user("bob").await;
    let carol = w.app.user("carol").await;
    w.sso_org(&alice, "acme", &[SigningKey::First]).await;
    w.app.add_member(&alice, "acme", "bob", "read").await;
    w.app.add_member(&alice, "acme", "carol", "read").await;
    let sp = SpRegistration::for_org(&w.app.base_url, "acme");

    // An IdP-initiated response is accepted once.
    let post = w
        .at_idp(&bob, &w.idp.idp_initiated_url(&sp.entity_id), "bob")
        .await;
    assert_eq!(
        w.post_acs(&bob, &post).await.status(),
        StatusCode::SEE_OTHER
    );
    let (status, text) = body(w.post_acs(&bob, &post).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("already used"), "{text}");
    let reason = w.last_failure("acme").await;
    assert!(reason.starts_with("saml.replayed"), "{reason}");
    assert!(reason.contains("replay"), "{reason}");

    // Posted from another browser by someone who captured it: refused as a replay too.
    let (status, _) = body(w.post_acs(&carol, &post).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(w.last_failure("acme").await.starts_with("saml.replayed"));
    assert!(w.sso_session("carol", "acme").await.is_none());

    // The answer to an SP-initiated request: not through the IdP-initiated
    // door (without its RelayState), not in another browser, and only once.
    // The refused attempts do not use it up for bob.
    let res = bob
        .get("/organizations/acme/sso?return_to=/organizations/acme")
        .await;
    let sp_post = w.at_idp(&bob, &location(&res), "bob").await;
    assert!(!sp_post.relay_state.is_empty());
    let as_unsolicited = SamlPost {
        relay_state: String::new(),
        ..sp_post.clone()
    };
    let (status, _) = body(w.post_acs(&bob, &as_unsolicited).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let reason = w.last_failure("acme").await;
    assert!(reason.starts_with("saml.unknown_request"), "{reason}");
    let (status, _) = body(w.post_acs(&carol, &sp_post).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let reason = w.last_failure("acme").await;
    assert!(reason.starts_with("sso.request_mismatch"), "{reason}");
    assert!(w.sso_session("carol", "acme").await.is_none());
    assert_eq!(
        w.post_acs(&bob, &sp_post).await.status(),
        StatusCode::SEE_OTHER
    );
    // Posted again, its request is used up: it answers nothing pending.
    let (status, _) = body(w.post_acs(&bob, &sp_post).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let reason = w.last_failure("acme").await;
    assert!(reason.starts_with("saml.unknown_request"), "{reason}");
    // alice after enabling, then the two sign-ins above.
    assert_eq!(w.count("acme", "sso.login").await, 3);
}

#[tokio::test]
async fn a_response_meant_for_another_organization_is_refused() {
    let Some(w) = world(&["acme", "globex"], SigningKey::First).await else {
        return;
    };
    let alice = w.app.user("alice").await;
    let bob = w.app.user("bob").await;
    w.sso_org(&alice, "acme", &[SigningKey::First]).await;
    w.sso_org(&alice, "globex", &[SigningKey::First]).await;
    w.app.add_member(&alice, "acme", "bob", "read").await;
    w.app.add_member(&alice, "globex", "bob", "read").await;
    let acme = SpRegistration::for_org(&w.app.base_url, "acme");
    let globex = SpRegistration::for_org(&w.app.base_url, "globex");

    // acme's response, signed by the IdP both orgs trust, posted to globex's ACS.
    let post = w
        .at_idp(&bob, &w.idp.idp_initiated_url(&acme.entity_id), "bob")
        .await;
    assert_eq!(post.acs_url, acme.acs_url);
    let (status, text) = body(w.post_acs_at(&bob, &globex.acs_url, &post).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    let reason = w.last_failure("globex").await.to_lowercase();
    assert!(
        ["audience", "recipient", "destination"]
            .iter()
            .any(|c| reason.contains(c)),
        "{reason}"
    );
    assert!(
        reason.contains(&globex.acs_url.to_lowercase())
            || reason.contains(&globex.entity_id.to_lowercase()),
        "{reason}"
    );
    assert!(w.sso_session("bob", "globex").await.is_none());

    // The same: with a pending SP-initiated request of globex in this browser.
    let res = bob.get("/organizations/globex/sso").await;
    let to_idp = location(&res);
    let relay = to_idp
        .split("RelayState=")
        .nth(1)
        .expect("RelayState")
        .to_owned();
    let mut for_globex = post.clone();
    for_globex.relay_state = relay;
    let (status, _) = body(w.post_acs_at(&bob, &globex.acs_url, &for_globex).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(w.sso_session("bob", "globex").await.is_none());

    // Where it belongs, it still works: the refusals did not use it up.
    let res = w.post_acs(&bob, &post).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    assert!(w.sso_session("bob", "acme").await.is_some());
}

#[tokio::test]
async fn an_asserted_email_that_is_not_verified_on_the_account_is_refused() {
    let Some(w) = world(&["acme"], SigningKey::First).await else {
        return;
    };
    let alice = w.app.user("alice").await;
    w.sso_org(&alice, "acme", &[SigningKey::First]).await;

    // carol signs up but has not opened her verification link yet.
    let mut carol = w.app.client();
    let res = carol
        .post_json(
            "/api/signup",
            json!({"username": "carol", "email": "carol@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    carol.login("carol", PASSWORD).await;
    let me = json_body(carol.get("/api/me").await).await;
    assert_eq!(me["username"], "carol", "{me}");
    w.app.add_member(&alice, "acme", "carol", "read").await;

    let (status, text) = body(w.sp_login(&carol, "acme", "", "carol").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(text.contains("carol@example.com"), "{text}");
    assert!(text.contains("not verified"), "{text}");
    assert!(
        text.contains("verification") || text.contains("Resend link"),
        "{text}"
    );
    assert!(w
        .last_failure("acme")
        .await
        .starts_with("sso.email_not_verified"));
    assert!(w.sso_session("carol", "acme").await.is_none());

    // After verifying the address, the same sign-in works.
    let token = w.app.verification_token("carol@example.com").await;
    let res = carol
        .post_json("/api/emails/verify", json!({"token": token}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = w.sp_login(&carol, "acme", "", "carol").await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap()
    );
    assert!(w.sso_session("carol", "acme").await.is_some());
}
