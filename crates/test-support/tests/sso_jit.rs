//! Who just-in-time membership lets in, over the real server and an honest
//! in-process OpenID Provider: a configuration's own allow-list of email
//! domains, else the organization's SSO email domains, else anyone the IdP
//! signs in; and the optional required claim (`hd`, `tid`, a group) every
//! OIDC sign-in must carry, members included. Refusals are audited with the
//! exact reason and write nothing; bad settings are refused naming the field.

use orgsso_test_support::honest_sso::{location, OidcOrg, ORG};
use orgsso_test_support::{error_of, json_body, Client, StatusCode};
use serde_json::{json, Value};

/// acme with SSO enabled (optional) through an OIDC configuration saved
/// with `extra` in its body and tested by alice.
struct Hub(OidcOrg);

impl std::ops::Deref for Hub {
    type Target = OidcOrg;
    fn deref(&self) -> &OidcOrg {
        &self.0
    }
}

impl Hub {
    async fn new(extra: Value) -> Hub {
        let org = OidcOrg::new(extra).await;
        org.enable_only("optional").await;
        Hub(org)
    }

    /// Signs `name` in and asserts it went through.
    async fn signed_in(&self, browser: &Client, name: &str) {
        let res = self.sign_in(browser, name).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{name} signs in");
        assert!(
            !location(&res).contains("error"),
            "{name} signs in: {}",
            location(&res)
        );
    }

    /// Signs `name` in and asserts it was refused; returns the page.
    async fn refused(&self, browser: &Client, name: &str) -> String {
        let res = self.sign_in(browser, name).await;
        let status = res.status();
        let page = res.text().await.expect("refusal page");
        assert_eq!(status, StatusCode::FORBIDDEN, "{name} refused:\n{page}");
        page
    }

