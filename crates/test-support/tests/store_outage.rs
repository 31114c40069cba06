//! A database outage seen from the browser and the API: the released binary
//! on a PostgreSQL database of its own, which then stops accepting
//! connections and has its open ones ended. Pages that need the database
//! answer a 503 error page (not a 500, never a refusal or a login prompt), the
//! API a 503 JSON error, and both recover once the database is back.
//!
//! Needs `ORGSSO_TEST_DATABASE_URL` (a superuser's URL, to create and close
//! the database), `psql` and the built binary; skipped with a note otherwise.

use orgsso_core::{Entropy, OsEntropy};
use orgsso_test_support::operator::{binary, Place, Server};
use orgsso_test_support::{skip_without_peer, StatusCode, PASSWORD};
use serde_json::{json, Value};
use std::process::Command;

/// A scratch database, dropped (its connections ended) when the test ends.
struct ScratchDatabase {
    admin_url: String,
    name: String,
}

impl ScratchDatabase {
    fn create(admin_url: &str) -> ScratchDatabase {
        let token = OsEntropy.token();
        let name = format!("orgsso_outage_{}", &token.expose()[..16]);
        let db = ScratchDatabase {
            admin_url: admin_url.to_owned(),
            name,
        };
        db.psql(&format!("CREATE DATABASE {}", db.name));
        db
    }

    fn psql(&self, sql: &str) {
        let out = Command::new("psql")
            .args([&self.admin_url, "-v", "ON_ERROR_STOP=1", "-qc", sql])
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The URL of this database, from the admin URL.
    fn url(&self) -> String {
        let (base, query) = match self.admin_url.split_once('?') {
            Some((base, query)) => (base, Some(query)),
            None => (self.admin_url.as_str(), None),
        };
        let (server, _) = base.rsplit_once('/').expect("database URL with a path");
        match query {
            Some(query) => format!("{server}/{}?{query}", self.name),
            None => format!("{server}/{}", self.name),
        }
    }

    /// New connections are refused and open ones ended, as in an outage.
    fn go_down(&self) {
        self.psql(&format!(
            "ALTER DATABASE {0} ALLOW_CONNECTIONS false; \
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{0}'",
            self.name
        ));
    }

    fn come_back(&self) {
        self.psql(&format!(
            "ALTER DATABASE {} ALLOW_CONNECTIONS true",
            self.name
        ));
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                &self.admin_url,
                "-qc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

fn psql_installed() -> bool {
    Command::new("psql")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[tokio::test]
async fn a_database_outage_answers_503_pages_and_recovers() {
    let Ok(admin_url) = std::env::var("ORGSSO_TEST_DATABASE_URL") else {
        eprintln!("skipped: ORGSSO_TEST_DATABASE_URL is not set (PostgreSQL only)");
        return;
    };
    if admin_url.is_empty() {
        eprintln!("skipped: ORGSSO_TEST_DATABASE_URL is empty (PostgreSQL only)");
        return;
    }
    if !psql_installed() {
        skip_without_peer("psql is not installed");
        return;
    }
    let Some(bin) = binary() else {
        return;
    };
    let db = ScratchDatabase::create(&admin_url);
    let place = Place {
        data_dir: tempfile::tempdir().expect("temp dir"),
        database_url: Some(db.url()),
    };
    let server = Server::start(&bin, &place).await;

    let mut alice = server.browser();
    let res = alice
        .post_json(
            "/api/signup",
            json!({"username": "alice", "email": "alice@example.com", "password": PASSWORD}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    alice.login("alice", PASSWORD).await;
    let res = alice.post_json("/api/orgs", json!({"name": "acme"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let anonymous = server.browser();
    for (client, path) in [
        (&alice, "/organizations/acme"),
        (&anonymous, "/organizations/acme"),
    ] {
        assert_eq!(client.get(path).await.status(), StatusCode::OK, "{path}");
    }

    db.go_down();
    // Twice each: the first request may meet a pooled connection just ended,
    // the second must open a new one and be refused.
    for round in 0..2 {
        for (who, client, path) in [
            ("alice", &alice, "/organizations/acme"),
            ("alice", &alice, "/settings/account"),
            ("anonymous", &anonymous, "/organizations/acme"),
        ] {
            let res = client.get(path).await;
            let status = res.status();
            let content_type = res
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = res.text().await.unwrap_or_default();
            assert_eq!(
                status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{who} {path} (round {round}): {body}"
            );
            assert!(
                content_type.starts_with("text/html"),
                "{path}: {content_type}"
            );
            assert!(body.contains("try again later"), "{path}: {body}");
        }
        let res = alice.get("/api/orgs/acme").await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "API");
        let body: Value = res.json().await.expect("JSON error");
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
        assert_eq!(
            server.browser().get("/readyz").await.status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
    let log = server.log();
    assert!(
        log.contains("request failed") && log.contains("Unavailable"),
        "the cause is logged:\n{log}"
    );

    db.come_back();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let status = alice.get("/organizations/acme").await.status();
        if status == StatusCode::OK {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {status} after the database came back"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(alice.get("/api/orgs/acme").await.status(), StatusCode::OK);
}
