//! OIDC through the real server against the in-process OpenID Provider, for what an
//! organization meets when its IdP misbehaves or is configured by hand: the discovery
//! cache riding out an IdP blip, saves that refresh only their own organization's view,
//! re-authentication (`max_age`, `prompt=login`), and messages an admin can act on.

use orgsso_core::{Clock, FixedClock, SystemClock};
use orgsso_test_support::honest_sso::{location, OidcOrg, ORG};
use orgsso_test_support::hostile_op::{through_op, Forgery};
use orgsso_test_support::{error_of, json_body, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

/// A hub clock fixed at the wall clock's now, which tests move forward.
fn fixed_clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(SystemClock.now()))
}

/// The detail of the newest refused sign-in in the audit log: a member's
/// (`sso.login_failed`) or an admin's test round trip (`sso.test_failed`).
async fn last_failure(org: &OidcOrg) -> String {
    org.audit_events()
        .await
        .into_iter()
        .find_map(|e| {
            e.strip_prefix("sso.login_failed ")
                .or_else(|| e.strip_prefix("sso.test_failed "))
                .map(str::to_owned)
        })
        .expect("a refused sign-in in the audit log")
}

/// Saves an OIDC configuration for acme through the API with `body` over the OP's own.
async fn save(org: &OidcOrg, body: Value) -> reqwest::Response {
    let mut full = json!({"issuer_url": org.op.issuer, "client_id": org.op.client_id,
        "client_secret": org.op.client_secret});
    for (k, v) in body.as_object().expect("fields") {
        full[k] = v.clone();
    }
    org.admin
        .post_json(&format!("/api/orgs/{ORG}/sso/oidc"), full)
        .await
}

// ---- the discovery cache ----

#[tokio::test]
async fn members_still_sign_in_while_the_discovery_endpoint_fails_after_a_good_fetch() {
    let clock = fixed_clock();
    let org = OidcOrg::with_clock(json!({}), clock.clone()).await;
    org.enable("enforced").await;
    let bob = org.member("bob").await;
    let fetched = org.op.discovery_requests();

    // Past the document's hour; the IdP's discovery endpoint now answers 503.
    org.op.set_discovery_down(true);
    clock.advance(2 * 3600);
    let res = org.sign_in(&bob, "bob").await;
    assert_eq!(location(&res), format!("/organizations/{ORG}"), "bob is in");
    assert_eq!(
        org.op.discovery_requests(),
        fetched + 1,
        "the refresh was tried"
    );
    // While it fails, sign-ins do not ask the IdP again at every request.
    let carol = org.member("carol").await;
    let res = org.sign_in(&carol, "carol").await;
    assert_eq!(location(&res), format!("/organizations/{ORG}"));
    assert_eq!(org.op.discovery_requests(), fetched + 1);

    // A day after the last good fetch the stale copy is no longer served.
    clock.advance(23 * 3600);
    let dave = org.member("dave").await;
    let res = dave.get(&format!("/organizations/{ORG}/sso")).await;
    let (status, error) = error_of_page(res).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert!(
        error.contains("cannot be reached right now"),
        "member told the IdP is unreachable: {error}"
    );

    // Back up: sign-ins work again with a fresh document.
    org.op.set_discovery_down(false);
    let res = org.sign_in(&dave, "dave").await;
    assert_eq!(location(&res), format!("/organizations/{ORG}"));
}

/// The refusal page's text (the SSO start is an HTML route).
async fn error_of_page(res: reqwest::Response) -> (StatusCode, String) {
    let status = res.status();
    (status, res.text().await.expect("page"))
}

