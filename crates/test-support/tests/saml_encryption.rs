//! SAML options real IdPs use, end to end against SimpleSAMLphp: assertions
//! encrypted for the organization's SP encryption key (read from orgsso's SP
//! metadata, as an IdP admin would), through a key rotation, and
//! AuthnRequests signed for an IdP that requires them.
//!
//! Without php or SimpleSAMLphp the tests print why and pass, unless
//! `ORGSSO_TEST_REQUIRE_PEERS=1` demands them.

use orgsso_test_support::location;
use orgsso_test_support::simplesamlphp::{
    IdpUser, SamlPost, SigningKey, SimpleSamlIdp, SpRegistration,
};
use orgsso_test_support::{json_body, Client, StatusCode, TestApp};
use serde_json::json;

struct World {
    app: TestApp,
    idp: SimpleSamlIdp,
    sp: SpRegistration,
}

async fn world(org: &str) -> Option<World> {
    if let Some(why) = SimpleSamlIdp::unavailable() {
        orgsso_test_support::skip_without_peer(&why);
        return None;
    }
    let app = TestApp::spawn().await;
    let sp = SpRegistration::for_org(&app.base_url, org);
    let idp = SimpleSamlIdp::start(
        std::slice::from_ref(&sp),
        &IdpUser::defaults(),
        SigningKey::First,
    );
    Some(World { app, idp, sp })
}

fn settings(org: &str) -> String {
    format!("/organizations/{org}/settings/sso")
}

/// The certificates (PEM) SP metadata publishes for `usage`, in order.
fn certificates(metadata: &str, usage: &str) -> Vec<String> {
    let marker = format!("<md:KeyDescriptor use=\"{usage}\">");
    metadata
        .split(&marker)
        .skip(1)
        .map(|part| {
            let start = part.find("<ds:X509Certificate>").expect("certificate") + 20;
            let end = part.find("</ds:X509Certificate>").expect("certificate end");
            let body = &part[start..end];
            let lines: Vec<&str> = body
                .as_bytes()
                .chunks(64)
                .map(|c| std::str::from_utf8(c).expect("base64"))
                .collect();
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                lines.join("\n")
            )
        })
        .collect()
}

impl World {
    async fn metadata(&self, browser: &Client, org: &str) -> String {
        let res = browser
            .get(&format!("/organizations/{org}/saml/metadata"))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "SP metadata");
        res.text().await.expect("metadata")
    }

    /// Saves the SAML settings form for this IdP, signing AuthnRequests or not;
    /// returns where orgsso sends the admin to test it.
    async fn save_config(&self, admin: &Client, org: &str, sign_requests: bool) -> String {
        let csrf = admin.page_csrf(&settings(org)).await;
        let certificate = self.idp.cert_pem(SigningKey::First);
        let idp_sso_url = self.idp.sso_url();
        let idp_entity_id = self.idp.idp_entity_id();
        let mut fields = vec![
            ("csrf_token", csrf.as_str()),
            ("idp_sso_url", idp_sso_url.as_str()),
            ("idp_entity_id", idp_entity_id.as_str()),
            ("certificates", certificate.as_str()),
            ("metadata_xml", ""),
        ];
        if sign_requests {
            fields.push(("sign_authn_requests", "on"));
        }
        let res = admin
            .post_form(&format!("{}/saml", settings(org)), &fields)
            .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "save: {}",
            res.text().await.unwrap_or_default()
        );
        let url = location(&res);
        assert!(
            url.starts_with(&self.idp.base_url()),
            "expected a redirect to the IdP, got {url}"
        );
        url
    }

    /// Tests the newest configuration again: the IdP URL to go to.
    async fn test_again(&self, admin: &Client, org: &str) -> String {
        let csrf = admin.page_csrf(&settings(org)).await;
        let res = admin
            .post_form(&format!("{}/test", settings(org)), &[("csrf_token", &csrf)])
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "test again");
        location(&res)
    }

    async fn at_idp(&self, browser: &Client, url: &str, user: &str) -> SamlPost {
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

    /// Goes through the IdP from `url` as `user` and back; the ACS answer.
    async fn round_trip(
        &self,
        admin: &Client,
        url: &str,
        user: &str,
    ) -> (SamlPost, reqwest::Response) {
        let post = self.at_idp(admin, url, user).await;
        let res = self.post_acs(admin, &post).await;
        (post, res)
    }

    fn assert_tested(&self, org: &str, res: &reqwest::Response) {
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "ACS answer");
        let to = location(res);
        assert!(
            to.starts_with(&settings(org)) && to.contains("tested"),
            "the round trip did not pass the test: {to}\n{}",
            self.idp.logs()
        );
    }
}

