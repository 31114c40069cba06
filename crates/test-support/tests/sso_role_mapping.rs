//! SSO role mapping (S12) and members' lasting SSO identities, over the real
//! server and an honest in-process OpenID Provider that sends `groups`: the
//! most privileged mapped role wins, no match gives the default role, a
//! group changed at the IdP changes the role at the next sign-in, the last
//! admin is never demoted, manual role changes wait until the mapping is
//! off, bad mappings are refused naming the field, and a reassigned IdP
//! subject is refused until an admin unlinks the identity.

use orgsso_test_support::honest_sso::{location, OidcOrg, ORG};
use orgsso_test_support::{error_of, json_body, Client, StatusCode};
use reqwest::Method;
use serde_json::{json, Value};

const MAPPING: &str = "/api/orgs/acme/sso/role-mapping";

/// acme with SSO on (optional) and alice, its admin, signed in through the IdP.
async fn hub() -> OidcOrg {
    let org = OidcOrg::new(json!({})).await;
    org.enable("optional").await;
    org
}

fn groups_mapping() -> Value {
    json!({
        "path": "$.groups[*]",
        "roles": {"eng-admins": "admin", "eng": "write", "staff": "contributor"}
    })
}

async fn put_mapping(admin: &Client, body: Value) -> reqwest::Response {
    admin.send_json(Method::PUT, MAPPING, body).await
}

async fn map_roles(hub: &OidcOrg) {
    let res = put_mapping(&hub.admin, groups_mapping()).await;
    assert_eq!(res.status(), StatusCode::OK, "save mapping");
}

/// `name` signs in with `groups` at the IdP; asserts it went through.
async fn signs_in_with(hub: &OidcOrg, browser: &Client, name: &str, groups: Value) {
    hub.op.set_extra_claims(json!({ "groups": groups }));
    let res = hub.sign_in(browser, name).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{name} signs in");
    assert!(
        !location(&res).contains("error"),
        "{name}: {}",
        location(&res)
    );
}

/// `name` signs in with `claims` and is refused; returns the page.
async fn refused_with(hub: &OidcOrg, browser: &Client, name: &str, claims: Value) -> String {
    hub.op.set_extra_claims(claims);
    let res = hub.sign_in(browser, name).await;
    let status = res.status();
    let page = res.text().await.expect("refusal page");
    assert_eq!(status, StatusCode::FORBIDDEN, "{name} refused:\n{page}");
    page
}

async fn role(hub: &OidcOrg, name: &str) -> Option<String> {
    hub.admin.role_of(ORG, name).await
}

fn audited(entries: &[String], prefix: &str, needles: &[&str]) -> bool {
    entries
        .iter()
        .any(|e| e.starts_with(prefix) && needles.iter().all(|n| e.contains(n)))
}

#[tokio::test]
async fn multi_valued_groups_give_the_most_privileged_role_and_no_match_the_default() {
    let hub = hub().await;
    map_roles(&hub).await;
    let default_role = json_body(hub.admin.get("/api/orgs/acme").await).await["default_role"]
        .as_str()
        .expect("default role")
        .to_owned();

    // Not members yet: just-in-time membership uses the mapped role.
    let bob = hub.app.user("bob").await;
    signs_in_with(&hub, &bob, "bob", json!(["staff", "eng", "sales"])).await;
    assert_eq!(role(&hub, "bob").await.as_deref(), Some("write"));
    let carol = hub.app.user("carol").await;
    signs_in_with(&hub, &carol, "carol", json!(["sales"])).await;
    assert_eq!(role(&hub, "carol").await, Some(default_role));

    let audit = hub.audit_events().await;
    assert!(
        audited(&audit, "sso.member_joined", &["bob", "write", "staff, eng"]),
        "{audit:#?}"
    );
    assert!(
        audited(&audit, "sso.member_joined", &["carol", "matched no value"]),
        "{audit:#?}"
    );
}

