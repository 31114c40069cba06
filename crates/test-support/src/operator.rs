//! The built `orgsso` binary, run as an operator runs it: one-shot commands
//! (`migrate`, `user`, `org`, `sso`) and `orgsso serve` in the background,
//! on a temporary data directory or, when `ORGSSO_TEST_DATABASE_URL` is set,
//! a fresh PostgreSQL schema.
//!
//! The binary is not a dependency of this crate, so it is looked for next to
//! the test executable (`target/debug/orgsso`); a test without it is skipped
//! with a note (or fails, under `ORGSSO_TEST_REQUIRE_PEERS`).

use crate::skip_without_peer;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The built `orgsso` next to the test executable, or `None` (skipped).
pub fn binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    // target/debug/deps/<test>-<hash> → target/debug/orgsso
    let candidate = exe
        .parent()?
        .parent()?
        .join(format!("orgsso{}", std::env::consts::EXE_SUFFIX));
    if candidate.is_file() {
        return Some(candidate);
    }
    skip_without_peer(&format!(
        "{} not found; run `cargo build -p orgsso` first",
        candidate.display()
    ));
    None
}

/// `url` with a fresh, empty schema as its search path.
pub async fn fresh_schema(url: &str) -> String {
    orgsso_store_postgres::PostgresStore::fresh_schema_url(url)
        .await
        .expect("create a PostgreSQL schema")
}

/// A free loopback port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// `--data-dir` and, on the PostgreSQL run, `--database-url` of a fresh
/// schema: the database the server and the operator's commands share.
pub struct Place {
    pub data_dir: tempfile::TempDir,
    pub database_url: Option<String>,
}

impl Place {
    pub async fn new() -> Place {
        let database_url = match std::env::var("ORGSSO_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Some(fresh_schema(&url).await),
            _ => None,
        };
        Place {
            data_dir: tempfile::tempdir().expect("temp dir"),
            database_url,
        }
    }

    pub fn args(&self) -> Vec<String> {
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

/// `orgsso` without the settings this process may have in its environment.
pub fn command(bin: &Path) -> Command {
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
pub fn run(bin: &Path, args: &[&str], place: &Place, env: &[(&str, &str)]) -> Output {
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
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("orgsso {args:?} did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Standard output of a command that must have succeeded.
pub fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

/// `orgsso serve` in the background on the place's database; killed on drop
/// if still running.
pub struct Server {
    child: std::process::Child,
    pub base_url: String,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts it and waits (bounded) until `/readyz` answers.
    pub async fn start(bin: &Path, place: &Place) -> Server {
        let port = free_port();
        let base_url = format!("http://127.0.0.1:{port}");
        let log = place.data_dir.path().join("serve.log");
        let file = std::fs::File::create(&log).expect("log file");
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
            if let Some(status) = server.child.try_wait().expect("wait") {
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
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits (bounded) for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM {pid}");
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
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

    /// A new browser for this server, not logged in.
    pub fn browser(&self) -> crate::Client {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        crate::Client {
            http,
            base_url: self.base_url.clone(),
            csrf: None,
            token: None,
        }
    }
}
