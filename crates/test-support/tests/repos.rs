//! Repositories over real HTTP and the role table of SPEC §1: who may view,
//! create, edit and delete, in organizations and in user namespaces. A
//! private repository is invisible (404) to whoever may not read it.

use orgsso_test_support::{json_body, Client, StatusCode, TestApp};
use serde_json::json;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Actor {
    Anonymous,
    NonMember,
    Read,
    Contributor,
    Write,
    Admin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Act {
    View,
    Create,
    EditOwn,
    EditOthers,
    DeleteOwn,
    DeleteOthers,
}

const ACTORS: [Actor; 6] = [
    Actor::Anonymous,
    Actor::NonMember,
    Actor::Read,
    Actor::Contributor,
    Actor::Write,
    Actor::Admin,
];
const VIS: [&str; 2] = ["public", "private"];

impl Actor {
    fn username(self) -> Option<&'static str> {
        match self {
            Actor::Anonymous => None,
            Actor::NonMember => Some("nonmember"),
            Actor::Read => Some("reader"),
            Actor::Contributor => Some("contrib"),
            Actor::Write => Some("writer"),
            Actor::Admin => Some("admin2"),
        }
    }
    fn tag(self) -> &'static str {
        self.username().unwrap_or("anon")
    }
}

async fn create(
    client: &Client,
    owner: &str,
    name: &str,
    visibility: &str,
    readme: &str,
) -> StatusCode {
    client.post_json("/api/repos", json!({"owner": owner, "kind": "model", "name": name, "visibility": visibility, "readme": readme})).await.status()
}

