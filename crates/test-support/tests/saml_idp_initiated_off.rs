//! The IdP-initiated off switch against a real SAML IdP (SimpleSAMLphp): an unsolicited
//! response cannot be passed off as the answer to the member's own SP-initiated request by
//! writing that request's ID into the unsigned Response (`../shared/saml-corpus` rule 11).
//!
//! Without php or SimpleSAMLphp the tests print why and pass, unless
//! `ORGSSO_TEST_REQUIRE_PEERS=1` demands them.

use base64::Engine as _;
use orgsso_core::{Clock, OrgName, SystemClock, Username};
use orgsso_store::SsoSession;
use orgsso_test_support::location;
use orgsso_test_support::simplesamlphp::{
    IdpUser, SamlPost, SigningKey, SimpleSamlIdp, SpRegistration,
};
use orgsso_test_support::{Client, StatusCode, TestApp};

struct World {
    app: TestApp,
    idp: SimpleSamlIdp,
}

async fn world(org: &str) -> Option<World> {
    if let Some(why) = SimpleSamlIdp::unavailable() {
        orgsso_test_support::skip_without_peer(&why);
        return None;
    }
    let app = TestApp::spawn().await;
    let sp = SpRegistration::for_org(&app.base_url, org);
    let idp = SimpleSamlIdp::start(&[sp], &IdpUser::defaults(), SigningKey::First);
    Some(World { app, idp })
}

fn settings(org: &str) -> String {
    format!("/organizations/{org}/settings/sso")
}

async fn body(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    (status, res.text().await.unwrap_or_default())
}

impl World {
    async fn at_idp(&self, browser: &Client, url: &str, user: &str) -> SamlPost {
        assert!(
            url.starts_with(&self.idp.base_url()),
            "expected a redirect to the IdP, got {url}"
        );
        let password = IdpUser::named(user).password;
        self.idp.login(&browser.http, url, user, &password).await
    }

