//! An organization `acme`, administered by alice, with an OIDC configuration
//! at the in-process OpenID Provider answering honestly, saved and tested by
//! alice with her own email: the fast way to reach "SSO configured" for
//! tests of the hub's own rules (the real IdPs are driven elsewhere).

use crate::hostile_op::{through_op, HostileOp};
pub use crate::location;
use crate::{json_body, Client, StatusCode, TestApp};
use orgsso_core::{Clock, SystemClock};
use serde_json::{json, Value};
use std::sync::Arc;

pub const ORG: &str = "acme";

pub struct OidcOrg {
    pub app: TestApp,
    pub admin: Client,
    pub op: HostileOp,
    pub config_id: i64,
}

impl OidcOrg {
    /// The configuration saved with `extra` fields in its body.
    pub async fn new(extra: Value) -> OidcOrg {
        Self::with_clock(extra, Arc::new(SystemClock)).await
    }

    /// The same, with the hub and the OP's ID tokens on `clock`.
    pub async fn with_clock(extra: Value, clock: Arc<dyn Clock>) -> OidcOrg {
        let app = TestApp::spawn_with_clock(clock.clone()).await;
        let admin = app.user("alice").await;
        app.org(&admin, ORG).await;
        let op = HostileOp::start("orgsso-acme", "alice@example.com").await;
        op.set_clock(clock);
        let mut body = json!({"issuer_url": op.issuer, "client_id": op.client_id, "client_secret": op.client_secret});
        for (k, v) in extra.as_object().expect("extra fields") {
            body[k] = v.clone();
        }
        let res = admin
            .post_json(&format!("/api/orgs/{ORG}/sso/oidc"), body)
            .await;
        assert_eq!(res.status(), StatusCode::CREATED, "save configuration");
        let saved = json_body(res).await;
        let res = through_op(&admin, saved["test_url"].as_str().expect("test_url")).await;
        assert_eq!(
            location(&res),
            format!("/organizations/{ORG}/settings/sso?done=tested")
        );
        let config_id = saved["config_id"].as_i64().expect("config_id");
        OidcOrg {
            app,
            admin,
            op,
            config_id,
        }
    }

    /// Enables SSO in `mode` (the admin does not sign in).
    pub async fn enable_only(&self, mode: &str) {
        let res = self
            .admin
            .post_json(
                &format!("/api/orgs/{ORG}/sso/enable"),
                json!({"config_id": self.config_id, "mode": mode}),
            )
            .await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "enable {mode}");
    }

    /// Enables SSO in `mode`, then signs the admin in through the IdP.
    pub async fn enable(&self, mode: &str) {
        self.enable_only(mode).await;
        self.sign_in(&self.admin, "alice").await;
    }

    /// `browser` signs in to acme through the IdP as `{name}@example.com`.
    pub async fn sign_in(&self, browser: &Client, name: &str) -> reqwest::Response {
        self.op.set_email(&format!("{name}@example.com"));
        let res = browser.get(&format!("/organizations/{ORG}/sso")).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "start SSO as {name}");
        through_op(browser, &location(&res)).await
    }

    /// A new user `name` (verified `{name}@example.com`), a `read` member.
    pub async fn member(&self, name: &str) -> Client {
        let client = self.app.user(name).await;
        self.app.add_member(&self.admin, ORG, name, "read").await;
        client
    }

    /// `GET /api/orgs/acme/sso` as the admin.
    pub async fn state(&self) -> Value {
        let res = self.admin.get(&format!("/api/orgs/{ORG}/sso")).await;
        assert_eq!(res.status(), StatusCode::OK, "SSO state");
        json_body(res).await
    }

    /// The audit log, newest first, as `"event detail"` lines.
    pub async fn audit_events(&self) -> Vec<String> {
        self.admin
            .sso_audit(ORG)
            .await
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["event"].as_str().unwrap_or_default(),
                    e["detail"].as_str().unwrap_or_default()
                )
            })
            .collect()
    }
}