/// The README of `models/{owner}/{name}` as `viewer` sees it, or `None` if hidden or gone.
async fn readme(viewer: &Client, owner: &str, name: &str) -> Option<String> {
    let res = viewer
        .get(&format!("/api/repos/model/{owner}/{name}"))
        .await;
    if res.status() == StatusCode::NOT_FOUND {
        return None;
    }
    assert_eq!(res.status(), StatusCode::OK);
    Some(json_body(res).await["readme"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn organization_repositories_follow_the_role_table() {
    use Act::*;
    use Actor::*;
    let app = TestApp::spawn().await;
    let owner = app.user("owner").await;
    app.org(&owner, "acme").await;
    let mut clients = Vec::new();
    for actor in ACTORS {
        let client = match actor.username() {
            Some(name) => app.user(name).await,
            None => app.client(),
        };
        clients.push((actor, client));
    }
    let client_of = |actor: Actor| &clients.iter().find(|(a, _)| *a == actor).unwrap().1;

    // Fixtures: repos of the owner, and repos each member created while a
    // contributor; then the reader is demoted and the non-member removed.
    for vis in VIS {
        assert_eq!(
            create(&owner, "acme", &format!("view-{vis}"), vis, "original").await,
            StatusCode::CREATED
        );
        for actor in ACTORS {
            for act in ["edit", "delete"] {
                let name = format!("others-{}-{act}-{vis}", actor.tag());
                assert_eq!(
                    create(&owner, "acme", &name, vis, "original").await,
                    StatusCode::CREATED
                );
            }
        }
    }
    for actor in [NonMember, Read, Contributor, Write, Admin] {
        let name = actor.username().unwrap();
        let role = match actor {
            Write => "write",
            Admin => "admin",
            _ => "contributor",
        };
        app.add_member(&owner, "acme", name, role).await;
        for vis in VIS {
            for act in ["edit", "delete"] {
                let repo = format!("own-{name}-{act}-{vis}");
                assert_eq!(
                    create(client_of(actor), "acme", &repo, vis, "original").await,
                    StatusCode::CREATED,
                    "{repo}"
                );
            }
        }
    }
    assert_eq!(
        owner
            .patch_json("/api/orgs/acme/members/reader", json!({"role": "read"}))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        owner
            .delete("/api/orgs/acme/members/nonmember")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );

    const OK: u16 = 200;
    const CREATED: u16 = 201;
    const GONE: u16 = 204;
    const LOGIN: u16 = 401;
    const DENIED: u16 = 403;
    const HIDDEN: u16 = 404;
    #[rustfmt::skip]
    let table: &[(Actor, Act, &str, u16)] = &[
        (Anonymous, View, "public", OK),           (Anonymous, View, "private", HIDDEN),
        (Anonymous, Create, "public", LOGIN),      (Anonymous, Create, "private", LOGIN),
        (Anonymous, EditOthers, "public", LOGIN),  (Anonymous, EditOthers, "private", LOGIN),
        (Anonymous, DeleteOthers, "public", LOGIN),(Anonymous, DeleteOthers, "private", LOGIN),

        (NonMember, View, "public", OK),           (NonMember, View, "private", HIDDEN),
        (NonMember, Create, "public", DENIED),     (NonMember, Create, "private", DENIED),
        (NonMember, EditOwn, "public", DENIED),    (NonMember, EditOwn, "private", HIDDEN),
        (NonMember, EditOthers, "public", DENIED), (NonMember, EditOthers, "private", HIDDEN),
        (NonMember, DeleteOwn, "public", DENIED),  (NonMember, DeleteOwn, "private", HIDDEN),
        (NonMember, DeleteOthers, "public", DENIED),(NonMember, DeleteOthers, "private", HIDDEN),

        (Read, View, "public", OK),                (Read, View, "private", OK),
        (Read, Create, "public", DENIED),          (Read, Create, "private", DENIED),
        (Read, EditOwn, "public", DENIED),         (Read, EditOwn, "private", DENIED),
        (Read, EditOthers, "public", DENIED),      (Read, EditOthers, "private", DENIED),
        (Read, DeleteOwn, "public", DENIED),       (Read, DeleteOwn, "private", DENIED),
        (Read, DeleteOthers, "public", DENIED),    (Read, DeleteOthers, "private", DENIED),

        (Contributor, View, "public", OK),         (Contributor, View, "private", OK),
        (Contributor, Create, "public", CREATED),  (Contributor, Create, "private", CREATED),
        (Contributor, EditOwn, "public", OK),      (Contributor, EditOwn, "private", OK),
        (Contributor, EditOthers, "public", DENIED),(Contributor, EditOthers, "private", DENIED),
        (Contributor, DeleteOwn, "public", GONE),  (Contributor, DeleteOwn, "private", GONE),
        (Contributor, DeleteOthers, "public", DENIED),(Contributor, DeleteOthers, "private", DENIED),

        (Write, View, "public", OK),               (Write, View, "private", OK),
        (Write, Create, "public", CREATED),        (Write, Create, "private", CREATED),
        (Write, EditOwn, "public", OK),            (Write, EditOwn, "private", OK),
        (Write, EditOthers, "public", OK),         (Write, EditOthers, "private", OK),
        (Write, DeleteOwn, "public", GONE),        (Write, DeleteOwn, "private", GONE),
        (Write, DeleteOthers, "public", GONE),     (Write, DeleteOthers, "private", GONE),

        (Admin, View, "public", OK),               (Admin, View, "private", OK),
        (Admin, Create, "public", CREATED),        (Admin, Create, "private", CREATED),
        (Admin, EditOwn, "public", OK),            (Admin, EditOwn, "private", OK),
        (Admin, EditOthers, "public", OK),         (Admin, EditOthers, "private", OK),
        (Admin, DeleteOwn, "public", GONE),        (Admin, DeleteOwn, "private", GONE),
        (Admin, DeleteOthers, "public", GONE),     (Admin, DeleteOthers, "private", GONE),
    ];
    for &(actor, act, vis, expected) in table {
        let who = client_of(actor);
        let tag = actor.tag();
        let case = format!("{actor:?} × {act:?} × {vis}");
        let allowed = expected < 300;
        match act {
            View => {
                let api = who
                    .get(&format!("/api/repos/model/acme/view-{vis}"))
                    .await
                    .status();
                assert_eq!(api.as_u16(), expected, "{case} (API)");
                let page = who.get(&format!("/models/acme/view-{vis}")).await.status();
                assert_eq!(page.as_u16(), expected, "{case} (page)");
                let listed = json_body(who.get("/api/repos/acme").await).await;
                let names: Vec<&str> = listed
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["name"].as_str().unwrap())
                    .collect();
                assert_eq!(
                    names.contains(&format!("view-{vis}").as_str()),
                    allowed,
                    "{case} (listing)"
                );
            }
            Create => {
                let name = format!("new-{tag}-{vis}");
                assert_eq!(
                    create(who, "acme", &name, vis, "new").await.as_u16(),
                    expected,
                    "{case}"
                );
                assert_eq!(
                    readme(&owner, "acme", &name).await.is_some(),
                    allowed,
                    "{case}: exists afterwards"
                );
            }
            EditOwn | EditOthers => {
                let name = if act == EditOwn {
                    format!("own-{tag}-edit-{vis}")
                } else {
                    format!("others-{tag}-edit-{vis}")
                };
                let res = who
                    .patch_json(
                        &format!("/api/repos/model/acme/{name}"),
                        json!({"readme": format!("edited by {tag}")}),
                    )
                    .await;
                assert_eq!(res.status().as_u16(), expected, "{case}");
                let after = readme(&owner, "acme", &name).await.unwrap();
                let want = if allowed {
                    format!("edited by {tag}")
                } else {
                    "original".to_owned()
                };
                assert_eq!(after, want, "{case}: README afterwards");
            }
            DeleteOwn | DeleteOthers => {
                let name = if act == DeleteOwn {
                    format!("own-{tag}-delete-{vis}")
                } else {
                    format!("others-{tag}-delete-{vis}")
                };
                assert_eq!(
                    who.delete(&format!("/api/repos/model/acme/{name}"))
                        .await
                        .status()
                        .as_u16(),
                    expected,
                    "{case}"
                );
                assert_eq!(
                    readme(&owner, "acme", &name).await.is_none(),
                    allowed,
                    "{case}: gone afterwards"
                );
            }
        }
    }
}

#[tokio::test]
async fn user_repositories_are_written_only_by_their_owner() {
    use Act::*;
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let anonymous = app.client();
    // Bob is alice's fellow admin in an org: that gives him nothing in her namespace.
    app.org(&alice, "acme").await;
    app.add_member(&alice, "acme", "bob", "admin").await;
    for vis in VIS {
        for name in [
            "view",
            "edit-alice",
            "edit-bob",
            "edit-anon",
            "delete-alice",
            "delete-bob",
            "delete-anon",
        ] {
            assert_eq!(
                create(&alice, "alice", &format!("{name}-{vis}"), vis, "original").await,
                StatusCode::CREATED
            );
        }
    }
    #[rustfmt::skip]
    let table: &[(&str, Act, &str, u16)] = &[
        ("alice", View, "public", 200), ("alice", View, "private", 200),
        ("alice", Create, "public", 201), ("alice", Create, "private", 201),
        ("alice", EditOwn, "public", 200), ("alice", EditOwn, "private", 200),
        ("alice", DeleteOwn, "public", 204), ("alice", DeleteOwn, "private", 204),
        ("bob", View, "public", 200), ("bob", View, "private", 404),
        ("bob", Create, "public", 403), ("bob", Create, "private", 403),
        ("bob", EditOthers, "public", 403), ("bob", EditOthers, "private", 404),
        ("bob", DeleteOthers, "public", 403), ("bob", DeleteOthers, "private", 404),
        ("anon", View, "public", 200), ("anon", View, "private", 404),
        ("anon", Create, "public", 401), ("anon", Create, "private", 401),
        ("anon", EditOthers, "public", 401), ("anon", EditOthers, "private", 401),
        ("anon", DeleteOthers, "public", 401), ("anon", DeleteOthers, "private", 401),
    ];
    for &(who_name, act, vis, expected) in table {
        let who = match who_name {
            "alice" => &alice,
            "bob" => &bob,
            _ => &anonymous,
        };
        let case = format!("{who_name} × {act:?} × {vis}");
        let allowed = expected < 300;
        match act {
            View => {
                assert_eq!(
                    who.get(&format!("/api/repos/model/alice/view-{vis}"))
                        .await
                        .status()
                        .as_u16(),
                    expected,
                    "{case}"
                );
                assert_eq!(
                    who.get(&format!("/models/alice/view-{vis}"))
                        .await
                        .status()
                        .as_u16(),
                    expected,
                    "{case} (page)"
                );
                let listed = json_body(who.get("/api/repos/alice").await).await;
                let names: Vec<&str> = listed
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["name"].as_str().unwrap())
                    .collect();
                assert_eq!(
                    names.contains(&format!("view-{vis}").as_str()),
                    allowed,
                    "{case} (listing)"
                );
            }
            Create => {
                let name = format!("new-{who_name}-{vis}");
                assert_eq!(
                    create(who, "alice", &name, vis, "new").await.as_u16(),
                    expected,
                    "{case}"
                );
                assert_eq!(
                    readme(&alice, "alice", &name).await.is_some(),
                    allowed,
                    "{case}: exists afterwards"
                );
            }
            EditOwn | EditOthers => {
                let name = format!("edit-{who_name}-{vis}");
                let res = who
                    .patch_json(
                        &format!("/api/repos/model/alice/{name}"),
                        json!({"readme": "changed"}),
                    )
                    .await;
                assert_eq!(res.status().as_u16(), expected, "{case}");
                let want = if allowed { "changed" } else { "original" };
                assert_eq!(
                    readme(&alice, "alice", &name).await.as_deref(),
                    Some(want),
                    "{case}: README afterwards"
                );
            }
            DeleteOwn | DeleteOthers => {
                let name = format!("delete-{who_name}-{vis}");
                assert_eq!(
                    who.delete(&format!("/api/repos/model/alice/{name}"))
                        .await
                        .status()
                        .as_u16(),
                    expected,
                    "{case}"
                );
                assert_eq!(
                    readme(&alice, "alice", &name).await.is_none(),
                    allowed,
                    "{case}: gone afterwards"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_readme_is_shown_on_the_repo_page_html_escaped() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let readme = "# Tiny model\n\n<script>alert('x')</script> & <b>bold</b>";
    assert_eq!(
        create(&alice, "alice", "tiny", "public", readme).await,
        StatusCode::CREATED
    );
    let res = app.client().get("/models/alice/tiny").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("# Tiny model"), "{page}");
    // Named (`&lt;`) or numeric (`&#60;`) references: both display as text.
    assert!(
        page.contains("&lt;script&gt;") || page.contains("&#60;script&#62;"),
        "{page}"
    );
    assert!(
        !page.contains("<script>"),
        "the README must not inject markup: {page}"
    );
    assert!(!page.contains("<b>bold</b>"), "{page}");
    assert!(page.contains("&amp;") || page.contains("&#38;"), "{page}");
}

#[tokio::test]
async fn a_repository_is_created_edited_and_deleted_through_the_html_forms() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    app.org(&alice, "acme").await;
    let csrf = alice.page_csrf("/new").await;
    let new_page = alice.get("/new").await.text().await.unwrap();
    assert!(
        new_page.contains("acme"),
        "the org is offered as an owner: {new_page}"
    );
    let res = alice
        .post_form(
            "/new",
            &[
                ("csrf_token", &csrf),
                ("owner", "acme"),
                ("kind", "dataset"),
                ("name", "corpus"),
                ("visibility", "private"),
                ("readme", "first"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/datasets/acme/corpus");
    let page = alice
        .get("/datasets/acme/corpus")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("first") && page.contains("private"), "{page}");
    assert_eq!(
        app.client().get("/datasets/acme/corpus").await.status(),
        StatusCode::NOT_FOUND
    );

    assert_eq!(
        alice.get("/datasets/acme/corpus/edit").await.status(),
        StatusCode::OK
    );
    let res = alice
        .post_form(
            "/datasets/acme/corpus/edit",
            &[
                ("csrf_token", &csrf),
                ("visibility", "public"),
                ("readme", "second"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = app.client().get("/datasets/acme/corpus").await;
    assert_eq!(page.status(), StatusCode::OK, "now public");
    assert!(page.text().await.unwrap().contains("second"));

    let res = alice
        .post_form("/datasets/acme/corpus/delete", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.client().get("/datasets/acme/corpus").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn readers_get_no_edit_page_and_no_edit_controls() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.org(&alice, "acme").await;
    app.add_member(&alice, "acme", "bob", "read").await;
    assert_eq!(
        create(&alice, "acme", "mm", "private", "hi").await,
        StatusCode::CREATED
    );
    let page = bob.get("/models/acme/mm").await.text().await.unwrap();
    assert!(!page.contains("/models/acme/mm/edit"), "{page}");
    assert!(!page.contains("/models/acme/mm/delete"), "{page}");
    assert_eq!(
        bob.get("/models/acme/mm/edit").await.status(),
        StatusCode::FORBIDDEN
    );
    let csrf = bob.page_csrf("/models/acme/mm").await;
    assert_eq!(
        bob.post_form("/models/acme/mm/delete", &[("csrf_token", &csrf)])
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(readme(&alice, "acme", "mm").await.as_deref(), Some("hi"));
    let admin_page = alice.get("/models/acme/mm").await.text().await.unwrap();
    assert!(
        admin_page.contains("/models/acme/mm/edit")
            && admin_page.contains("/models/acme/mm/delete")
    );
}

#[tokio::test]
async fn models_datasets_and_spaces_have_their_own_names_and_urls() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    for (kind, plural) in [
        ("model", "models"),
        ("dataset", "datasets"),
        ("space", "spaces"),
    ] {
        let res = alice
            .post_json(
                "/api/repos",
                json!({"owner": "alice", "kind": kind, "name": "same-name", "readme": kind}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "{kind}");
        assert_eq!(
            json_body(res).await["path"],
            format!("/{plural}/alice/same-name")
        );
        assert!(app
            .client()
            .get(&format!("/{plural}/alice/same-name"))
            .await
            .text()
            .await
            .unwrap()
            .contains(kind));
        assert_eq!(
            json_body(
                app.client()
                    .get(&format!("/api/repos/{kind}/alice/same-name"))
                    .await
            )
            .await["readme"],
            kind
        );
    }
    let res = alice
        .post_json(
            "/api/repos",
            json!({"owner": "alice", "kind": "model", "name": "Same-Name"}),
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::CONFLICT,
        "a repo name is unique per owner and kind"
    );
    assert_eq!(
        json_body(app.client().get("/api/repos/alice").await)
            .await
            .as_array()
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn repositories_default_to_public() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    let res = alice
        .post_json(
            "/api/repos",
            json!({"owner": "alice", "kind": "model", "name": "open"}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert_eq!(
        json_body(app.client().get("/api/repos/model/alice/open").await).await["visibility"],
        "public"
    );
}

#[tokio::test]
async fn making_a_repository_private_hides_it_from_outsiders() {
    let app = TestApp::spawn().await;
    let alice = app.user("alice").await;
    assert_eq!(
        create(&alice, "alice", "flip", "public", "x").await,
        StatusCode::CREATED
    );
    assert_eq!(
        app.client()
            .get("/api/repos/model/alice/flip")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        alice
            .patch_json(
                "/api/repos/model/alice/flip",
                json!({"visibility": "private"})
            )
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.client()
            .get("/api/repos/model/alice/flip")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.user("bob")
            .await
            .get("/models/alice/flip")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        readme(&alice, "alice", "flip").await.as_deref(),
        Some("x"),
        "the README is kept"
    );
}
