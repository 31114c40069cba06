//! The operator's command line, run as the built `orgsso` binary: migrate,
//! user and org administration, the outbox, and `serve` with a graceful
//! shutdown on SIGTERM. On SQLite in a temporary data directory, or in a
//! fresh PostgreSQL schema when `ORGSSO_TEST_DATABASE_URL` is set.
//!
//! The binary is not a dependency of this crate, so these tests look for it
//! next to the test executable (`target/debug/orgsso`) and skip with a note
//! when it has not been built (`cargo build -p orgsso`).

use orgsso_core::Entropy;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PASSWORD: &str = "operator chosen pw";

/// (arguments, environment, what standard error must mention)
type Failure<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

fn binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    // target/debug/deps/cli-<hash> → target/debug/orgsso
    let candidate = exe
        .parent()?
        .parent()?
        .join(format!("orgsso{}", std::env::consts::EXE_SUFFIX));
    if candidate.is_file() {
        return Some(candidate);
    }
    orgsso_test_support::skip_without_peer(&format!(
        "{} not found; run `cargo build -p orgsso` first",
        candidate.display()
    ));
    None
}

/// `--data-dir` and, on the PostgreSQL run, `--database-url` of a fresh schema.
struct Place {
    data_dir: tempfile::TempDir,
    database_url: Option<String>,
}

impl Place {
    async fn new() -> Place {
        let data_dir = tempfile::tempdir().unwrap();
        let database_url = match std::env::var("ORGSSO_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Some(fresh_schema(&url).await),
            _ => None,
        };
        Place {
            data_dir,
            database_url,
        }
    }

    fn args(&self) -> Vec<String> {
        let mut args = vec![
            "--data-dir".to_owned(),
            self.data_dir.path().display().to_string(),
        ];
        if let Some(url) = &self.database_url {
            args.extend(["--database-url".to_owned(), url.clone()]);
        }
        args
    }
}

async fn fresh_schema(url: &str) -> String {
    use sqlx::Connection;
    let schema = format!(
        "orgsso_cli_{}",
        &orgsso_core::OsEntropy.token().expose()[..16]
    );
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(&mut conn)
        .await
        .expect("create schema");
    conn.close().await.unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options[search_path]={schema}")
}

fn command(bin: &Path) -> Command {
    let mut cmd = Command::new(bin);
    for var in [
        "ORGSSO_DATABASE_URL",
        "ORGSSO_DATA_DIR",
        "ORGSSO_LISTEN",
        "ORGSSO_BASE_URL",
        "ORGSSO_NEW_PASSWORD",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("ORGSSO_LOG", "warn").stdin(Stdio::null());
    cmd
}

/// Runs `orgsso <args> <place args>` to completion, bounded by a timeout.
fn run(bin: &Path, args: &[&str], place: &Place, env: &[(&str, &str)]) -> Output {
    let mut cmd = command(bin);
    cmd.args(args)
        .args(place.args())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn orgsso");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("orgsso {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `orgsso serve` in the background; killed on drop if still running.
struct Server {
    child: std::process::Child,
    base_url: String,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn start(bin: &Path, place: &Place) -> Server {
        let port = free_port();
        let base_url = format!("http://127.0.0.1:{port}");
        let log = place.data_dir.path().join("serve.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = command(bin)
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--base-url",
                &base_url,
            ])
            .args(place.args())
            .env("ORGSSO_LOG", "info")
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("spawn orgsso serve");
        let mut server = Server {
            child,
            base_url,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("orgsso serve exited early ({status}):\n{}", server.log());
            }
            if let Ok(res) = reqwest::get(format!("{}/readyz", server.base_url)).await {
                if res.status().is_success() {
                    return server;
                }
            }
            assert!(
                Instant::now() < deadline,
                "orgsso serve not ready within 60 s:\n{}",
                server.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "orgsso serve did not stop within 30 s of SIGTERM:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
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
