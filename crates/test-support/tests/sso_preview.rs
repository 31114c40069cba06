//! The SSO preview end to end: before enabling SSO or tying an email
//! domain, the admin's settings lead to a page (and the API returns the
//! same facts) naming who the change reaches and which access tokens stop;
//! nothing changes until the admin confirms, and what the preview predicted
//! is what happens. A role mapping is previewed against members' real
//! sign-ins and the admin's test. Sign-ins go through the real OIDC IdP
//! (`oidc-provider`, `e2e/oidc-idp.mjs`).

use orgsso_core::{Clock, FixedClock, SystemClock};
use orgsso_test_support::oidc_provider::{login, sign_in_to, OidcIdp, IDP_PASSWORD};
use orgsso_test_support::{
    error_of, json_body, location, skip_without_peer, Client, StatusCode, TestApp, PASSWORD,
};
use serde_json::{json, Value};
use std::sync::Arc;

const ORG: &str = "acme";

fn settings() -> String {
    format!("/organizations/{ORG}/settings/sso")
}

fn preview_page(query: &str) -> String {
    format!("/organizations/{ORG}/settings/sso/preview?{query}")
}

fn preview_api(query: &str) -> String {
    format!("/api/orgs/{ORG}/sso/preview?{query}")
}

/// `(username, effect)` of every affected person in an API preview.
fn affected(preview: &Value) -> Vec<(String, String)> {
    preview["affected"]
        .as_array()
        .expect("affected")
        .iter()
        .map(|a| {
            (
                a["username"].as_str().unwrap_or_default().to_owned(),
                a["effect"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

/// Saves the IdP as acme's configuration and tests it as alice through the
/// IdP; the configuration's id.
async fn configure_and_test(idp: &OidcIdp, alice: &Client) -> i64 {
    let (config, test_url) = idp.save_as_config_of(alice, ORG).await;
    let res = login(alice, &test_url, "alice", IDP_PASSWORD).await;
    assert_eq!(location(&res), format!("{}?done=tested", settings()));
    config
}

/// alice confirms, from the preview `query` shows, enabling `config` in `mode`.
async fn confirm_enable(alice: &Client, query: &str, config: i64, mode: &str) {
    let csrf = alice.page_csrf(&preview_page(query)).await;
    let res = alice
        .post_form(
            &format!("{}/enable", settings()),
            &[
                ("csrf_token", &csrf),
                ("config_id", &config.to_string()),
                ("mode", mode),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn enabling_is_previewed_and_the_preview_says_what_then_happens() {
    if let Some(why) = OidcIdp::unavailable() {
        skip_without_peer(&why);
        return;
    }
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, ORG).await;
    let bob = app.user("bob").await;
    app.add_member(&alice, ORG, "bob", "read").await;
    let bobs_token = app.token(&bob, "read").await;
    // carol is no member, but her verified email is in the org's domain.
    app.user("carol").await;
    let res = alice
        .post_json(
            &format!("/api/orgs/{ORG}/sso/domains"),
            json!({"domain": "example.com"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let idp = OidcIdp::for_org(&app.base_url, ORG);
    let config = configure_and_test(&idp, &alice).await;

    // The settings page leads to the preview, not straight to enabling.
    let page = alice.get(&settings()).await.text().await.unwrap();
    assert!(page.contains(&format!(
        r#"<form method="get" action="/organizations/{ORG}/settings/sso/preview"><input type="hidden" name="change" value="enable"><input type="hidden" name="config_id" value="{config}">"#
    )));

    let query = format!("change=enable&config_id={config}&mode=enforced");
    let res = alice.get(&preview_page(&query)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("3 people will reach nothing in acme until they sign in through the identity provider; 1 access token will stop reaching acme until its owners do."), "{page}");
    for (who, reach) in [
        ("alice", "member (admin)"),
        ("bob", "member (read)"),
        ("carol", "verified email carol@example.com"),
    ] {
        assert!(
            page.contains(&format!(
                r#"<tr data-username="{who}" class="bad"><td>{who}</td><td>{reach}</td><td>must sign in through the IdP</td></tr>"#
            )),
            "{who} in {page}"
        );
    }
    assert!(page.contains("<td>bob</td><td>read token</td><td>read</td>"));
    assert!(page.contains(&format!(
        r#"<form method="post" action="/organizations/{ORG}/settings/sso/enable">"#
    )));

    let res = alice.get(&preview_api("change=enable")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let preview = json_body(res).await;
    assert_eq!(preview["mode_before"], "off");
    assert_eq!(preview["mode_after"], "enforced");
    assert_eq!(
        affected(&preview),
        pairs(&[
            ("alice", "must_sign_in"),
            ("bob", "must_sign_in"),
            ("carol", "must_sign_in")
        ])
    );
    assert_eq!(
        preview["tokens_stopped"],
        json!([{"owner": "bob", "name": "read token", "scope": "read", "last_used_at": null}])
    );
    let optional = json_body(alice.get(&preview_api("change=enable&mode=optional")).await).await;
    assert!(affected(&optional).iter().all(|(_, e)| e == "prompted"));
    assert_eq!(optional["tokens_stopped"], json!([]));

    // Previewing changed nothing: SSO is off and bob's token still works.
    let members = format!("/api/orgs/{ORG}/members");
    let token = app.token_client(&bobs_token);
    assert_eq!(token.get(&members).await.status(), StatusCode::OK);
    let state = json_body(alice.get(&format!("/api/orgs/{ORG}/sso")).await).await;
    assert_eq!(state["mode"], "off", "{state}");

    // Confirming from the preview enables, and the token it named stops.
    confirm_enable(&alice, &query, config, "enforced").await;
    let (status, error) = error_of(token.get(&members).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["code"], "sso_required", "{error}");
}

#[tokio::test]
async fn switching_from_optional_to_enforced_is_previewed_from_the_settings_page() {
    if let Some(why) = OidcIdp::unavailable() {
        skip_without_peer(&why);
        return;
    }
    let clock = Arc::new(FixedClock::new(SystemClock.now()));
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let alice = app.user("alice").await;
    app.org(&alice, ORG).await;
    let bob = app.user("bob").await;
    app.add_member(&alice, ORG, "bob", "read").await;
    let bobs_token = app.token(&bob, "read").await;
    let idp = OidcIdp::for_org(&app.base_url, ORG);
    let config = configure_and_test(&idp, &alice).await;
    let res = alice
        .post_json(
            &format!("/api/orgs/{ORG}/sso/enable"),
            json!({"config_id": config, "mode": "optional"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // The enabled SSO's card offers the switch, through the preview.
    let page = alice.get(&settings()).await.text().await.unwrap();
    let query = format!("change=enable&config_id={config}&mode=enforced");
    assert!(page.contains(&format!(
        r#"<form id="switch-mode" method="get" action="/organizations/{ORG}/settings/sso/preview"><input type="hidden" name="change" value="enable"><input type="hidden" name="config_id" value="{config}"><input type="hidden" name="mode" value="enforced">"#
    )), "{page}");
    let page = alice.get(&preview_page(&query)).await.text().await.unwrap();
    assert!(
        page.contains("<h1>Switch SSO from optional to enforced: who it reaches</h1>"),
        "{page}"
    );
    assert!(page.contains("2 people will reach nothing in acme until they sign in through the identity provider; 1 access token will stop reaching acme until its owners do."), "{page}");
    let preview = json_body(alice.get(&preview_api("change=enable&mode=enforced")).await).await;
    assert_eq!(preview["mode_before"], "optional");
    assert_eq!(
        affected(&preview),
        pairs(&[("alice", "must_sign_in"), ("bob", "must_sign_in")])
    );

    // Optional refuses nothing yet; confirming the switch stops bob's token.
    let members = format!("/api/orgs/{ORG}/members");
    let token = app.token_client(&bobs_token);
    assert_eq!(token.get(&members).await.status(), StatusCode::OK);
    confirm_enable(&alice, &query, config, "enforced").await;
    let (status, error) = error_of(token.get(&members).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error["code"], "sso_required", "{error}");
    // alice, stopped too, signs in through the IdP to read the audit log.
    sign_in(&alice, "alice").await;
    let switched = alice
        .sso_audit(ORG)
        .await
        .into_iter()
        .find(|e| e["event"] == "sso.enabled")
        .expect("sso.enabled");
    assert_eq!(switched["details"]["mode_before"], "optional", "{switched}");
    assert_eq!(switched["details"]["mode"], "enforced", "{switched}");

    // An hour after the test, switching back asks for a fresh test first.
    clock.advance(60 * 60 + 1);
    let page = alice.get(&settings()).await.text().await.unwrap();
    assert!(page.contains(r#"<p id="switch-mode" class="muted">To switch to optional: your test of this configuration is more than an hour old; test it again, then enable.</p>"#), "{page}");
    assert!(page.contains(&format!(
        r#"<button type="submit">Test configuration #{config} again</button>"#
    )));
}

#[tokio::test]
async fn a_domain_preview_names_only_the_accounts_it_newly_reaches() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, ORG).await;
    app.user("bob").await;
    app.add_member(&alice, ORG, "bob", "write").await;
    app.user("dave").await;
    // erin's address is in the domain but unverified: not reached.
    let res = app
        .client()
        .post_json(
            "/api/signup",
            json!({"username": "erin", "email": "erin@example.com", "password": "correct horse battery"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let query = "change=add-domain&domain=Example.COM";
    let preview = json_body(alice.get(&preview_api(query)).await).await;
    assert_eq!(preview["change"], "add-domain");
    assert_eq!(preview["mode_after"], "off");
    // Members are reached already; dave is new, stopped once SSO is on.
    assert_eq!(affected(&preview), pairs(&[("dave", "when_enabled")]));
    assert_eq!(preview["affected"][0]["domain_email"], "dave@example.com");
    assert_eq!(preview["affected"][0]["role"], Value::Null);

    let page = alice.get(&preview_page(query)).await.text().await.unwrap();
    assert!(page.contains("SSO is off: nobody is stopped now"), "{page}");
    assert!(page.contains(r#"<input type="hidden" name="domain" value="example.com">"#));
    let domains = format!("/api/orgs/{ORG}/sso/domains");
    assert_eq!(json_body(alice.get(&domains).await).await, json!([]));

    let csrf = alice.page_csrf(&preview_page(query)).await;
    let res = alice
        .post_form(
            &format!("{}/domains", settings()),
            &[("csrf_token", &csrf), ("domain", "example.com")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let listed = json_body(alice.get(&domains).await).await;
    assert_eq!(listed[0]["domain"], "example.com", "{listed}");
    // Tied now: a second preview of the same domain reaches nobody new.
    let again = json_body(alice.get(&preview_api(query)).await).await;
    assert_eq!(affected(&again), vec![]);
}

#[tokio::test]
async fn the_preview_is_for_admins_and_names_what_is_wrong_with_a_request() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, ORG).await;
    let bob = app.user("bob").await;
    app.add_member(&alice, ORG, "bob", "write").await;

    // A member is refused as a member, whatever the change, well-formed or not.
    for query in ["change=enable", "change=add-domain"] {
        let (status, _) = error_of(bob.get(&preview_api(query)).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{query}");
    }
    let (status, _) = error_of(app.client().get(&preview_api("change=enable")).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        bob.get(&preview_page("change=enable&config_id=1"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    for (query, field) in [
        ("change=disable", "change"),
        ("", "change"),
        ("change=enable&mode=off", "mode"),
        ("change=add-domain&domain=co.uk", "domain"),
        ("change=add-domain", "domain"),
    ] {
        let (status, error) = error_of(alice.get(&preview_api(query)).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(error["field"], field, "{query}: {error}");
    }
    let res = alice.get(&preview_page("change=enable")).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("config_id"));
}

/// `browser` signs in to acme through the IdP as `idp_user`.
async fn sign_in(browser: &Client, idp_user: &str) {
    let res = sign_in_to(browser, ORG, idp_user).await;
    assert_eq!(
        location(&res),
        format!("/organizations/{ORG}"),
        "{idp_user}"
    );
}

/// The preview query of a mapping, encoded.
fn mapping_query(path: &str, roles: &str) -> String {
    let url = reqwest::Url::parse_with_params(
        "http://hub.invalid/",
        &[("change", "mapping"), ("path", path), ("roles", roles)],
    )
    .unwrap();
    url.query().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_role_mapping_is_previewed_against_members_last_sign_ins() {
    if let Some(why) = OidcIdp::unavailable() {
        skip_without_peer(&why);
        return;
    }
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, ORG).await;
    let bob = app.user("bob").await;
    app.add_member(&alice, ORG, "bob", "read").await;
    app.user("dave").await;
    app.add_member(&alice, ORG, "dave", "contributor").await;
    let idp = OidcIdp::for_org(&app.base_url, ORG);
    let config = configure_and_test(&idp, &alice).await;
    let res = alice
        .post_json(
            &format!("/api/orgs/{ORG}/sso/enable"),
            json!({"config_id": config, "mode": "enforced"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    // In the IdP, alice is in orgsso-admins and engineering, bob in engineering;
    // dave never signs in through it.
    sign_in(&alice, "alice").await;
    sign_in(&bob, "bob").await;

    let path = "$.groups[*]";
    let roles = "orgsso-admins = admin\nengineering = write";
    let query = mapping_query(path, roles);
    let preview = json_body(alice.get(&preview_api(&query)).await).await;
    assert_eq!(preview["change"], "mapping");
    assert_eq!(preview["affected"], json!([]));
    let outcome: Vec<(String, Value, Value, bool)> = preview["roles"]
        .as_array()
        .expect("roles")
        .iter()
        .map(|r| {
            (
                r["username"].as_str().unwrap_or_default().to_owned(),
                r["role"].clone(),
                r["would_be"].clone(),
                r["changes"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        outcome,
        vec![
            ("alice".into(), json!("admin"), json!("admin"), false),
            ("bob".into(), json!("read"), json!("write"), true),
            ("dave".into(), json!("contributor"), Value::Null, false),
        ]
    );
    assert_eq!(preview["roles"][1]["matched"], json!(["engineering"]));
    assert_eq!(preview["test_sign_in"]["username"], "alice");
    assert_eq!(preview["test_sign_in"]["would_be"], "admin");

    let page = alice.get(&preview_page(&query)).await.text().await.unwrap();
    assert!(
        page.contains("1 member will get a new role at their next sign-in"),
        "{page}"
    );
    assert!(page.contains(r#"<tr data-username="bob" class="bad"><td>bob</td><td>read</td><td>write</td><td>matched engineering</td></tr>"#), "{page}");
    assert!(page.contains("<td>dave</td><td>contributor</td><td>set at their next sign-in</td><td>no sign-in through the IdP recorded yet</td>"));
    assert!(page.contains("Your newest test sign-in (as alice) would get <strong>admin</strong>"));
    // Previewing saved nothing.
    let mapping = format!("/api/orgs/{ORG}/sso/role-mapping");
    assert_eq!(json_body(alice.get(&mapping).await).await["enabled"], false);

    // Confirming saves it, and bob's next sign-in gives the role the preview said.
    let csrf = alice.page_csrf(&preview_page(&query)).await;
    let res = alice
        .post_form(
            &format!("{}/role-mapping", settings()),
            &[("csrf_token", &csrf), ("path", path), ("roles", roles)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(json_body(alice.get(&mapping).await).await["enabled"], true);
    let mut bob_again = app.client();
    bob_again.login("bob", PASSWORD).await;
    sign_in(&bob_again, "bob").await;
    assert_eq!(alice.role_of(ORG, "bob").await.as_deref(), Some("write"));

    let (status, error) = error_of(
        alice
            .get(&preview_api(&mapping_query(path, "engineering = write")))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "roles", "a mapping without admin: {error}");
}
