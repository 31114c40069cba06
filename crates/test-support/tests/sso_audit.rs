//! The SSO audit log end to end, through the real OIDC IdP
//! (`oidc-provider`, `e2e/oidc-idp.mjs`): structured entries (actor kind,
//! target, outcome, facts) for configuration, tests (a failed test kept
//! apart from members' refusals), enabling and refused sign-ins; the export
//! as JSON lines with its filters; and the admin's searchable, paginated page.

use orgsso_test_support::oidc_provider::{login, sign_in_to, OidcIdp, IDP_PASSWORD};
use orgsso_test_support::{
    error_of, location, ndjson_body, skip_without_peer, Client, StatusCode, TestApp,
};
use reqwest::Method;
use serde_json::{json, Value};

const POST: Method = Method::POST;
const PUT: Method = Method::PUT;
const PATCH: Method = Method::PATCH;
const DELETE: Method = Method::DELETE;

const ORG: &str = "acme";

fn export(query: &str) -> String {
    format!("/api/orgs/{ORG}/sso/audit?{query}")
}

/// `(event, outcome)` of each line.
fn events(lines: &[Value]) -> Vec<(String, String)> {
    lines
        .iter()
        .map(|l| {
            (
                l["event"].as_str().unwrap_or_default().to_owned(),
                l["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn line<'a>(lines: &'a [Value], event: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["event"] == event)
        .unwrap_or_else(|| panic!("no {event} in {lines:#?}"))
}

/// The value of `key` in `url`'s query.
fn query_param(url: &str, key: &str) -> String {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {key} in {url}"))
}

/// `browser` signs in to acme through the IdP as `idp_user`: the hub's answer.
async fn sign_in(browser: &Client, idp_user: &str) -> reqwest::Response {
    sign_in_to(browser, ORG, idp_user).await
}

/// alice saves `idp` as acme's configuration; its first test fails (the
/// IdP answers access_denied), the second passes. The configuration's id.
async fn save_fail_and_pass_the_test(alice: &Client, idp: &OidcIdp) -> i64 {
    let (config, test_url) = idp.save_as_config_of(alice, ORG).await;
    let state = query_param(&test_url, "state");
    let res = alice
        .get(&format!(
            "/organizations/{ORG}/oidc/callback?state={state}&error=access_denied"
        ))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let csrf = alice
        .page_csrf(&format!("/organizations/{ORG}/settings/sso"))
        .await;
    let res = alice
        .post_form(
            &format!("/organizations/{ORG}/settings/sso/test"),
            &[("csrf_token", &csrf)],
        )
        .await;
    login(alice, &location(&res), "alice", IDP_PASSWORD).await;
    config
}

#[tokio::test]
async fn sso_events_are_structured_exported_as_json_lines_and_searchable() {
    if let Some(why) = OidcIdp::unavailable() {
        skip_without_peer(&why);
        return;
    }
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, ORG).await;
    let bob = app.user("bob").await;
    app.add_member(&alice, ORG, "bob", "read").await;
    // carol's IdP account says her email is not verified: she is refused.
    let carol = app.user("carol").await;
    app.add_member(&alice, ORG, "carol", "read").await;

    let idp = OidcIdp::for_org(&app.base_url, ORG);
    let config = save_fail_and_pass_the_test(&alice, &idp).await;
    let res = alice
        .post_json(
            &format!("/api/orgs/{ORG}/sso/enable"),
            json!({"config_id": config, "mode": "enforced"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        sign_in(&alice, "alice").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(sign_in(&bob, "bob").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        sign_in(&carol, "carol").await.status(),
        StatusCode::FORBIDDEN
    );

    let res = alice.get(&export("")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let lines = ndjson_body(res).await;
    // Oldest first, every entry once, ids increasing.
    let ids: Vec<i64> = lines.iter().map(|l| l["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let seen = events(&lines);
    let position = |event: &str| seen.iter().position(|(e, _)| e == event);
    assert!(position("sso.config_saved") < position("sso.test_failed"));
    assert!(position("sso.test_failed") < position("sso.test_passed"));
    assert!(position("sso.test_passed") < position("sso.enabled"));

    let failed_test = line(&lines, "sso.test_failed");
    assert_eq!(failed_test["outcome"], "failure");
    assert_eq!(failed_test["actor_kind"], "sign_in");
    assert_eq!(failed_test["actor"], "alice");
    assert_eq!(failed_test["target"], "alice");
    assert_eq!(
        failed_test["details"]["code"], "oidc.idp_error",
        "{failed_test}"
    );

    let enabled = line(&lines, "sso.enabled");
    assert_eq!(enabled["actor_kind"], "user");
    assert_eq!(enabled["actor"], "alice");
    assert_eq!(enabled["outcome"], "success");
    assert_eq!(
        enabled["details"],
        json!({"mode": "enforced", "mode_before": "off", "config_id": config})
    );

    let refused = line(&lines, "sso.login_failed");
    assert_eq!(refused["actor_kind"], "sign_in");
    assert_eq!(refused["actor"], "carol");
    assert_eq!(refused["target"], "carol");
    assert_eq!(refused["outcome"], "failure");
    assert_eq!(
        refused["details"]["code"], "oidc.email_not_verified",
        "{refused}"
    );
    assert!(refused["details"]["check"]
        .as_str()
        .unwrap()
        .contains("carol@example.com"));
    // A member's refusal is not a failed test, and a failed test is no member's refusal.
    assert_eq!(
        events(&lines)
            .iter()
            .filter(|(e, _)| e == "sso.login_failed")
            .count(),
        1
    );

    // Filters: outcome, event, user, time.
    let failures = ndjson_body(alice.get(&export("outcome=failure")).await).await;
    assert_eq!(
        events(&failures),
        [
            ("sso.test_failed".to_owned(), "failure".to_owned()),
            ("sso.login_failed".to_owned(), "failure".to_owned())
        ]
    );
    let carols = ndjson_body(alice.get(&export("user=carol")).await).await;
    assert!(carols
        .iter()
        .all(|l| l["actor"] == "carol" || l["target"] == "carol"));
    assert!(!carols.is_empty());
    let enabled_only = ndjson_body(alice.get(&export("event=sso.enabled")).await).await;
    assert_eq!(enabled_only.len(), 1);
    let later = ndjson_body(alice.get(&export("since=2999-01-01T00:00:00Z")).await).await;
    assert!(later.is_empty());
    let earlier = ndjson_body(alice.get(&export("until=2000-01-01T00:00:00Z")).await).await;
    assert!(earlier.is_empty());

    // The page finds the same, newest first, a refusal marked.
    let page = alice
        .get(&format!(
            "/organizations/{ORG}/settings/sso/audit?outcome=failure&user=carol"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(
            "<td><code>sso.login_failed</code></td><td>carol (SSO sign-in)</td><td>carol</td>"
        ),
        "{page}"
    );
    assert!(!page.contains("sso.test_failed"), "{page}");
    assert!(page.contains(r#"<option value="failure" selected>"#));
}

/// One scripted life of an organization's SSO, through the real IdP: the
/// export holds an entry for every kind of event, with who did it and to
/// whom, and each filter returns exactly the entries it describes.
#[tokio::test]
async fn one_scripted_scenario_records_every_sso_event_and_filters_are_exact() {
    if let Some(why) = OidcIdp::unavailable() {
        skip_without_peer(&why);
        return;
    }
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, ORG).await;
    // bob is no member: he joins through the IdP. carol is refused by it.
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    app.add_member(&alice, ORG, "carol", "read").await;
    let idp = OidcIdp::for_org(&app.base_url, ORG);
    let config = save_fail_and_pass_the_test(&alice, &idp).await;

    let api = |path: &str| format!("/api/orgs/{ORG}/sso{path}");
    let mapping = api("/role-mapping");
    alice
        .succeeds(POST, &api("/domains"), json!({"domain": "example.com"}))
        .await;
    let roles = json!({"orgsso-admins": "admin", "engineering": "write"});
    alice
        .succeeds(
            PUT,
            &mapping,
            json!({"path": "$.groups[*]", "roles": roles}),
        )
        .await;
    let enforced = json!({"config_id": config, "mode": "enforced"});
    alice.succeeds(POST, &api("/enable"), enforced).await;
    assert_eq!(
        sign_in(&alice, "alice").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(sign_in(&bob, "bob").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        sign_in(&carol, "carol").await.status(),
        StatusCode::FORBIDDEN
    );
    // A mapping under which alice, the last admin, would lose admin and bob
    // (engineering) becomes a contributor.
    let roles = json!({"nobody": "admin", "orgsso-admins": "write", "engineering": "contributor"});
    alice
        .succeeds(
            PUT,
            &mapping,
            json!({"path": "$.groups[*]", "roles": roles}),
        )
        .await;
    assert_eq!(
        sign_in(&alice, "alice").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(sign_in(&bob, "bob").await.status(), StatusCode::SEE_OTHER);
    let steps = [
        (PATCH, api(""), json!({"session_timeout_s": 3600})),
        (POST, api("/revoke"), json!({"username": "bob"})),
        (DELETE, api("/identities/bob"), json!({})),
        (POST, api("/saml/keys/rotate"), json!({})),
        (
            POST,
            api("/enable"),
            json!({"config_id": config, "mode": "optional"}),
        ),
        (DELETE, mapping.clone(), json!({})),
        (DELETE, api("/domains/example.com"), json!({})),
        (POST, api("/disable"), json!({})),
    ];
    for (method, path, body) in steps {
        alice.succeeds(method, &path, body).await;
    }

    let all = ndjson_body(alice.get(&export("")).await).await;
    let seen: Vec<&str> = all.iter().filter_map(|l| l["event"].as_str()).collect();
    for event in [
        "sso.config_saved",
        "sso.test_failed",
        "sso.test_passed",
        "sso.domain_added",
        "sso.role_mapping_saved",
        "sso.enabled",
        "sso.login",
        "sso.member_joined",
        "sso.login_failed",
        "sso.role_kept",
        "sso.role_changed",
        "sso.options_changed",
        "sso.sessions_revoked",
        "sso.identity_unlinked",
        "sso.sp_keys_rotated",
        "sso.role_mapping_removed",
        "sso.domain_removed",
        "sso.disabled",
    ] {
        assert!(seen.contains(&event), "{event} missing from {seen:?}");
    }
    let joined = line(&all, "sso.member_joined");
    assert_eq!(
        (joined["actor_kind"].as_str(), joined["target"].as_str()),
        (Some("sign_in"), Some("bob"))
    );
    let changed = line(&all, "sso.role_changed");
    assert_eq!(changed["target"], "bob", "{changed}");
    assert_eq!(
        (
            &changed["details"]["role_before"],
            &changed["details"]["role_after"]
        ),
        (&json!("write"), &json!("contributor")),
        "{changed}"
    );
    let kept = line(&all, "sso.role_kept");
    assert_eq!(kept["target"], "alice", "{kept}");
    assert_eq!(kept["details"]["last_admin"], true, "{kept}");
    let modes: Vec<(&Value, &Value)> = all
        .iter()
        .filter(|l| l["event"] == "sso.enabled")
        .map(|l| (&l["details"]["mode_before"], &l["details"]["mode"]))
        .collect();
    assert_eq!(
        modes,
        [
            (&json!("off"), &json!("enforced")),
            (&json!("enforced"), &json!("optional"))
        ]
    );

    // Each filter returns exactly the entries it names, no more, no fewer.
    let ids =
        |lines: &[Value]| -> Vec<i64> { lines.iter().filter_map(|l| l["id"].as_i64()).collect() };
    let expect = |keep: &dyn Fn(&Value) -> bool| -> Vec<i64> {
        ids(&all.iter().filter(|l| keep(l)).cloned().collect::<Vec<_>>())
    };
    let mut distinct = seen.clone();
    distinct.sort_unstable();
    distinct.dedup();
    for event in distinct {
        let got = ndjson_body(alice.get(&export(&format!("event={event}"))).await).await;
        assert_eq!(ids(&got), expect(&|l| l["event"] == event), "event={event}");
    }
    for outcome in ["success", "failure"] {
        let got = ndjson_body(alice.get(&export(&format!("outcome={outcome}"))).await).await;
        assert_eq!(
            ids(&got),
            expect(&|l| l["outcome"] == outcome),
            "outcome={outcome}"
        );
    }
    for user in ["alice", "bob", "carol"] {
        let got = ndjson_body(alice.get(&export(&format!("user={user}"))).await).await;
        let want = expect(&|l| l["actor"] == user || l["target"] == user);
        assert!(!want.is_empty(), "{user}");
        assert_eq!(ids(&got), want, "user={user}");
    }
    let middle = all[all.len() / 2]["at"].as_str().unwrap().to_owned();
    let encoded = middle.replace('+', "%2B");
    let since = ndjson_body(alice.get(&export(&format!("since={encoded}"))).await).await;
    let until = ndjson_body(alice.get(&export(&format!("until={encoded}"))).await).await;
    let at = |l: &Value| l["at"].as_str().unwrap_or_default().to_owned();
    assert_eq!(ids(&since), expect(&|l| at(l) >= middle), "since={middle}");
    assert_eq!(ids(&until), expect(&|l| at(l) < middle), "until={middle}");
    assert_eq!(since.len() + until.len(), all.len());
    let both = ndjson_body(
        alice
            .get(&export(&format!(
                "user=bob&outcome=success&since={encoded}"
            )))
            .await,
    )
    .await;
    assert_eq!(
        ids(&both),
        expect(&|l| (l["actor"] == "bob" || l["target"] == "bob")
            && l["outcome"] == "success"
            && at(l) >= middle)
    );
}

#[tokio::test]
async fn the_audit_page_pages_and_bad_filters_name_their_field() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, ORG).await;
    let bob = app.user("bob").await;
    app.add_member(&alice, ORG, "bob", "write").await;
    // 55 revocations: more than one page of 50.
    for _ in 0..55 {
        let res = alice
            .post_json(&format!("/api/orgs/{ORG}/sso/revoke"), json!({}))
            .await;
        assert!(res.status().is_success(), "{}", res.status());
    }
    let lines = ndjson_body(alice.get(&export("event=sso.sessions_revoked")).await).await;
    assert_eq!(lines.len(), 55);

    let page_path = format!("/organizations/{ORG}/settings/sso/audit?event=sso.sessions_revoked");
    let first = alice.get(&page_path).await.text().await.unwrap();
    assert_eq!(
        first
            .matches("<td><code>sso.sessions_revoked</code></td>")
            .count(),
        50
    );
    let newest = lines[54]["id"].as_i64().unwrap();
    let oldest_shown = lines[5]["id"].as_i64().unwrap();
    assert!(first.contains(&format!(
        r#"<a id="older" href="/organizations/{ORG}/settings/sso/audit?before={oldest_shown}&#38;event=sso.sessions_revoked">"#
    )), "{first}");
    assert!(newest > oldest_shown);
    let second = alice
        .get(&format!(
            "/organizations/{ORG}/settings/sso/audit?before={oldest_shown}&event=sso.sessions_revoked"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        second
            .matches("<td><code>sso.sessions_revoked</code></td>")
            .count(),
        5
    );
    assert!(!second.contains(r#"id="older""#));

    for (query, field) in [
        ("event=Not%20An%20Event", "event"),
        ("outcome=maybe", "outcome"),
        ("since=yesterday", "since"),
        ("user=no%20such%20name", "user"),
    ] {
        let (status, error) = error_of(alice.get(&export(query)).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(error["field"], field, "{query}: {error}");
    }
    // Admins only, for the export and the page; a member asking with a bad
    // filter is refused as a member, before the filter is read.
    for query in ["", "user=no%20such%20name"] {
        let (status, _) = error_of(bob.get(&export(query)).await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{query}");
    }
    let res = bob
        .get(&format!("/organizations/{ORG}/settings/sso/audit"))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