    async fn add_domain(&self, domain: &str) {
        let res = self
            .admin
            .post_json(
                &format!("/api/orgs/{ORG}/sso/domains"),
                json!({"domain": domain}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "add domain {domain}");
    }

    async fn latest_oidc(&self) -> Value {
        let res = self.admin.get(&format!("/api/orgs/{ORG}/sso")).await;
        assert_eq!(res.status(), StatusCode::OK, "SSO state");
        json_body(res).await["latest_config"]["oidc"].clone()
    }

    async fn audit(&self) -> Vec<String> {
        self.audit_events().await
    }

    fn audited(entries: &[String], prefix: &str, needles: &[&str]) -> bool {
        entries
            .iter()
            .any(|e| e.starts_with(prefix) && needles.iter().all(|n| e.contains(n)))
    }
}

#[tokio::test]
async fn jit_refuses_a_user_outside_the_configurations_domains_and_changes_nothing() {
    let hub = Hub::new(json!({"jit_domains": "Example.ORG, other.example"})).await;
    assert_eq!(
        hub.latest_oidc().await["jit_domains"],
        json!(["example.org", "other.example"]),
        "stored normalised and shown back"
    );
    // Existing members are unaffected by the list.
    hub.signed_in(&hub.admin, "alice").await;

    let dave = hub.app.user("dave").await;
    let page = hub.refused(&dave, "dave").await;
    assert!(page.contains("Ask one of its admins"), "{page}");
    assert_eq!(
        hub.admin.role_of(ORG, "dave").await,
        None,
        "dave did not join"
    );
    let entries = hub.audit().await;
    assert!(
        Hub::audited(
            &entries,
            "sso.login_failed sso.jit_domain_not_allowed",
            &["dave@example.com", "example.org, other.example"]
        ),
        "{entries:?}"
    );
    assert!(
        !entries.iter().any(|e| e.starts_with("sso.member_joined")),
        "{entries:?}"
    );
    let page = hub
        .admin
        .get(&format!("/organizations/{ORG}/settings/sso"))
        .await
        .text()
        .await
        .expect("settings page");
    assert!(
        page.contains("example.org, other.example"),
        "the settings page shows the list"
    );
}

#[tokio::test]
async fn jit_admits_a_user_inside_the_configurations_domains_even_when_the_org_lists_others() {
    let hub = Hub::new(json!({"jit_domains": "example.org example.com"})).await;
    assert_eq!(
        hub.latest_oidc().await["jit_domains"],
        json!(["example.org", "example.com"])
    );
    hub.signed_in(&hub.admin, "alice").await;
    // The configuration's own list wins over the organization's domains.
    hub.add_domain("example.net").await;
    let dave = hub.app.user("dave").await;
    hub.signed_in(&dave, "dave").await;
    assert_eq!(
        hub.admin.role_of(ORG, "dave").await.as_deref(),
        Some("read"),
        "dave joined with the default role"
    );
}

#[tokio::test]
async fn without_its_own_list_jit_is_held_to_the_orgs_sso_domains_when_it_has_some() {
    let hub = Hub::new(json!({})).await;
    hub.signed_in(&hub.admin, "alice").await;
    assert_eq!(hub.latest_oidc().await["jit_domains"], json!([]));

    // No list and no domains: anyone the IdP signs in joins, as before.
    let erin = hub.app.user("erin").await;
    hub.signed_in(&erin, "erin").await;
    assert_eq!(
        hub.admin.role_of(ORG, "erin").await.as_deref(),
        Some("read")
    );

    // With SSO domains, only their users join.
    hub.add_domain("example.org").await;
    let dave = hub.app.user("dave").await;
    hub.refused(&dave, "dave").await;
    assert_eq!(hub.admin.role_of(ORG, "dave").await, None);
    let entries = hub.audit().await;
    assert!(
        Hub::audited(
            &entries,
            "sso.login_failed sso.jit_domain_not_allowed",
            &["dave@example.com", "SSO email domains", "example.org"]
        ),
        "{entries:?}"
    );

    hub.add_domain("example.com").await;
    hub.signed_in(&dave, "dave").await;
    assert_eq!(
        hub.admin.role_of(ORG, "dave").await.as_deref(),
        Some("read")
    );
}

#[tokio::test]
async fn a_required_claim_refuses_every_sign_in_without_it_members_included() {
    let hub =
        Hub::new(json!({"required_claim": "groups", "required_claim_value": "engineering"})).await;
    assert_eq!(
        hub.latest_oidc().await["required_claim"],
        json!({"name": "groups", "value": "engineering"})
    );
    // Equal, or an array containing it: let in.
    hub.op.set_extra_claims(json!({"groups": "engineering"}));
    hub.signed_in(&hub.admin, "alice").await;
    hub.op
        .set_extra_claims(json!({"groups": ["sales", "engineering"]}));
    hub.signed_in(&hub.admin, "alice").await;

    // Absent, different, only similar, or not a string: refused, audited.
    for (claims, why) in [
        (json!({}), "absent"),
        (json!({"groups": "sales"}), "\"sales\""),
        (json!({"groups": ["sales", "Engineering"]}), "Engineering"),
        (json!({"groups": "engineering-ops"}), "engineering-ops"),
        (json!({"groups": {"engineering": true}}), "engineering"),
    ] {
        hub.op.set_extra_claims(claims.clone());
        let page = hub.refused(&hub.admin, "alice").await;
        assert!(page.contains("claim"), "{claims}: {page}");
        let entries = hub.audit().await;
        assert!(
            Hub::audited(
                &entries,
                "sso.login_failed oidc.required_claim_missing",
                &["groups", "engineering", why]
            ),
            "{claims}: {entries:?}"
        );
    }

    // A non-member without the claim does not join either.
    let dave = hub.app.user("dave").await;
    hub.op.set_extra_claims(json!({"groups": ["sales"]}));
    hub.refused(&dave, "dave").await;
    assert_eq!(hub.admin.role_of(ORG, "dave").await, None);
    hub.op.set_extra_claims(json!({"groups": ["engineering"]}));
    hub.signed_in(&dave, "dave").await;
    assert_eq!(
        hub.admin.role_of(ORG, "dave").await.as_deref(),
        Some("read")
    );
}

#[tokio::test]
async fn bad_jit_domains_and_required_claims_are_refused_naming_the_field() {
    let hub = Hub::new(json!({})).await;
    let base = json!({"issuer_url": hub.op.issuer, "client_id": hub.op.client_id});
    let long_name = "a".repeat(129);
    let long_value = "v".repeat(257);
    for (extra, field) in [
        (json!({"jit_domains": "co.uk"}), "jit_domains"),
        (
            json!({"jit_domains": "example.com, *.example.org"}),
            "jit_domains",
        ),
        (json!({"jit_domains": "alice@example.com"}), "jit_domains"),
        (json!({"required_claim": "hd"}), "required_claim_value"),
        (
            json!({"required_claim_value": "example.com"}),
            "required_claim",
        ),
        (
            json!({"required_claim": "h d", "required_claim_value": "x"}),
            "required_claim",
        ),
        (
            json!({"required_claim": "groups[0]", "required_claim_value": "x"}),
            "required_claim",
        ),
        (
            json!({"required_claim": long_name, "required_claim_value": "x"}),
            "required_claim",
        ),
        (
            json!({"required_claim": "hd", "required_claim_value": long_value}),
            "required_claim_value",
        ),
    ] {
        let mut body = base.clone();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let res = hub
            .admin
            .post_json(&format!("/api/orgs/{ORG}/sso/oidc"), body.clone())
            .await;
        let (status, error) = error_of(res).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    // The longest name and value of the allowed characters are accepted.
    let mut body = base.clone();
    body["required_claim"] = json!(format!("{}:./-_", "a".repeat(123)));
    body["required_claim_value"] = json!("v".repeat(256));
    let res = hub
        .admin
        .post_json(&format!("/api/orgs/{ORG}/sso/oidc"), body)
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);

    // SAML takes the same list and refuses it the same way.
    let res = hub
        .admin
        .post_json(
            &format!("/api/orgs/{ORG}/sso/saml"),
            json!({"idp_sso_url": "https://idp.example.com/sso", "idp_entity_id": "https://idp.example.com",
                   "certificates": "", "jit_domains": "com"}),
        )
        .await;
    let (status, error) = error_of(res).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["field"], "jit_domains", "{error}");
}
