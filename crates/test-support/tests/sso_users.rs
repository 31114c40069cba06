//! The SSO users list (S10), over the real server and an honest in-process
//! OpenID Provider: a member who signed in through the IdP is listed with
//! their identity and live session, one who never did is flagged, and only
//! the organization's admins see the list.

use orgsso_test_support::honest_sso::{location, OidcOrg, ORG};
use orgsso_test_support::{json_body, StatusCode};
use serde_json::Value;

fn row<'a>(users: &'a Value, name: &str) -> &'a Value {
    users
        .as_array()
        .expect("a list")
        .iter()
        .find(|u| u["username"] == name)
        .unwrap_or_else(|| panic!("{name} listed: {users:#}"))
}

#[tokio::test]
async fn the_admin_lists_members_with_their_sso_identity_and_who_never_signed_in() {
    let hub = OidcOrg::new(serde_json::json!({})).await;
    hub.enable("optional").await;
    let bob = hub.member("bob").await;
    let carol = hub.member("carol").await;
    let res = hub.sign_in(&bob, "bob").await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "bob signs in");
    assert!(!location(&res).contains("error"), "{}", location(&res));

    let path = format!("/api/orgs/{ORG}/sso/users");
    let res = hub.admin.get(&path).await;
    assert_eq!(res.status(), StatusCode::OK);
    let users = json_body(res).await;

    let b = row(&users, "bob");
    assert_eq!(b["never_signed_in"], false, "{b:#}");
    assert_eq!(b["member"], true, "{b:#}");
    assert_eq!(b["email"], "bob@example.com", "{b:#}");
    assert_eq!(b["issuer"], hub.op.issuer.as_str(), "{b:#}");
    assert!(
        b["subject"].as_str().is_some_and(|s| !s.is_empty()),
        "{b:#}"
    );
    assert_eq!(b["role"], "read", "{b:#}");
    // No role mapping: the role was set in the hub, as recorded.
    assert_eq!(b["role_source"], "manual", "{b:#}");
    for field in ["first_sign_in_at", "last_sign_in_at", "session_expires_at"] {
        assert!(b[field].is_string(), "{field}: {b:#}");
    }

    let c = row(&users, "carol");
    assert_eq!(c["never_signed_in"], true, "{c:#}");
    assert_eq!(c["role"], "read", "{c:#}");
    for field in [
        "email",
        "issuer",
        "subject",
        "role_source",
        "first_sign_in_at",
        "last_sign_in_at",
        "session_expires_at",
    ] {
        assert!(c[field].is_null(), "{field}: {c:#}");
    }
    // The admin signed in through the IdP too.
    assert_eq!(row(&users, "alice")["never_signed_in"], false);

    // A member who is not an admin does not see the list.
    let res = bob.get(&path).await;
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&res.status()),
        "{}",
        res.status()
    );
    let res = carol.get(&path).await;
    assert!(
        [StatusCode::FORBIDDEN, StatusCode::NOT_FOUND].contains(&res.status()),
        "{}",
        res.status()
    );

    // The settings page shows both, with unlink for the linked one.
    let res = hub
        .admin
        .get(&format!("/organizations/{ORG}/settings/sso"))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("page");
    let list = &page[page.find("id=\"sso-users\"").expect("SSO users table")..];
    let list = &list[..list.find("</table>").expect("end of table")];
    assert!(list.contains("<td>bob</td>"), "{list}");
    assert!(list.contains("<td>carol</td>"), "{list}");
    assert!(list.contains("bob@example.com"), "{list}");
    assert!(list.contains("never signed in through SSO"), "{list}");
    assert!(list.contains("/settings/sso/unlink"), "{list}");
}
