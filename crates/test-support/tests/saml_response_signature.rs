//! Response-only signatures end to end: SimpleSAMLphp configured as a
//! Shibboleth IdP is by default (`saml20.sign.response` on,
//! `saml20.sign.assertion` off), the real orgsso server on loopback. Refused
//! while the configuration leaves the option off, with a message that names
//! it; accepted once the admin turns it on.
//!
//! Without php or SimpleSAMLphp the test prints why and passes, unless
//! `ORGSSO_TEST_REQUIRE_PEERS=1` demands them.

use orgsso_core::OrgName;
use orgsso_test_support::location;
use orgsso_test_support::simplesamlphp::{
    IdpUser, SamlPost, SigningKey, SimpleSamlIdp, SpRegistration,
};
use orgsso_test_support::{Client, StatusCode, TestApp};

struct World {
    app: TestApp,
    idp: SimpleSamlIdp,
    sp: SpRegistration,
}

const ORG: &str = "acme";

fn settings() -> String {
    format!("/organizations/{ORG}/settings/sso")
}

impl World {
    async fn start() -> Option<World> {
        if let Some(why) = SimpleSamlIdp::unavailable() {
            orgsso_test_support::skip_without_peer(&why);
            return None;
        }
        let app = TestApp::spawn().await;
        let sp = SpRegistration::for_org(&app.base_url, ORG);
        let idp = SimpleSamlIdp::start(
            std::slice::from_ref(&sp),
            &IdpUser::defaults(),
            SigningKey::First,
        );
        idp.set_response_only_signature(&sp.entity_id, true);
        Some(World { app, idp, sp })
    }

    /// Submits the SAML settings form, with the Response-only option on or off.
    async fn save_config(&self, admin: &Client, response_only: bool) -> reqwest::Response {
        let csrf = admin.page_csrf(&settings()).await;
        let (sso_url, entity_id) = (self.idp.sso_url(), self.idp.idp_entity_id());
        let cert = self.idp.cert_pem(SigningKey::First);
        let mut fields = vec![
            ("csrf_token", csrf.as_str()),
            ("idp_sso_url", sso_url.as_str()),
            ("idp_entity_id", entity_id.as_str()),
            ("certificates", cert.as_str()),
            ("metadata_xml", ""),
        ];
        if response_only {
            fields.push(("accept_response_only_signature", "on"));
        }
        admin
            .post_form(&format!("{}/saml", settings()), &fields)
            .await
    }

    /// Saves, signs `user` in at the IdP and posts what it sends to the ACS.
    async fn save_and_test(
        &self,
        admin: &Client,
        user: &str,
        response_only: bool,
    ) -> (SamlPost, reqwest::Response) {
        let res = self.save_config(admin, response_only).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "save: {}",
            res.text().await.unwrap_or_default()
        );
        let post = self.at_idp(admin, &location(&res), user).await;
        let res = self.post_acs(admin, &post).await;
        (post, res)
    }

    async fn at_idp(&self, browser: &Client, url: &str, user: &str) -> SamlPost {
        assert!(
            url.starts_with(&self.idp.base_url()),
            "expected a redirect to the IdP, got {url}"
        );
        let password = IdpUser::named(user).password;
        self.idp.login(&browser.http, url, user, &password).await
    }

    async fn post_acs(&self, browser: &Client, post: &SamlPost) -> reqwest::Response {
        assert_eq!(post.acs_url, self.sp.acs_url);
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

    async fn latest_config(&self) -> i64 {
        let org = self
            .app
            .store
            .org_by_name(&OrgName::parse(ORG).unwrap())
            .await
            .unwrap()
            .expect("org");
        self.app
            .store
            .latest_sso_config(org.id)
            .await
            .unwrap()
            .expect("a configuration")
            .id
            .0
    }
}

/// The IdP signed the Response and nothing else.
fn assert_response_only_signed(post: &SamlPost) {
    let xml = post.xml();
    // One SignatureValue (opening and closing tag), before the Assertion starts.
    let signature_values = xml.matches(":SignatureValue>").count();
    let signature = xml.find(":SignatureValue>").expect("a signature");
    let assertion = xml.find(":Assertion ").expect("an assertion");
    assert!(
        signature_values == 2 && signature < assertion,
        "expected only a Response signature: {xml}"
    );
}

#[tokio::test]
async fn a_response_only_signature_is_refused_until_the_admin_accepts_it() {
    let Some(w) = World::start().await else {
        return;
    };
    let alice = w.app.user("alice").await;
    let bob = w.app.user("bob").await;
    w.app.org(&alice, ORG).await;
    w.app.add_member(&alice, ORG, "bob", "read").await;

    // The settings form offers the option, with what it means.
    let page = alice.get(&settings()).await.text().await.unwrap();
    assert!(
        page.contains("name=\"accept_response_only_signature\"")
            && page.contains("sign only the Response"),
        "{page}"
    );

    // Option off (the default): the test round trip is refused, and the admin
    // is told which option would accept it.
    let (post, res) = w.save_and_test(&alice, "alice", false).await;
    assert_response_only_signed(&post);
    let status = res.status();
    let text = res.text().await.unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(
        text.contains("saml.unsigned_assertion")
            && text.contains("Accept Response-only signatures"),
        "{text}"
    );
    let page = alice.get(&settings()).await.text().await.unwrap();
    assert!(!page.contains("✔ Tested"), "{page}");

    // Option on: the same IdP behaviour passes the test, and the page says the
    // configuration accepts Response-only signatures.
    let (post, res) = w.save_and_test(&alice, "alice", true).await;
    assert_response_only_signed(&post);
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap_or_default()
    );
    assert_eq!(location(&res), format!("{}?done=tested", settings()));
    let page = alice.get(&settings()).await.text().await.unwrap();
    assert!(page.contains("✔ Tested"), "{page}");
    assert!(page.contains("Response-only signatures"), "{page}");

    // Enabled, a member signs in through the same Response-only signing.
    let config_id = w.latest_config().await;
    let csrf = alice.page_csrf(&settings()).await;
    let res = alice
        .post_form(
            &format!("{}/enable", settings()),
            &[("csrf_token", &csrf), ("config_id", &config_id.to_string())],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "enable");
    let res = alice.get(&location(&res)).await;
    let post = w.at_idp(&alice, &location(&res), "alice").await;
    let res = w.post_acs(&alice, &post).await;
    assert_eq!(
        location(&res),
        format!("{}?done=enabled", settings()),
        "admin signs in after enabling"
    );
    let res = bob
        .get(&format!("/organizations/{ORG}/sso?return_to="))
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "start SSO");
    let post = w.at_idp(&bob, &location(&res), "bob").await;
    assert_response_only_signed(&post);
    let res = w.post_acs(&bob, &post).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let res = bob.get(&format!("/organizations/{ORG}")).await;
    assert_eq!(res.status(), StatusCode::OK);

    // An IdP that signs the Assertion too is still accepted with the option on.
    w.idp.set_response_only_signature(&w.sp.entity_id, false);
    let carol = w.app.user("carol").await;
    w.app.add_member(&alice, ORG, "carol", "read").await;
    let res = carol
        .get(&format!("/organizations/{ORG}/sso?return_to="))
        .await;
    let post = w.at_idp(&carol, &location(&res), "carol").await;
    assert!(post.xml().matches(":SignatureValue>").count() >= 4);
    let res = w.post_acs(&carol, &post).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap_or_default()
    );
}
