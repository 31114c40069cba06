//! Organizations over real HTTP: creation, members and roles, leaving, the
//! default role, and the rule that an organization keeps at least one admin.

use orgsso_test_support::{error_of, json_body, StatusCode, TestApp};
use serde_json::json;

#[tokio::test]
async fn the_creator_of_an_organization_is_its_admin() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let res = alice
        .post_json(
            "/api/orgs",
            json!({"name": "Acme", "display_name": "Acme Corp."}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let org = json_body(res).await;
    assert_eq!(org["name"], "acme");
    assert_eq!(org["your_role"], "admin");
    assert_eq!(org["default_role"], "read");

    let members = json_body(alice.get("/api/orgs/acme/members").await).await;
    assert_eq!(members.as_array().unwrap().len(), 1);
    assert_eq!(members[0]["username"], "alice");
    assert_eq!(members[0]["role"], "admin");
    let mine = json_body(alice.get("/api/me/orgs").await).await;
    assert_eq!(mine[0]["name"], "acme");
    assert_eq!(mine[0]["your_role"], "admin");
    // Anyone sees the organization's page, without a role.
    let public = json_body(app.client().get("/api/orgs/acme").await).await;
    assert_eq!(public["display_name"], "Acme Corp.");
    assert!(public["your_role"].is_null());
    assert_eq!(
        app.client().get("/organizations/acme").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_organization_is_created_through_the_html_form() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let csrf = alice.page_csrf("/organizations/new").await;
    let res = alice
        .post_form(
            "/organizations",
            &[
                ("csrf_token", &csrf),
                ("name", "webco"),
                ("display_name", "Web Co"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        alice.role_of("webco", "alice").await.as_deref(),
        Some("admin")
    );
    let page = alice
        .get("/organizations/webco/members")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("alice"), "{page}");
}

#[tokio::test]
async fn anonymous_visitors_cannot_create_organizations() {
    let app = TestApp::spawn().await;
    let (status, error) = error_of(
        app.client()
            .post_json("/api/orgs", json!({"name": "ghost"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(error["code"], "login_required");
    assert_eq!(
        app.client().get("/api/orgs/ghost").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_admin_adds_members_with_an_explicit_role() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.org(&alice, "acme").await;
    let res = alice
        .post_json(
            "/api/orgs/acme/members",
            json!({"username": "bob", "role": "write"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(json_body(res).await["role"], "write");
    assert_eq!(alice.role_of("acme", "bob").await.as_deref(), Some("write"));
    // Bob sees it from his side.
    let mine = json_body(bob.get("/api/me/orgs").await).await;
    assert_eq!(mine[0]["name"], "acme");
    assert_eq!(mine[0]["your_role"], "write");
    assert_eq!(
        json_body(bob.get("/api/orgs/acme").await).await["your_role"],
        "write"
    );
}

#[tokio::test]
async fn adding_someone_twice_or_a_stranger_changes_nothing() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    app.org(&alice, "acme").await;
    app.add_member(&alice, "acme", "bob", "read").await;
    let (status, _) = error_of(
        alice
            .post_json(
                "/api/orgs/acme/members",
                json!({"username": "bob", "role": "admin"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        alice.role_of("acme", "bob").await.as_deref(),
        Some("read"),
        "role unchanged"
    );
    let (status, _) = error_of(
        alice
            .post_json(
                "/api/orgs/acme/members",
                json!({"username": "nobody", "role": "read"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        json_body(alice.get("/api/orgs/acme/members").await)
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn new_members_get_the_default_role() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    app.user("carol").await;
    app.org(&alice, "acme").await;

    let res = alice
        .post_json("/api/orgs/acme/members", json!({"username": "bob"}))
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        alice.role_of("acme", "bob").await.as_deref(),
        Some("read"),
        "the initial default role"
    );

    let res = alice
        .patch_json("/api/orgs/acme", json!({"default_role": "contributor"}))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(json_body(res).await["default_role"], "contributor");
    assert_eq!(
        json_body(app.client().get("/api/orgs/acme").await).await["default_role"],
        "contributor"
    );

    assert_eq!(
        alice
            .post_json("/api/orgs/acme/members", json!({"username": "carol"}))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        alice.role_of("acme", "carol").await.as_deref(),
        Some("contributor")
    );
    assert_eq!(
        alice.role_of("acme", "bob").await.as_deref(),
        Some("read"),
        "existing members keep their role"
    );
}

#[tokio::test]
async fn the_default_role_is_set_through_the_html_settings_page() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    app.org(&alice, "acme").await;
    let csrf = alice.page_csrf("/organizations/acme/settings").await;
    let res = alice
        .post_form(
            "/organizations/acme/settings",
            &[
                ("csrf_token", &csrf),
                ("display_name", "ACME"),
                ("default_role", "write"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // An empty role on the add form means the default role.
    let res = alice
        .post_form(
            "/organizations/acme/members",
            &[("csrf_token", &csrf), ("username", "bob"), ("role", "")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(alice.role_of("acme", "bob").await.as_deref(), Some("write"));
    assert_eq!(
        json_body(alice.get("/api/orgs/acme").await).await["display_name"],
        "ACME"
    );
}

#[tokio::test]
async fn an_admin_changes_roles() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.org(&alice, "acme").await;
    app.add_member(&alice, "acme", "bob", "read").await;
    for role in ["contributor", "write", "admin", "read"] {
        let res = alice
            .patch_json("/api/orgs/acme/members/bob", json!({"role": role}))
            .await;
        assert_eq!(res.status(), StatusCode::OK, "{role}");
        assert_eq!(json_body(res).await["role"], role);
        assert_eq!(
            bob.role_of("acme", "bob").await.as_deref(),
            Some(role),
            "bob sees {role}"
        );
    }
    // Through the HTML form too.
    let csrf = alice.page_csrf("/organizations/acme/members").await;
    let res = alice
        .post_form(
            "/organizations/acme/members/bob/role",
            &[("csrf_token", &csrf), ("role", "write")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(alice.role_of("acme", "bob").await.as_deref(), Some("write"));
}

#[tokio::test]
async fn a_removed_member_loses_access_to_private_content() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.org(&alice, "acme").await;
    app.add_member(&alice, "acme", "bob", "write").await;
    let res = alice
        .post_json(
            "/api/repos",
            json!({"owner": "acme", "kind": "model", "name": "secret", "visibility": "private"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        bob.get("/api/repos/model/acme/secret").await.status(),
        StatusCode::OK
    );

    assert_eq!(
        alice.delete("/api/orgs/acme/members/bob").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(alice.role_of("acme", "bob").await, None);
    assert_eq!(
        bob.get("/api/repos/model/acme/secret").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        bob.get("/api/orgs/acme/members").await.status(),
        StatusCode::FORBIDDEN
    );
    assert!(json_body(bob.get("/api/me/orgs").await)
        .await
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_admin_removes_a_member_through_the_html_form() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    app.org(&alice, "acme").await;
    app.add_member(&alice, "acme", "bob", "read").await;
    let csrf = alice.page_csrf("/organizations/acme/members").await;
    let res = alice
        .post_form(
            "/organizations/acme/members/bob/remove",
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(alice.role_of("acme", "bob").await, None);
}

#[tokio::test]
async fn a_member_can_leave() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    app.org(&alice, "acme").await;
    app.add_member(&alice, "acme", "bob", "read").await;
    app.add_member(&alice, "acme", "carol", "contributor").await;

    assert_eq!(
        bob.delete("/api/orgs/acme/members/bob").await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(alice.role_of("acme", "bob").await, None);
    assert!(json_body(bob.get("/api/me/orgs").await)
        .await
        .as_array()
        .unwrap()
        .is_empty());

    // Through the HTML form, leaving sends the member home.
    let csrf = carol.page_csrf("/organizations/acme/members").await;
    let res = carol
        .post_form(
            "/organizations/acme/members/carol/remove",
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/");
    assert_eq!(alice.role_of("acme", "carol").await, None);
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, "acme").await;
    for role in ["write", "contributor", "read"] {
        let (status, error) = error_of(
            alice
                .patch_json("/api/orgs/acme/members/alice", json!({"role": role}))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{role}");
        assert_eq!(error["code"], "last_admin");
        assert_eq!(
            alice.role_of("acme", "alice").await.as_deref(),
            Some("admin"),
            "role unchanged"
        );
    }
    let csrf = alice.page_csrf("/organizations/acme/members").await;
    let res = alice
        .post_form(
            "/organizations/acme/members/alice/role",
            &[("csrf_token", &csrf), ("role", "read")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(
        alice.role_of("acme", "alice").await.as_deref(),
        Some("admin")
    );
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed_or_leave() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.user("bob").await;
    app.org(&alice, "acme").await;
    app.add_member(&alice, "acme", "bob", "write").await;
    let (status, error) = error_of(alice.delete("/api/orgs/acme/members/alice").await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(error["code"], "last_admin");
    assert_eq!(
        alice.role_of("acme", "alice").await.as_deref(),
        Some("admin")
    );

    let csrf = alice.page_csrf("/organizations/acme/members").await;
    let res = alice
        .post_form(
            "/organizations/acme/members/alice/remove",
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(
        alice.role_of("acme", "alice").await.as_deref(),
        Some("admin")
    );
}

#[tokio::test]
async fn with_a_second_admin_the_first_may_step_down() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.org(&alice, "acme").await;
    app.add_member(&alice, "acme", "bob", "admin").await;
    assert_eq!(
        alice
            .patch_json("/api/orgs/acme/members/alice", json!({"role": "write"}))
            .await
            .status(),
        StatusCode::OK
    );
    // Now bob is the last admin.
    let (status, _) = error_of(
        bob.patch_json("/api/orgs/acme/members/bob", json!({"role": "read"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = error_of(bob.delete("/api/orgs/acme/members/bob").await).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(bob.role_of("acme", "bob").await.as_deref(), Some("admin"));
    assert_eq!(bob.role_of("acme", "alice").await.as_deref(), Some("write"));
}

#[tokio::test]
async fn non_admins_cannot_manage_members_or_settings() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.user("carol").await;
    app.user("dave").await;
    app.org(&alice, "acme").await;
    app.add_member(&alice, "acme", "dave", "read").await;
    for role in ["read", "contributor", "write"] {
        let bob = app.user(&format!("bob-{role}")).await;
        let me = format!("bob-{role}");
        app.add_member(&alice, "acme", &me, role).await;
        let (status, error) = error_of(
            bob.post_json(
                "/api/orgs/acme/members",
                json!({"username": "carol", "role": "read"}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, error["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("forbidden")),
            "{role} adds"
        );
        let (status, _) = error_of(
            bob.patch_json("/api/orgs/acme/members/dave", json!({"role": "admin"}))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role} changes a role");
        let (status, _) = error_of(
            bob.patch_json(
                &format!("/api/orgs/acme/members/{me}"),
                json!({"role": "admin"}),
            )
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role} promotes themselves");
        let (status, _) = error_of(bob.delete("/api/orgs/acme/members/dave").await).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role} removes");
        let (status, _) = error_of(
            bob.patch_json("/api/orgs/acme", json!({"default_role": "admin"}))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role} changes settings");
        assert_eq!(
            bob.get("/organizations/acme/settings").await.status(),
            StatusCode::FORBIDDEN,
            "{role} opens settings"
        );
        let csrf = bob.page_csrf("/organizations/acme/members").await;
        let res = bob
            .post_form(
                "/organizations/acme/members",
                &[
                    ("csrf_token", &csrf),
                    ("username", "carol"),
                    ("role", "admin"),
                ],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::FORBIDDEN,
            "{role} uses the HTML form"
        );

        assert_eq!(
            alice.role_of("acme", &me).await.as_deref(),
            Some(role),
            "{role} unchanged"
        );
        assert_eq!(alice.role_of("acme", "dave").await.as_deref(), Some("read"));
        assert_eq!(alice.role_of("acme", "carol").await, None);
        assert_eq!(
            json_body(alice.get("/api/orgs/acme").await).await["default_role"],
            "read"
        );
    }
}

#[tokio::test]
async fn non_members_cannot_list_members() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let mallory = app.user("mallory").await;
    app.org(&alice, "acme").await;
    let (status, _) = error_of(mallory.get("/api/orgs/acme/members").await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        mallory.get("/organizations/acme/members").await.status(),
        StatusCode::FORBIDDEN
    );
    let (status, _) = error_of(app.client().get("/api/orgs/acme/members").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A non-member cannot add themselves either.
    let (status, _) = error_of(
        mallory
            .post_json(
                "/api/orgs/acme/members",
                json!({"username": "mallory", "role": "admin"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(alice.role_of("acme", "mallory").await, None);
    // A reader may list them.
    app.add_member(&alice, "acme", "mallory", "read").await;
    assert_eq!(
        json_body(mallory.get("/api/orgs/acme/members").await)
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn a_user_belongs_to_several_organizations_with_different_roles() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.org(&alice, "acme").await;
    app.org(&bob, "globex").await;
    app.add_member(&alice, "acme", "bob", "read").await;
    let mine = json_body(bob.get("/api/me/orgs").await).await;
    let roles: Vec<(String, String)> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_owned(),
                o["your_role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("acme".to_owned(), "read".to_owned()),
            ("globex".to_owned(), "admin".to_owned())
        ]
    );
}