    async fn post_acs(&self, browser: &Client, post: &SamlPost) -> reqwest::Response {
        let path = post
            .acs_url
            .strip_prefix(&self.app.base_url)
            .unwrap_or_else(|| panic!("the IdP posts to {}, not to orgsso", post.acs_url));
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

    /// An org whose admin is alice, with a SAML configuration tested and enabled.
    async fn sso_org(&self, alice: &Client, org: &str) {
        self.app.org(alice, org).await;
        let csrf = alice.page_csrf(&settings(org)).await;
        let certificate = self.idp.cert_pem(SigningKey::First);
        let res = alice
            .post_form(
                &format!("{}/saml", settings(org)),
                &[
                    ("csrf_token", &csrf),
                    ("idp_sso_url", &self.idp.sso_url()),
                    ("idp_entity_id", &self.idp.idp_entity_id()),
                    ("certificates", &certificate),
                    ("metadata_xml", ""),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "save");
        let post = self.at_idp(alice, &location(&res), "alice").await;
        let res = self.post_acs(alice, &post).await;
        assert_eq!(location(&res), format!("{}?done=tested", settings(org)));

        let config = self
            .app
            .store
            .latest_sso_config(self.org_id(org).await)
            .await
            .unwrap()
            .expect("a configuration")
            .id
            .0;
        let csrf = alice.page_csrf(&settings(org)).await;
        let res = alice
            .post_form(
                &format!("{}/enable", settings(org)),
                &[("csrf_token", &csrf), ("config_id", &config.to_string())],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "enable");
        // Enforcement holds the admin too: enabling sends her through the IdP.
        let res = alice.get(&location(&res)).await;
        let post = self.at_idp(alice, &location(&res), "alice").await;
        let res = self.post_acs(alice, &post).await;
        assert_eq!(location(&res), format!("{}?done=enabled", settings(org)));
    }

    async fn turn_off_idp_initiated(&self, admin: &Client, org: &str) {
        let csrf = admin.page_csrf(&settings(org)).await;
        let res = admin
            .post_form(
                &format!("{}/options", settings(org)),
                &[
                    ("csrf_token", csrf.as_str()),
                    ("session_timeout_hours", "168"),
                    ("jit_membership", "on"),
                ],
            )
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "options");
        let state = self.app.store.org_sso(self.org_id(org).await).await;
        assert!(!state.unwrap().allow_idp_initiated);
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

    /// The newest `sso.login_failed` audit entry.
    async fn last_failure(&self, org: &str) -> String {
        let entries = self
            .app
            .store
            .audit_log(self.org_id(org).await, 100)
            .await
            .unwrap();
        entries
            .into_iter()
            .find(|e| e.event == "sso.login_failed")
            .map(|e| e.detail)
            .expect("a sso.login_failed entry in the audit log")
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
}

/// The value of the first `name="…"` attribute in `xml`.
fn attribute(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!(" {name}=\""))? + name.len() + 3;
    let len = xml[start..].find('"')?;
    Some(xml[start..start + len].to_owned())
}

/// What the presenter can do to an unsolicited response without the IdP's key: drop the
/// Response signature (the Assertion's alone is enough) and write `request_id` into the
/// now unsigned Response.
fn answer_to(unsolicited: &str, request_id: &str) -> String {
    let assertion = unsolicited.find(":Assertion ").expect("an Assertion");
    let mut xml = unsolicited.to_owned();
    // SimpleSAMLphp signs only the Assertion unless told otherwise; drop a Response one.
    if let Some(start) = xml[..assertion].find("<ds:Signature ") {
        let end = xml[start..]
            .find("</ds:Signature>")
            .expect("the end of the Response Signature")
            + start
            + "</ds:Signature>".len();
        xml.replace_range(start..end, "");
    }
    assert_eq!(xml.matches("</ds:Signature>").count(), 1, "{xml}");
    let response = xml.find(":Response ").expect("a Response") + ":Response ".len();
    xml.insert_str(response, &format!("InResponseTo=\"{request_id}\" "));
    xml
}

#[tokio::test]
async fn an_idp_initiated_response_cannot_finish_the_members_own_sp_initiated_sign_in() {
    let Some(w) = world("acme").await else {
        return;
    };
    let alice = w.app.user("alice").await;
    let bob = w.app.user("bob").await;
    w.sso_org(&alice, "acme").await;
    w.app.add_member(&alice, "acme", "bob", "read").await;
    w.turn_off_idp_initiated(&alice, "acme").await;
    let sp = SpRegistration::for_org(&w.app.base_url, "acme");

    // bob starts an SP-initiated sign-in: his browser holds its RelayState, and the
    // AuthnRequest ID is no secret to him (here read from the IdP's answer, never posted).
    let res = bob
        .get("/organizations/acme/sso?return_to=/organizations/acme")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "start SSO");
    let answer = w.at_idp(&bob, &location(&res), "bob").await;
    assert!(!answer.relay_state.is_empty());
    let request_id = attribute(&answer.xml(), "InResponseTo").expect("InResponseTo");

    // Then takes an IdP-initiated response instead and dresses it up as that answer.
    let unsolicited = w
        .at_idp(&bob, &w.idp.idp_initiated_url(&sp.entity_id), "bob")
        .await;
    assert!(!unsolicited.xml().contains("InResponseTo"));
    let forged = SamlPost {
        saml_response: base64::engine::general_purpose::STANDARD
            .encode(answer_to(&unsolicited.xml(), &request_id)),
        relay_state: answer.relay_state.clone(),
        ..unsolicited.clone()
    };
    let (status, text) = body(w.post_acs(&bob, &forged).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    let reason = w.last_failure("acme").await;
    assert!(
        reason.starts_with("saml.in_response_to_unsigned"),
        "{reason}"
    );
    assert!(reason.contains(&request_id), "{reason}");
    assert!(w.sso_session("bob", "acme").await.is_none());

    // An ordinary SP-initiated sign-in still works.
    let res = bob
        .get("/organizations/acme/sso?return_to=/organizations/acme/members")
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "start SSO");
    let post = w.at_idp(&bob, &location(&res), "bob").await;
    let res = w.post_acs(&bob, &post).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap_or_default()
    );
    assert_eq!(location(&res), "/organizations/acme/members");
    assert!(w.sso_session("bob", "acme").await.is_some());
}