fn assert_encrypted(post: &SamlPost) {
    let xml = post.xml();
    assert!(
        xml.contains("EncryptedAssertion") && !xml.contains(":Assertion "),
        "the IdP did not encrypt the assertion:\n{xml}"
    );
}

#[tokio::test]
async fn an_assertion_encrypted_for_the_orgs_sp_key_signs_the_admin_in() {
    let Some(w) = world("acme").await else { return };
    let alice = w.app.user("alice").await;
    w.app.org(&alice, "acme").await;

    let metadata = w.metadata(&alice, "acme").await;
    let encryption = certificates(&metadata, "encryption");
    assert_eq!(encryption.len(), 1, "one encryption key:\n{metadata}");
    assert!(metadata.contains("xmlenc11#aes128-gcm"));
    w.idp.set_sp_encryption(&w.sp.entity_id, &encryption);

    let url = w.save_config(&alice, "acme", false).await;
    let (post, res) = w.round_trip(&alice, &url, "alice").await;
    assert_encrypted(&post);
    w.assert_tested("acme", &res);

    // The key is the org's own and stays: the metadata publishes the same certificate.
    assert_eq!(
        certificates(&w.metadata(&alice, "acme").await, "encryption"),
        encryption
    );
}

#[tokio::test]
async fn sign_in_keeps_working_through_an_sp_key_rotation() {
    let Some(w) = world("acme").await else { return };
    let alice = w.app.user("alice").await;
    w.app.org(&alice, "acme").await;
    let old = certificates(&w.metadata(&alice, "acme").await, "encryption");
    w.idp.set_sp_encryption(&w.sp.entity_id, &old);
    let url = w.save_config(&alice, "acme", false).await;
    let (_, res) = w.round_trip(&alice, &url, "alice").await;
    w.assert_tested("acme", &res);

    let res = alice
        .post_json("/api/orgs/acme/sso/saml/keys/rotate", json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let body = json_body(res).await;
    assert_eq!(body["outcome"], "started", "{body}");
    let rotating = certificates(&w.metadata(&alice, "acme").await, "encryption");
    assert_eq!(rotating.len(), 2, "new and previous key published");
    assert_eq!(rotating[1], old[0], "the previous key follows the new one");
    let new = vec![rotating[0].clone()];

    // The IdP still encrypts for the previous key: it decrypts during the rotation.
    let url = w.test_again(&alice, "acme").await;
    let (post, res) = w.round_trip(&alice, &url, "alice").await;
    assert_encrypted(&post);
    w.assert_tested("acme", &res);
    // Once the IdP has read the new metadata, the new key decrypts.
    w.idp.set_sp_encryption(&w.sp.entity_id, &new);
    let url = w.test_again(&alice, "acme").await;
    let (_, res) = w.round_trip(&alice, &url, "alice").await;
    w.assert_tested("acme", &res);

    let res = alice
        .post_json("/api/orgs/acme/sso/saml/keys/retire", json!({}))
        .await;
    assert_eq!(json_body(res).await["outcome"], "retired");
    assert_eq!(
        certificates(&w.metadata(&alice, "acme").await, "encryption"),
        new
    );
    // What is still encrypted for the retired key is refused, with the reason logged.
    w.idp.set_sp_encryption(&w.sp.entity_id, &old);
    let url = w.test_again(&alice, "acme").await;
    let (_, res) = w.round_trip(&alice, &url, "alice").await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "a retired key must no longer decrypt"
    );
    let events: Vec<String> = alice
        .sso_audit("acme")
        .await
        .iter()
        .map(|e| format!("{} {}", e["event"], e["detail"]))
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e.contains("saml.decryption_failed") || e.contains("could not be decrypted")),
        "{events:#?}"
    );
    assert!(events.iter().any(|e| e.contains("sso.sp_keys_rotated")));
    assert!(events.iter().any(|e| e.contains("sso.sp_keys_retired")));
}