#[tokio::test]
async fn a_group_changed_at_the_idp_changes_the_role_at_the_next_sign_in() {
    let hub = hub().await;
    let bob = hub.member("bob").await;
    map_roles(&hub).await;
    signs_in_with(&hub, &bob, "bob", json!(["eng"])).await;
    assert_eq!(role(&hub, "bob").await.as_deref(), Some("write"));
    signs_in_with(&hub, &bob, "bob", json!(["eng", "eng-admins"])).await;
    assert_eq!(role(&hub, "bob").await.as_deref(), Some("admin"));
    signs_in_with(&hub, &bob, "bob", json!(["staff"])).await;
    assert_eq!(role(&hub, "bob").await.as_deref(), Some("contributor"));

    let audit = hub.audit_events().await;
    for needle in ["read → write", "write → admin", "admin → contributor"] {
        assert!(
            audited(&audit, "sso.role_changed", &["bob", needle]),
            "{needle}: {audit:#?}"
        );
    }
}

#[tokio::test]
async fn the_last_admin_keeps_the_role_the_mapping_would_take_away() {
    let hub = hub().await;
    map_roles(&hub).await;
    signs_in_with(&hub, &hub.admin, "alice", json!(["staff"])).await;
    assert_eq!(role(&hub, "alice").await.as_deref(), Some("admin"));
    let audit = hub.audit_events().await;
    assert!(
        audited(&audit, "sso.role_kept", &["alice", "last admin"]),
        "{audit:#?}"
    );
    // With a second admin, the same sign-in demotes her.
    let bob = hub.member("bob").await;
    signs_in_with(&hub, &bob, "bob", json!(["eng-admins"])).await;
    signs_in_with(&hub, &hub.admin, "alice", json!(["staff"])).await;
    assert_eq!(role(&hub, "alice").await.as_deref(), Some("contributor"));
}

#[tokio::test]
async fn a_manual_role_change_is_refused_while_the_idp_manages_roles() {
    let hub = hub().await;
    hub.member("bob").await;
    map_roles(&hub).await;
    let set_role = || {
        hub.admin
            .patch_json("/api/orgs/acme/members/bob", json!({"role": "write"}))
    };
    let (status, error) = error_of(set_role().await).await;
    assert!(status.is_client_error(), "{status}");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("managed by its identity provider"),
        "{error}"
    );
    assert_eq!(role(&hub, "bob").await.as_deref(), Some("read"));

    // Turned off, admins manage roles again.
    let res = hub.admin.delete(MAPPING).await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let off = json_body(hub.admin.get(MAPPING).await).await;
    assert_eq!(off["enabled"], false, "{off}");
    assert_eq!(set_role().await.status(), StatusCode::OK);
    assert_eq!(role(&hub, "bob").await.as_deref(), Some("write"));
    let audit = hub.audit_events().await;
    assert!(
        audited(&audit, "sso.role_mapping_saved", &["$.groups[*]"]),
        "{audit:#?}"
    );
    assert!(
        audited(&audit, "sso.role_mapping_removed", &[]),
        "{audit:#?}"
    );
}