#[tokio::test]
async fn a_save_asks_the_idp_anew_and_refreshes_only_its_own_organizations_view() {
    let org = OidcOrg::new(json!({})).await;
    // beta uses the same IdP (same issuer), configured and enabled by alice too.
    org.app.org(&org.admin, "beta").await;
    let res = org
        .admin
        .post_json(
            "/api/orgs/beta/sso/oidc",
            json!({"issuer_url": org.op.issuer, "client_id": org.op.client_id,
                   "client_secret": org.op.client_secret}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let saved = json_body(res).await;
    let res = through_op(&org.admin, saved["test_url"].as_str().expect("test_url")).await;
    assert_eq!(
        location(&res),
        "/organizations/beta/settings/sso?done=tested"
    );
    let res = org
        .admin
        .post_json(
            "/api/orgs/beta/sso/enable",
            json!({"config_id": saved["config_id"], "mode": "enforced"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // A save within the hour still fetches the document.
    let before = org.op.discovery_requests();
    let res = save(&org, json!({})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(org.op.discovery_requests(), before + 1, "save refreshed");

    // With discovery failing, acme's save is refused (never a stale copy on save) ...
    org.op.set_discovery_down(true);
    let (status, error) = error_of(save(&org, json!({})).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["field"], "issuer_url", "{error}");
    // ... and beta's view, fetched before, is untouched: alice signs in to beta.
    let requests = org.op.discovery_requests();
    org.op.set_email("alice@example.com");
    let res = org.admin.get("/organizations/beta/sso").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "beta's sign-in starts");
    let res = through_op(&org.admin, &location(&res)).await;
    assert_eq!(location(&res), "/organizations/beta");
    assert_eq!(org.op.discovery_requests(), requests, "beta asked nothing");
}

// ---- key rotation at the IdP ----

#[tokio::test]
async fn a_key_rotated_right_after_discovery_is_accepted_with_one_refetch() {
    // The save discovered the IdP moments ago; the IdP rotates its key now.
    let org = OidcOrg::new(json!({})).await;
    org.enable_only("enforced").await;
    let fetched = org.op.jwks_requests();
    org.op.rotate_keys();
    let res = org.sign_in(&org.admin, "alice").await;
    assert_eq!(location(&res), format!("/organizations/{ORG}"));
    let bob = org.member("bob").await;
    let res = org.sign_in(&bob, "bob").await;
    assert_eq!(location(&res), format!("/organizations/{ORG}"));
    assert_eq!(
        org.op.jwks_requests(),
        fetched + 1,
        "one refetch, then cached"
    );
}

// ---- re-authentication ----

#[tokio::test]
async fn max_age_and_prompt_login_are_sent_and_auth_time_is_checked() {
    let org = OidcOrg::new(json!({"max_age": 600, "prompt_login": true})).await;
    // The admin's test passed (the OP answered with a fresh auth_time) and sent both.
    let sent = org.op.last_authorize();
    assert_eq!(sent.get("max_age").map(String::as_str), Some("600"));
    assert_eq!(sent.get("prompt").map(String::as_str), Some("login"));
    let state = org.state().await;
    let oidc = &state["latest_config"]["oidc"];
    assert_eq!(oidc["max_age"], 600, "{state}");
    assert_eq!(oidc["prompt_login"], true, "{state}");

    org.enable("enforced").await;
    let bob = org.member("bob").await;
    for (forgery, code) in [
        (Forgery::AuthTimeMissing, "oidc.auth_time_missing"),
        (Forgery::AuthTimeTooOld, "oidc.auth_too_old"),
    ] {
        org.op.set_forgery(forgery);
        let res = org.sign_in(&bob, "bob").await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{forgery:?}");
        let failure = last_failure(&org).await;
        assert!(failure.starts_with(&format!("{code}: ")), "{failure}");
    }
    assert!(last_failure(&org).await.contains("600s"));
    org.op.set_forgery(Forgery::Honest);
    let res = org.sign_in(&bob, "bob").await;
    assert_eq!(location(&res), format!("/organizations/{ORG}"));
}

#[tokio::test]
async fn the_settings_form_takes_max_age_and_prompt_login() {
    let org = OidcOrg::new(json!({})).await;
    let page = format!("/organizations/{ORG}/settings/sso");
    let post = |max_age: &'static str| {
        let org = &org;
        let page = page.clone();
        async move {
            let csrf = org.admin.page_csrf(&page).await;
            org.admin
                .post_form(
                    &format!("{page}/oidc"),
                    &[
                        ("csrf_token", &csrf),
                        ("issuer_url", &org.op.issuer),
                        ("client_id", &org.op.client_id),
                        ("client_secret", &org.op.client_secret),
                        ("scopes", "openid email profile"),
                        ("email_claim", "email"),
                        ("max_age", max_age),
                        ("prompt_login", "on"),
                    ],
                )
                .await
        }
    };
    let res = post("an hour").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = res.text().await.expect("page");
    assert!(text.contains("whole number of seconds"), "{text}");
    assert!(
        text.contains("value=\"an hour\""),
        "the form keeps the input"
    );

    let res = post("900").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to_idp = location(&res);
    assert!(
        to_idp.contains("max_age=900") && to_idp.contains("prompt=login"),
        "{to_idp}"
    );
    let text = org.admin.get(&page).await.text().await.expect("page");
    assert!(text.contains("at most 900s"), "{text}");
    assert!(text.contains("value=\"900\""), "{text}");
}

// ---- messages an admin can act on ----

#[tokio::test]
async fn a_discovery_url_pasted_as_the_issuer_is_refused_saying_what_to_drop() {
    let org = OidcOrg::new(json!({})).await;
    let pasted = format!("{}/.well-known/openid-configuration", org.op.issuer);
    let (status, error) = error_of(save(&org, json!({"issuer_url": pasted})).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "issuer_url", "{error}");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.contains("drop `/.well-known/openid-configuration`"),
        "{message}"
    );
    assert!(message.contains(&org.op.issuer), "{message}");
}

#[tokio::test]
async fn scopes_the_idp_does_not_list_are_refused_on_save_naming_them() {
    let org = OidcOrg::new(json!({})).await;
    // The OP lists openid, email and profile.
    let (status, error) = error_of(
        save(
            &org,
            json!({"scopes": "openid email groups profile offline_access"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "scopes", "{error}");
    let message = error["message"].as_str().expect("message");
    assert!(message.contains("groups, offline_access"), "{message}");
    let res = save(&org, json!({"scopes": "openid email profile"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn invalid_client_at_the_token_endpoint_says_to_check_the_client_id_and_secret() {
    let org = OidcOrg::new(json!({})).await;
    let res = save(&org, json!({"client_secret": "not-the-secret"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let saved = json_body(res).await;
    let res = through_op(&org.admin, saved["test_url"].as_str().expect("test_url")).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let page = res.text().await.expect("page");
    assert!(
        page.contains("check the client ID and client secret"),
        "the admin's page says what to fix: {page}"
    );
    let failure = last_failure(&org).await;
    assert!(
        failure.starts_with("oidc.token_exchange_failed: ")
            && failure.contains("check the client ID and client secret"),
        "{failure}"
    );
}

#[tokio::test]
async fn an_id_token_without_sub_is_refused_in_plain_words() {
    let org = OidcOrg::new(json!({})).await;
    org.enable("enforced").await;
    let bob = org.member("bob").await;
    org.op.set_forgery(Forgery::MissingSubject);
    let res = org.sign_in(&bob, "bob").await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let failure = last_failure(&org).await;
    assert!(
        failure.starts_with("oidc.missing_required_claim: ")
            && failure.contains("no \"sub\" claim"),
        "{failure}"
    );
    for raw in ["missing field", "Failed to parse", "Error("] {
        assert!(!failure.contains(raw), "{failure}");
    }
}

#[tokio::test]
async fn a_member_signed_in_at_the_idp_as_someone_else_is_told_to_sign_out_there() {
    let org = OidcOrg::new(json!({})).await;
    org.enable("enforced").await;
    let bob = org.member("bob").await;
    // bob's browser is signed in at the IdP as carol.
    org.op.set_email("carol@example.com");
    let res = bob.get(&format!("/organizations/{ORG}/sso")).await;
    let res = through_op(&bob, &location(&res)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let page = res.text().await.expect("page");
    assert!(page.contains("carol@example.com"), "{page}");
    assert!(
        page.contains("sign out at the identity provider and sign in there as yourself"),
        "{page}"
    );
    assert!(last_failure(&org).await.starts_with("sso.email_mismatch: "));
}
