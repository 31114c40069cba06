//! The operator's command line, run as the built `orgsso` binary: migrate,
//! user and org administration, the outbox, and `serve` with a graceful
//! shutdown on SIGTERM. On SQLite in a temporary data directory, or in a
//! fresh PostgreSQL schema when `ORGSSO_TEST_DATABASE_URL` is set.
//!
//! The binary is not a dependency of this crate, so these tests look for it
//! next to the test executable (`target/debug/orgsso`) and skip with a note
//! when it has not been built (`cargo build -p orgsso`).

use orgsso_test_support::operator::{binary, ok, run, stderr, Place, Server};
use serde_json::json;

const PASSWORD: &str = "operator chosen pw";

/// (arguments, environment, what standard error must mention)
type Failure<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[tokio::test]
async fn migrate_runs_and_can_run_again() {
    let Some(bin) = binary() else { return };
    let place = Place::new().await;
    let first = ok(run(&bin, &["migrate"], &place, &[]), "migrate");
    assert!(first.contains("migrations applied"), "{first}");
    ok(run(&bin, &["migrate"], &place, &[]), "second migrate");
    if place.database_url.is_none() {
        assert!(
            place.data_dir.path().join("orgsso.db").is_file(),
            "SQLite lives in the data directory"
        );
    }
}

#[tokio::test]
async fn users_and_orgs_are_administered_from_the_command_line() {
    let Some(bin) = binary() else { return };
    let place = Place::new().await;
    let pw = [("ORGSSO_NEW_PASSWORD", PASSWORD)];
    let out = ok(
        run(
            &bin,
            &[
                "user",
                "create",
                "--username",
                "alice",
                "--email",
                "alice@example.com",
                "--verified",
            ],
            &place,
            &pw,
        ),
        "user create alice",
    );
    assert!(out.contains("alice"), "{out}");
    ok(
        run(
            &bin,
            &[
                "user",
                "create",
                "--username",
                "bob",
                "--email",
                "bob@example.com",
            ],
            &place,
            &pw,
        ),
        "user create bob",
    );

    let list = ok(run(&bin, &["user", "list"], &place, &[]), "user list");
    let alice = list
        .lines()
        .find(|l| l.starts_with("alice"))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(
        alice.contains("alice@example.com") && !alice.contains("unverified"),
        "{alice}"
    );
    let bob = list
        .lines()
        .find(|l| l.starts_with("bob"))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(bob.contains("bob@example.com (unverified)"), "{bob}");

    let out = ok(
        run(
            &bin,
            &["org", "create", "--name", "acme", "--admin", "alice"],
            &place,
            &[],
        ),
        "org create",
    );
    assert!(out.contains("acme"), "{out}");
    let members = ok(
        run(&bin, &["org", "members", "--name", "acme"], &place, &[]),
        "org members",
    );
    assert_eq!(members.trim(), "alice\tadmin");
    let orgs = ok(run(&bin, &["org", "list"], &place, &[]), "org list");
    assert!(orgs.lines().any(|l| l.starts_with("acme\t")), "{orgs}");

    // Only bob, who was not created --verified, got a link; the outbox shows it.
    let outbox = ok(run(&bin, &["outbox"], &place, &[]), "outbox");
    assert!(outbox.contains("to bob@example.com"), "{outbox}");
    assert!(outbox.contains("/verify-email?token="), "{outbox}");
}

#[tokio::test]
async fn bad_command_line_input_fails_without_changing_anything() {
    let Some(bin) = binary() else { return };
    let place = Place::new().await;
    let pw = [("ORGSSO_NEW_PASSWORD", PASSWORD)];
    ok(
        run(
            &bin,
            &[
                "user",
                "create",
                "--username",
                "alice",
                "--email",
                "alice@example.com",
                "--verified",
            ],
            &place,
            &pw,
        ),
        "user create",
    );
    let failures: [Failure; 5] = [
        (
            &[
                "user",
                "create",
                "--username",
                "b@d",
                "--email",
                "x@example.com",
            ],
            &pw,
            "username",
        ),
        (
            &["user", "create", "--username", "carol", "--email", "nope"],
            &pw,
            "email",
        ),
        (
            &[
                "user",
                "create",
                "--username",
                "carol",
                "--email",
                "c@example.com",
            ],
            &[("ORGSSO_NEW_PASSWORD", "short")],
            "password",
        ),
        (
            &[
                "user",
                "create",
                "--username",
                "ALICE",
                "--email",
                "other@example.com",
            ],
            &pw,
            "already taken",
        ),
        (
            &["org", "create", "--name", "acme", "--admin", "nobody"],
            &[],
            "user",
        ),
    ];
    for (args, env, mention) in failures {
        let out = run(&bin, args, &place, env);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(
            stderr(&out).contains(mention),
            "{args:?}: stderr should mention {mention}: {}",
            stderr(&out)
        );
    }
    let list = ok(run(&bin, &["user", "list"], &place, &[]), "user list");
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(ok(run(&bin, &["org", "list"], &place, &[]), "org list")
        .trim()
        .is_empty());
    let out = run(&bin, &["no-such-command"], &place, &[]);
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}

#[tokio::test]
async fn serve_answers_readyz_and_exits_cleanly_on_sigterm() {
    let Some(bin) = binary() else { return };
    let place = Place::new().await;
    let mut server = Server::start(&bin, &place).await;
    let health = reqwest::get(format!("{}/healthz", server.base_url))
        .await
        .unwrap();
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    let status = server.terminate();
    assert!(status.success(), "exit status {status}:\n{}", server.log());
    let log = server.log();
    assert!(
        log.contains("starting orgsso"),
        "the configuration is logged: {log}"
    );
    assert!(!log.contains("secrets.key\""), "{log}");
    assert!(
        reqwest::get(format!("{}/healthz", server.base_url))
            .await
            .is_err(),
        "the port is closed after exit"
    );
}

#[tokio::test]
async fn a_user_created_on_the_command_line_logs_in_to_the_server() {
    let Some(bin) = binary() else { return };
    let place = Place::new().await;
    let pw = [("ORGSSO_NEW_PASSWORD", PASSWORD)];
    ok(run(&bin, &["migrate"], &place, &[]), "migrate");
    ok(
        run(
            &bin,
            &[
                "user",
                "create",
                "--username",
                "alice",
                "--email",
                "alice@example.com",
                "--verified",
            ],
            &place,
            &pw,
        ),
        "user create",
    );
    ok(
        run(
            &bin,
            &["org", "create", "--name", "acme", "--admin", "alice"],
            &place,
            &[],
        ),
        "org create",
    );

    let mut server = Server::start(&bin, &place).await;
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = http
        .post(format!("{}/api/login", server.base_url))
        .json(&json!({"login": "alice@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let orgs: serde_json::Value = http
        .get(format!("{}/api/me/orgs", server.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orgs[0]["name"], "acme");
    assert_eq!(orgs[0]["your_role"], "admin");
    let me: serde_json::Value = http
        .get(format!("{}/api/me", server.base_url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["emails"][0]["verified"], true);

    // Sign-up through the server lands its link in the outbox the CLI reads.
    let res = reqwest::Client::new().post(format!("{}/api/signup", server.base_url)).json(&json!({"username": "newbie", "email": "newbie@example.com", "password": "long enough pw"})).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::CREATED);
    let outbox = ok(
        run(&bin, &["outbox", "--limit", "5"], &place, &[]),
        "outbox",
    );
    assert!(
        outbox.contains("to newbie@example.com")
            && outbox.contains(&format!("{}/verify-email?token=", server.base_url)),
        "{outbox}"
    );
    assert!(server.terminate().success());
}