#[tokio::test]
async fn bad_mappings_are_refused_naming_the_field_and_change_nothing() {
    let hub = hub().await;
    map_roles(&hub).await;
    let before = json_body(hub.admin.get(MAPPING).await).await;
    assert_eq!(before["enabled"], true, "{before}");
    assert_eq!(before["path"], "$.groups[*]", "{before}");

    // Parsed, this would exhaust the stack of the worker that parses it.
    let deep = format!("$[?{}@.a{}]", "@[?".repeat(300), "]".repeat(300));
    let many: serde_json::Map<String, Value> = (0..10_000)
        .map(|i| (format!("group-{i}"), json!("admin")))
        .collect();
    let cases = [
        (
            "path nested too deep",
            json!({"path": deep, "roles": {"a": "admin"}}),
            "path",
        ),
        (
            "unparsable path",
            json!({"path": "$.groups[", "roles": {"a": "admin"}}),
            "path",
        ),
        (
            "path too long",
            json!({"path": format!("$.{}", "a".repeat(2000)), "roles": {"a": "admin"}}),
            "path",
        ),
        (
            "unknown role",
            json!({"path": "$.g", "roles": {"a": "admin", "b": "owner"}}),
            "roles",
        ),
        (
            "no admin",
            json!({"path": "$.g", "roles": {"a": "write"}}),
            "roles",
        ),
        (
            "too many entries",
            json!({"path": "$.g", "roles": many}),
            "roles",
        ),
        (
            "value too long",
            json!({"path": "$.g", "roles": {"v".repeat(300): "admin"}}),
            "roles",
        ),
        (
            "role not a string",
            json!({"path": "$.g", "roles": {"a": 3}}),
            "roles",
        ),
    ];
    for (name, body, field) in cases {
        let (status, error) = error_of(put_mapping(&hub.admin, body).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {error}");
        assert_eq!(error["field"], field, "{name}: {error}");
    }
    // A 1 MB path is refused before it is parsed.
    let huge = json!({"path": format!("$.{}", "a".repeat(1 << 20)), "roles": {"a": "admin"}});
    let res = put_mapping(&hub.admin, huge).await;
    assert!(res.status().is_client_error(), "{}", res.status());
    assert_eq!(json_body(hub.admin.get(MAPPING).await).await, before);
}

#[tokio::test]
async fn a_changed_subject_is_refused_until_an_admin_unlinks_the_identity() {
    let hub = hub().await;
    let bob = hub.member("bob").await;
    signs_in_with(&hub, &bob, "bob", json!([])).await;

    // The IdP now asserts bob's email for another subject (a reassigned account).
    let page = refused_with(&hub, &bob, "bob", json!({"sub": "reassigned"})).await;
    assert!(page.contains("unlink"), "{page}");
    let audit = hub.audit_events().await;
    assert!(
        audited(
            &audit,
            "sso.login_failed",
            &["sso.subject_changed", "bob", "reassigned"]
        ),
        "{audit:#?}"
    );

    // Only an admin unlinks; then the next sign-in links the new subject.
    let res = bob.delete("/api/orgs/acme/sso/identities/bob").await;
    assert!(res.status().is_client_error(), "{}", res.status());
    let res = hub.admin.delete("/api/orgs/acme/sso/identities/bob").await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = hub.admin.delete("/api/orgs/acme/sso/identities/bob").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    hub.op.set_extra_claims(json!({"sub": "reassigned"}));
    let res = hub.sign_in(&bob, "bob").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!location(&res).contains("error"), "{}", location(&res));
    assert!(
        audited(&hub.audit_events().await, "sso.identity_unlinked", &["bob"]),
        "unlink audited"
    );

    // A subject linked to bob cannot sign anyone else in.
    let carol = hub.member("carol").await;
    let page = refused_with(&hub, &carol, "carol", json!({"sub": "reassigned"})).await;
    assert!(page.contains("another account"), "{page}");
    assert!(
        audited(
            &hub.audit_events().await,
            "sso.login_failed",
            &["sso.subject_linked_elsewhere", "bob", "carol"]
        ),
        "linked elsewhere audited"
    );
}

