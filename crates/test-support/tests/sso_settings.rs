//! The admin's side of mandatory SSO and the session rules, over the real
//! server: email domains (validation, conflicts, counts), options and modes
//! refused with the field named, SSO sessions bound to the browser that
//! completed them (log-out and password change end them), the way in and out
//! never gated, settings gated like everything else. Sign-ins go through an
//! in-process OpenID Provider that answers honestly (the real IdPs are driven
//! by `sso_enforcement.rs`); the hub does not know the difference.

use orgsso_test_support::honest_sso::{location, OidcOrg, ORG};
use orgsso_test_support::{error_of, json_body, Client, StatusCode, PASSWORD};
use serde_json::json;

/// acme with an OIDC configuration alice tested with her own email.
async fn hub() -> OidcOrg {
    OidcOrg::new(json!({})).await
}

/// What `client` gets for acme's organization API: 200, or the error code.
async fn org_answer(client: &Client) -> String {
    let res = client.get(&format!("/api/orgs/{ORG}")).await;
    if res.status() == StatusCode::OK {
        return "ok".into();
    }
    let (status, error) = error_of(res).await;
    format!(
        "{} {}",
        status.as_u16(),
        error["code"].as_str().unwrap_or("")
    )
}

#[tokio::test]
async fn malformed_domains_timeouts_and_modes_are_refused_naming_the_field_and_change_nothing() {
    let hub = hub().await;
    let before = hub.state().await;
    for (path, body, field) in [
        ("sso/domains", json!({"domain": "*.example.com"}), "domain"),
        ("sso/domains", json!({"domain": "co.uk"}), "domain"),
        ("sso/domains", json!({"domain": "github.io"}), "domain"),
        (
            "sso/domains",
            json!({"domain": "alice@example.com"}),
            "domain",
        ),
        ("sso/domains", json!({"domain": "com"}), "domain"),
        ("sso/domains", json!({"domain": "exa mple.com"}), "domain"),
        (
            "sso/enable",
            json!({"config_id": hub.config_id, "mode": "sometimes"}),
            "mode",
        ),
        (
            "sso/enable",
            json!({"config_id": hub.config_id, "mode": "off"}),
            "mode",
        ),
    ] {
        let res = hub
            .admin
            .post_json(&format!("/api/orgs/{ORG}/{path}"), body.clone())
            .await;
        let (status, error) = error_of(res).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    for timeout in [0, 899, 90 * 24 * 3600 + 1, -5] {
        let res = hub
            .admin
            .patch_json(
                &format!("/api/orgs/{ORG}/sso"),
                json!({"session_timeout_s": timeout}),
            )
            .await;
        let (status, error) = error_of(res).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "timeout {timeout}"
        );
        assert_eq!(error["field"], "session_timeout", "timeout {timeout}");
    }
    assert_eq!(hub.state().await, before, "nothing changed");

    // The bounds themselves are accepted, and the domain is normalised.
    for timeout in [900, 90 * 24 * 3600] {
        let res = hub
            .admin
            .patch_json(
                &format!("/api/orgs/{ORG}/sso"),
                json!({"session_timeout_s": timeout}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "timeout {timeout}");
    }
    let res = hub
        .admin
        .post_json(
            &format!("/api/orgs/{ORG}/sso/domains"),
            json!({"domain": "@Bücher.Example."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(json_body(res).await["domain"], "xn--bcher-kva.example");
}

#[tokio::test]
async fn a_domain_belongs_to_one_enabled_organization_and_its_accounts_are_counted() {
    let hub = hub().await;
    // Two verified accounts at example.com besides alice; one unverified, one at a subdomain.
    for name in ["bob", "carol"] {
        hub.app.user(name).await;
    }
    let res = hub
        .app
        .client()
        .post_json(
            "/api/signup",
            json!({"username": "dave", "email": "dave@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let res = hub
        .app
        .client()
        .post_json(
            "/api/signup",
            json!({"username": "erin", "email": "erin@eu.example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    let res = hub
        .admin
        .post_json(
            &format!("/api/orgs/{ORG}/sso/domains"),
            json!({"domain": "example.com"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let domains = json_body(hub.admin.get(&format!("/api/orgs/{ORG}/sso/domains")).await).await;
    assert_eq!(
        domains,
        json!([{"domain": "example.com", "verified_accounts": 3}])
    );
    let page = hub
        .admin
        .get(&format!("/organizations/{ORG}/settings/sso"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<code>@example.com</code></td><td>3</td>"),
        "{page}"
    );
    let res = hub
        .admin
        .post_json(
            &format!("/api/orgs/{ORG}/sso/domains"),
            json!({"domain": "example.com"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "listed twice");

    // Another organization may list it while acme's SSO is off, not once it is on.
    hub.app.org(&hub.admin, "globex").await;
    let res = hub
        .admin
        .post_json(
            "/api/orgs/globex/sso/domains",
            json!({"domain": "example.com"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED, "acme's SSO is off");
    hub.enable("enforced").await;
    let res = hub
        .admin
        .post_json(
            "/api/orgs/globex/sso/domains",
            json!({"domain": "Example.COM"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "duplicate in globex");
    hub.app.org(&hub.admin, "initech").await;
    let res = hub
        .admin
        .post_json(
            "/api/orgs/initech/sso/domains",
            json!({"domain": "example.com"}),
        )
        .await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["code"], "domain_claimed");
    assert_eq!(error["field"], "domain");
    assert!(
        error["message"].as_str().unwrap().contains("acme"),
        "names the conflict: {error}"
    );
    let domains = json_body(hub.admin.get("/api/orgs/initech/sso/domains").await).await;
    assert_eq!(domains, json!([]), "nothing written");

    // Removing it from acme frees it; an unknown domain is 404.
    let res = hub
        .admin
        .delete(&format!("/api/orgs/{ORG}/sso/domains/example.com"))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = hub
        .admin
        .delete(&format!("/api/orgs/{ORG}/sso/domains/example.com"))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = hub
        .admin
        .post_json(
            "/api/orgs/initech/sso/domains",
            json!({"domain": "example.com"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(hub
        .audit_events()
        .await
        .iter()
        .any(|e| e == "sso.domain_added email domain example.com added"));
}

#[tokio::test]
async fn an_sso_session_belongs_to_the_browser_that_completed_it() {
    let hub = hub().await;
    hub.enable("enforced").await;
    let bob = hub.member("bob").await;
    assert_eq!(org_answer(&bob).await, "403 sso_required");
    let res = hub.sign_in(&bob, "bob").await;
    assert_eq!(location(&res), format!("/organizations/{ORG}"));
    assert_eq!(org_answer(&bob).await, "ok");

    // bob's second browser has no SSO session of its own; his token rides on the first.
    let mut laptop = hub.app.client();
    laptop.login("bob", PASSWORD).await;
    assert_eq!(org_answer(&laptop).await, "403 sso_required");
    let token = hub.app.token(&bob, "read").await;
    assert_eq!(org_answer(&hub.app.token_client(&token)).await, "ok");

    // Logging out ends the browser's SSO session; logging in again does not bring it back.
    let res = bob.post_json("/api/logout", json!({})).await;
    assert!(res.status().is_success(), "logout: {}", res.status());
    assert_eq!(
        org_answer(&hub.app.token_client(&token)).await,
        "403 sso_required"
    );
    let mut bob = hub.app.client();
    bob.login("bob", PASSWORD).await;
    assert_eq!(org_answer(&bob).await, "403 sso_required");

    // A password change ends every SSO session of the account, this browser's too.
    hub.sign_in(&bob, "bob").await;
    hub.sign_in(&laptop, "bob").await;
    assert_eq!(org_answer(&bob).await, "ok");
    assert_eq!(org_answer(&laptop).await, "ok");
    let res = bob
        .post_json(
            "/api/me/password",
            json!({"current_password": PASSWORD, "new_password": "another long password"}),
        )
        .await;
    assert!(
        res.status().is_success(),
        "password change: {}",
        res.status()
    );
    assert_eq!(org_answer(&bob).await, "403 sso_required");
    assert_eq!(
        org_answer(&hub.app.token_client(&token)).await,
        "403 sso_required"
    );
}

#[tokio::test]
async fn the_way_in_and_out_stays_open_while_settings_are_gated() {
    let hub = hub().await;
    hub.enable("enforced").await;
    let bob = hub.member("bob").await;
    assert_eq!(org_answer(&bob).await, "403 sso_required");

    // The SP metadata, the start of the sign-in and leaving are never gated.
    let res = bob
        .get(&format!("/organizations/{ORG}/saml/metadata"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = bob.get(&format!("/organizations/{ORG}/sso")).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res).starts_with(&hub.op.issuer));
    let res = bob.delete(&format!("/api/orgs/{ORG}/members/bob")).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "bob leaves");
    let members = json_body(hub.admin.get(&format!("/api/orgs/{ORG}/members")).await).await;
    assert_eq!(
        members.as_array().unwrap().len(),
        1,
        "only alice is left: {members}"
    );

    // The settings are gated like everything else: the admin in a new browser is asked to sign in.
    let mut admin = hub.app.client();
    admin.login("alice", PASSWORD).await;
    let (status, error) = error_of(admin.get(&format!("/api/orgs/{ORG}/sso")).await).await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("sso_required"))
    );
    assert_eq!(error["org"], ORG);
    assert_eq!(
        error["sso_url"],
        format!("{}/organizations/{ORG}/sso", hub.app.base_url)
    );
    let res = admin
        .get(&format!("/organizations/{ORG}/settings/sso"))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let page = res.text().await.unwrap();
    let back = "return_to=%2Forganizations%2Facme%2Fsettings%2Fsso";
    assert!(page.contains("sso-prompt") && page.contains(back), "{page}");
    hub.sign_in(&admin, "alice").await;
    assert_eq!(
        admin.get(&format!("/api/orgs/{ORG}/sso")).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn enabling_again_or_disabling_ends_every_sso_session_and_is_audited() {
    let hub = hub().await;
    hub.enable("enforced").await;
    let bob = hub.member("bob").await;
    hub.sign_in(&bob, "bob").await;
    assert_eq!(org_answer(&bob).await, "ok");

    // Switching to optional is enabling again: sessions end, nothing is refused.
    let res = hub
        .admin
        .post_json(
            &format!("/api/orgs/{ORG}/sso/enable"),
            json!({"config_id": hub.config_id, "mode": "optional"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(hub.state().await["sso_users"], json!([]));
    assert_eq!(org_answer(&bob).await, "ok", "optional refuses nothing");
    let page = bob
        .get(&format!("/organizations/{ORG}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("sso-banner") && page.contains("asks you to sign in"),
        "{page}"
    );

    hub.sign_in(&bob, "bob").await;
    let res = hub
        .admin
        .post_json(&format!("/api/orgs/{ORG}/sso/disable"), json!({}))
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let state = hub.state().await;
    assert_eq!(
        (state["mode"].as_str(), state["sso_users"].clone()),
        (Some("off"), json!([]))
    );
    let page = bob
        .get(&format!("/organizations/{ORG}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("class=\"sso-banner\""),
        "no banner once SSO is off"
    );
    let events = hub.audit_events().await;
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("sso.disabled SSO disabled; 1 SSO session(s) ended")),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("sso.enabled SSO optional")),
        "{events:?}"
    );
}

#[tokio::test]
async fn an_admin_revokes_one_members_sessions_or_everyones_from_the_settings_page() {
    let hub = hub().await;
    hub.enable("enforced").await;
    let bob = hub.member("bob").await;
    let carol = hub.member("carol").await;
    hub.sign_in(&bob, "bob").await;
    hub.sign_in(&carol, "carol").await;
    let settings = format!("/organizations/{ORG}/settings/sso");
    let page = hub.admin.get(&settings).await.text().await.unwrap();
    assert!(page.contains("bob@example.com") && page.contains("carol@example.com"));

    let csrf = hub.admin.page_csrf(&settings).await;
    let res = hub
        .admin
        .post_form(
            &format!("{settings}/revoke"),
            &[("csrf_token", &csrf), ("username", "bob")],
        )
        .await;
    assert_eq!(location(&res), format!("{settings}?done=revoked"));
    assert_eq!(org_answer(&bob).await, "403 sso_required");
    assert_eq!(org_answer(&carol).await, "ok", "only bob's sessions end");
    let events = hub.audit_events().await;
    assert!(
        events.contains(&"sso.sessions_revoked SSO sessions of bob revoked: 1 ended".to_owned()),
        "{events:?}"
    );

    // Everyone's, the admin's included: the admin is then asked to sign in again.
    let res = hub
        .admin
        .post_form(&format!("{settings}/revoke"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(org_answer(&carol).await, "403 sso_required");
    assert_eq!(org_answer(&hub.admin).await, "403 sso_required");
    hub.sign_in(&hub.admin, "alice").await;
    let events = hub.audit_events().await;
    assert!(
        events.contains(
            &"sso.sessions_revoked SSO sessions of every member revoked: 2 ended".to_owned()
        ),
        "{events:?}"
    );
}