#[tokio::test]
async fn an_idp_that_requires_signed_requests_refuses_unsigned_ones_and_accepts_signed_ones() {
    let Some(w) = world("acme").await else { return };
    let alice = w.app.user("alice").await;
    w.app.org(&alice, "acme").await;
    let metadata = w.metadata(&alice, "acme").await;
    assert!(metadata.contains(r#"AuthnRequestsSigned="false""#));
    let signing = certificates(&metadata, "signing");
    assert_eq!(signing.len(), 1, "one signing key:\n{metadata}");
    w.idp.set_sp_signing(&w.sp.entity_id, &signing);

    let unsigned = w.save_config(&alice, "acme", false).await;
    assert!(!unsigned.contains("Signature="));
    let refusal = w.idp.refusal(&alice.http, &unsigned).await;
    assert!(
        refusal.is_some(),
        "the IdP accepted an unsigned AuthnRequest although it requires signed ones"
    );
    assert!(
        w.idp.logs().contains("no signature found on message"),
        "the IdP refused for another reason:\n{}",
        w.idp.logs()
    );

    let signed = w.save_config(&alice, "acme", true).await;
    assert!(signed.contains("&SigAlg=") && signed.contains("&Signature="));
    assert!(w
        .metadata(&alice, "acme")
        .await
        .contains(r#"AuthnRequestsSigned="true""#));
    let (_, res) = w.round_trip(&alice, &signed, "alice").await;
    w.assert_tested("acme", &res);
}

/// `orgsso saml verify --sp-key` decrypts offline what the ACS decrypts: an assertion
/// encrypted by libxmlsec1 for the test SP key (crates/saml/tests/fixtures).
#[test]
fn saml_verify_decrypts_with_the_sp_keys_it_is_given() {
    let Some(bin) = orgsso_test_support::operator::binary() else {
        return;
    };
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../saml/tests/fixtures");
    let path = |name: &str| fixtures.join(name).display().to_string();
    let verify = |keys: &[&str]| {
        let mut cmd = orgsso_test_support::operator::command(&bin);
        cmd.args([
            "saml",
            "verify",
            "--idp-cert",
            &path("test-idp-rsa.crt"),
            "--sp-entity-id",
            "https://sp.example/saml/metadata",
            "--acs-url",
            "https://sp.example/saml/acs",
            "--now",
            "2026-03-02T10:01:00Z",
        ]);
        for key in keys {
            cmd.args(["--sp-key", &path(key)]);
        }
        let out = cmd
            .arg(path("signed/encrypted-aes128-gcm.xml"))
            .output()
            .expect("run orgsso saml verify");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // During a rotation both keys are given; the one the IdP used opens it.
    let (code, stdout, stderr) = verify(&["test-sp-old-rsa.key", "test-sp-rsa.key"]);
    assert_eq!(code, Some(0), "{stderr}");
    let identity: serde_json::Value = serde_json::from_str(&stdout).expect("JSON identity");
    assert_eq!(identity["email"], "alice@example.com");

    let (code, _, stderr) = verify(&[]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("saml.encrypted_assertion") && stderr.contains("--sp-key"),
        "{stderr}"
    );
    let (code, _, stderr) = verify(&["test-sp-old-rsa.key"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("saml.decryption_failed"), "{stderr}");
    let (code, _, stderr) = verify(&["test-idp-rsa.crt"]);
    assert_eq!(
        code,
        Some(2),
        "a certificate is not a private key: {stderr}"
    );
}
