//! Organization SSO in a real browser: Debian's Chromium, driven by
//! playwright-core (`e2e/browser-sso.mjs`), signs a member in through the
//! real SimpleSAMLphp IdP. The hub is served as `localhost` and the IdP as
//! `127.0.0.1`, two different sites, so the IdP's POST to the ACS is
//! cross-site and the browser withholds the SameSite=Lax session cookie —
//! the case the ACS's same-site relay exists for.
//!
//! Skipped with a note when node, the e2e npm packages, Chromium or
//! SimpleSAMLphp are missing (the project's test script installs them).

use orgsso_core::{Clock, OrgName, SystemClock, Username};
use orgsso_test_support::simplesamlphp::{IdpUser, SigningKey, SimpleSamlIdp, SpRegistration};
use orgsso_test_support::{StatusCode, TestApp, PASSWORD};
use std::path::PathBuf;
use std::process::Command;

fn e2e_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

fn browser_unavailable() -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !PathBuf::from(&chromium).exists() {
        return Some(format!("{chromium} is missing (apt-get install chromium)"));
    }
    if !e2e_dir().join("node_modules/playwright-core").exists() {
        return Some("e2e/node_modules is missing (cd e2e && npm ci)".into());
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is missing".into());
    }
    SimpleSamlIdp::unavailable()
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no Location (HTTP {})", res.status()))
        .to_owned()
}

/// Runs the browser script; returns its JSON line and exit status.
fn browser_sign_in(
    base: &str,
    hub_user: &str,
    start: &str,
    idp_user: &str,
    expect: &str,
) -> (bool, String) {
    let screenshot = std::env::temp_dir().join(format!("orgsso-browser-{hub_user}.png"));
    let output = Command::new("timeout")
        .arg("120")
        .arg("node")
        .arg(e2e_dir().join("browser-sso.mjs"))
        .args([
            "--base",
            base,
            "--hub-user",
            hub_user,
            "--hub-password",
            PASSWORD,
            "--start",
            start,
        ])
        .args([
            "--idp-user",
            idp_user,
            "--idp-password",
            &IdpUser::named(idp_user).password,
            "--expect",
            expect,
        ])
        .arg("--screenshot")
        .arg(&screenshot)
        .output()
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

// Multi-threaded: the server keeps answering while the browser runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_signs_in_through_saml_in_a_real_browser_across_sites() {
    if let Some(why) = browser_unavailable() {
        orgsso_test_support::skip_without_peer(&why);
        return;
    }
    let app = TestApp::spawn_at_host("localhost").await;
    let idp = SimpleSamlIdp::start(
        &[SpRegistration::for_org(&app.base_url, "acme")],
        &IdpUser::defaults(),
        SigningKey::First,
    );

    // The admin configures, tests and enables SAML (over HTTP; the browser part is the member's).
    let alice = app.user("alice").await;
    app.org(&alice, "acme").await;
    let csrf = alice.page_csrf("/organizations/acme/settings/sso").await;
    let res = alice
        .post_form(
            "/organizations/acme/settings/sso/saml",
            &[
                ("csrf_token", &csrf),
                ("idp_sso_url", &idp.sso_url()),
                ("idp_entity_id", &idp.idp_entity_id()),
                ("certificates", &idp.cert_pem(SigningKey::First)),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let post = idp
        .login(
            &alice.http,
            &location(&res),
            "alice",
            &IdpUser::named("alice").password,
        )
        .await;
    let path = post
        .acs_url
        .strip_prefix(&app.base_url)
        .expect("ACS of this hub")
        .to_owned();
    let res = alice
        .post_form(
            &path,
            &[
                ("SAMLResponse", &post.saml_response),
                ("RelayState", &post.relay_state),
            ],
        )
        .await;
    assert_eq!(
        location(&res),
        "/organizations/acme/settings/sso?done=tested"
    );
    let org = app
        .store
        .org_by_name(&OrgName::parse("acme").unwrap())
        .await
        .unwrap()
        .unwrap();
    let config = app.store.latest_sso_config(org.id).await.unwrap().unwrap();
    let csrf = alice.page_csrf("/organizations/acme/settings/sso").await;
    let res = alice
        .post_form(
            "/organizations/acme/settings/sso/enable",
            &[
                ("csrf_token", &csrf),
                ("config_id", &config.id.0.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Bob, in Chromium: hub log-in, the org's sign-in link, the IdP's form, and back.
    app.user("bob").await;
    let base = app.base_url.clone();
    let (ok, output) = tokio::task::spawn_blocking(move || {
        browser_sign_in(
            &base,
            "bob",
            "/organizations/acme/sso?return_to=/organizations/acme/members",
            "bob",
            "/organizations/acme/members",
        )
    })
    .await
    .unwrap();
    assert!(
        ok,
        "browser sign-in failed: {output}\nIdP log:\n{}",
        idp.logs()
    );
    let bob = app
        .store
        .user_by_username(&Username::parse("bob").unwrap())
        .await
        .unwrap()
        .unwrap();
    let session = app
        .store
        .sso_sessions_of_org(org.id, SystemClock.now())
        .await
        .unwrap()
        .into_iter()
        .find(|s| s.user == bob.id);
    assert_eq!(session.map(|s| s.email), Some("bob@example.com".to_owned()));

    // The cross-site POST arrived without the session cookie and got the relay page
    // (200); the relayed, same-site POST carried it and finished the sign-in (303).
    let metrics = app.client().get("/metrics").await.text().await.unwrap();
    let acs = |status: &str| {
        metrics.lines().any(|l| {
            l.starts_with("orgsso_http_requests_total")
                && l.contains("route=\"/organizations/{org}/saml/consume\"")
                && l.contains(&format!("status=\"{status}\""))
        })
    };
    assert!(
        acs("200") && acs("303"),
        "ACS relay not observed:\n{metrics}"
    );
}