#[tokio::test]
async fn the_settings_page_saves_shows_and_turns_off_the_mapping() {
    let hub = hub().await;
    let settings = format!("/organizations/{ORG}/settings/sso");
    let csrf = hub.admin.page_csrf(&settings).await;
    let res = hub
        .admin
        .post_form(
            &format!("{settings}/role-mapping"),
            &[
                ("csrf_token", &csrf),
                ("path", "$.groups[*]"),
                ("roles", "eng-admins = admin\n\nteam=a = write\n"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let saved = json_body(hub.admin.get(MAPPING).await).await;
    assert_eq!(
        saved["roles"],
        json!({"eng-admins": "admin", "team=a": "write"}),
        "{saved}"
    );
    let page = hub.admin.get(&settings).await.text().await.expect("page");
    assert!(page.contains("team=a = write"), "the form shows the table");

    // A bad line is refused naming the field; the saved mapping stays.
    let res = hub
        .admin
        .post_form(
            &format!("{settings}/role-mapping"),
            &[
                ("csrf_token", &csrf),
                ("path", "$.g"),
                ("roles", "eng-admins admin"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json_body(hub.admin.get(MAPPING).await).await, saved);

    let res = hub
        .admin
        .post_form(
            &format!("{settings}/role-mapping/delete"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        json_body(hub.admin.get(MAPPING).await).await["enabled"],
        false
    );
}

/// SAML through SimpleSAMLphp: its users' multi-valued `groups` attribute,
/// read as `$.attributes.groups[*]`, gives just-in-time members their role.
#[tokio::test]
async fn saml_attributes_map_to_roles_through_simplesamlphp() {
    use orgsso_test_support::simplesamlphp::{IdpUser, SigningKey, SimpleSamlIdp, SpRegistration};
    use orgsso_test_support::TestApp;
    if let Some(why) = SimpleSamlIdp::unavailable() {
        orgsso_test_support::skip_without_peer(&why);
        return;
    }
    let app = TestApp::spawn().await;
    let idp = SimpleSamlIdp::start(
        &[SpRegistration::for_org(&app.base_url, ORG)],
        &IdpUser::defaults(),
        SigningKey::First,
    );
    let settings = format!("/organizations/{ORG}/settings/sso");
    // Signs `user` in at the IdP from `start` and posts the response to the ACS.
    let through_idp = |browser: &Client, start: String, user: &'static str| {
        let idp = &idp;
        let base = app.base_url.clone();
        let browser = browser.clone_session();
        async move {
            let post = idp
                .login(&browser.http, &start, user, &IdpUser::named(user).password)
                .await;
            let path = post
                .acs_url
                .strip_prefix(&base)
                .expect("the IdP posts to orgsso")
                .to_owned();
            browser
                .post_form(
                    &path,
                    &[
                        ("SAMLResponse", &post.saml_response),
                        ("RelayState", &post.relay_state),
                    ],
                )
                .await
        }
    };

    let alice = app.user("alice").await;
    app.org(&alice, ORG).await;
    let csrf = alice.page_csrf(&settings).await;
    let certificates = idp.cert_pem(SigningKey::First);
    let res = alice
        .post_form(
            &format!("{settings}/saml"),
            &[
                ("csrf_token", &csrf),
                ("idp_sso_url", &idp.sso_url()),
                ("idp_entity_id", &idp.idp_entity_id()),
                ("certificates", &certificates),
                ("metadata_xml", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "save");
    let res = through_idp(&alice, location(&res), "alice").await;
    assert_eq!(location(&res), format!("{settings}?done=tested"));
    let config_id = json_body(alice.get(&format!("/api/orgs/{ORG}/sso")).await).await
        ["latest_config"]["id"]
        .as_i64()
        .expect("config id");
    let res = alice
        .post_json(
            &format!("/api/orgs/{ORG}/sso/enable"),
            json!({"config_id": config_id, "mode": "optional"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT, "enable");
    let res = put_mapping(
        &alice,
        json!({
            "path": "$.attributes.groups[*]",
            "roles": {"admins": "admin", "engineering": "write", "sales": "contributor"}
        }),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "save mapping");

    for (user, role) in [
        ("bob", "write"),
        ("carol", "contributor"),
        ("alice", "admin"),
    ] {
        let browser = if user == "alice" {
            alice.clone_session()
        } else {
            app.user(user).await
        };
        let res = browser.get(&format!("/organizations/{ORG}/sso")).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "start SSO as {user}");
        let res = through_idp(&browser, location(&res), user).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{user} signs in");
        assert!(
            !location(&res).contains("error"),
            "{user}: {}",
            location(&res)
        );
        assert_eq!(
            alice.role_of(ORG, user).await.as_deref(),
            Some(role),
            "{user}"
        );
    }
}

/// Some IdPs send `groups` only from userinfo: with a mapping on, the hub
/// reads userinfo at every sign-in, not only when the email is missing.
#[tokio::test]
async fn groups_only_userinfo_carries_reach_the_mapping() {
    let hub = hub().await;
    let bob = hub.member("bob").await;
    map_roles(&hub).await;
    hub.op.set_extra_claims(json!({}));
    hub.op
        .set_userinfo_claims(json!({"groups": ["eng-admins"]}));
    let res = hub.sign_in(&bob, "bob").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(!location(&res).contains("error"), "{}", location(&res));
    assert_eq!(role(&hub, "bob").await.as_deref(), Some("admin"));
}
