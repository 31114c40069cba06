//! End to end: the hub's OIDC callback against the hostile OP for `nbf` and for
//! claims sent as strings (Auth0, Cognito), and what an org admin reads when the issuer
//! URL they save is some other service on a loopback port.

use orgsso_core::{Clock, OrgName, SystemClock, Username};
use orgsso_test_support::hostile_op::{through_op, Forgery, HostileOp};
use orgsso_test_support::location;
use orgsso_test_support::{Client, StatusCode, TestApp};

const ORG: &str = "acme";

fn settings() -> String {
    format!("/organizations/{ORG}/settings/sso")
}

/// orgsso with organization `acme` administered by alice.
struct Hub {
    app: TestApp,
    admin: Client,
}

impl Hub {
    async fn new() -> Hub {
        let app = TestApp::spawn().await;
        let admin = app.user("alice").await;
        app.org(&admin, ORG).await;
        Hub { app, admin }
    }

    async fn save_config(&self, issuer: &str, client_id: &str, secret: &str) -> reqwest::Response {
        let csrf = self.admin.page_csrf(&settings()).await;
        self.admin
            .post_form(
                &format!("{}/oidc", settings()),
                &[
                    ("csrf_token", csrf.as_str()),
                    ("issuer_url", issuer),
                    ("client_id", client_id),
                    ("client_secret", secret),
                    ("scopes", "openid email profile"),
                    ("email_claim", "email"),
                ],
            )
            .await
    }

    async fn org_id(&self) -> orgsso_core::OrgId {
        self.app
            .store
            .org_by_name(&OrgName::parse(ORG).unwrap())
            .await
            .unwrap()
            .expect("org")
            .id
    }

    async fn has_sso_session(&self, username: &str) -> bool {
        let user = self
            .app
            .store
            .user_by_username(&Username::parse(username).unwrap())
            .await
            .unwrap()
            .expect("user");
        self.app
            .store
            .sso_sessions_of_org(self.org_id().await, SystemClock.now())
            .await
            .unwrap()
            .iter()
            .any(|s| s.user == user.id)
    }

    /// The detail of the newest `sso.test_failed` entry (the admin's test
    /// round trip was refused), if any.
    async fn last_failure(&self) -> Option<String> {
        self.app
            .store
            .audit_log(self.org_id().await, 200)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.event == "sso.test_failed")
            .map(|e| e.detail)
    }
}

/// Each case is a fresh hub whose admin saves and tests the hostile OP, forged as the case
/// says from the start: the test round trip is the callback under test.
#[tokio::test]
async fn nbf_and_string_claims_from_a_hostile_op_are_judged_as_the_rules_say() {
    for (forgery, refused_with) in [
        (Forgery::Honest, None),
        (Forgery::NotYetValid, Some("oidc.not_yet_valid")),
        (Forgery::NbfAfterExp, Some("oidc.nbf_after_exp")),
        (Forgery::StringClaims, None),
        (
            Forgery::StringEmailUnverified,
            Some("oidc.email_not_verified"),
        ),
    ] {
        let hub = Hub::new().await;
        let op = HostileOp::start("orgsso-acme", "alice@example.com").await;
        op.set_forgery(forgery);
        let res = hub
            .save_config(&op.issuer, &op.client_id, &op.client_secret)
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{forgery:?}: save");
        let res = through_op(&hub.admin, &location(&res)).await;
        match refused_with {
            None => {
                assert_eq!(
                    location(&res),
                    format!("{}?done=tested", settings()),
                    "{forgery:?}"
                );
                assert_eq!(hub.last_failure().await, None, "{forgery:?}");
            }
            Some(code) => {
                let status = res.status();
                let page = res.text().await.unwrap();
                assert_eq!(status, StatusCode::FORBIDDEN, "{forgery:?}:\n{page}");
                let failure = hub.last_failure().await.unwrap_or_default();
                assert!(
                    failure.starts_with(&format!("{code}: ")),
                    "{forgery:?}: audit names {failure:?}, expected {code}"
                );
                assert!(!hub.has_sso_session("alice").await, "{forgery:?}");
            }
        }
    }
}

/// A loopback service that is no IdP: `418 I'm a teapot` with a banner, to every request.
async fn teapot() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let body = "\"secret-banner\"";
                let response = format!(
                    "HTTP/1.1 418 I'm a teapot\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    base
}

#[tokio::test]
async fn saving_an_issuer_that_is_another_service_does_not_describe_it_to_the_admin() {
    let hub = Hub::new().await;
    let base = teapot().await;
    let closed = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    for issuer in [base.clone(), format!("http://127.0.0.1:{closed}")] {
        let res = hub.save_config(&issuer, "orgsso-acme", "s").await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{issuer}");
        let page = res.text().await.unwrap();
        assert!(page.contains("issuer_url"), "{issuer}: {page}");
        // The status code as a number of its own: ports, CSRF tokens and ids on the
        // page may hold the digits "418" inside longer words.
        assert!(!has_number(&page, "418"), "{issuer}: the page echoes 418");
        for leak in [
            "teapot",
            "secret-banner",
            "HTTP status",
            "onnection refused",
            "os error",
        ] {
            assert!(!page.contains(leak), "{issuer}: the page echoes {leak:?}");
        }
    }
}

/// Whether `number` occurs in `text` with no letter or digit on either side.
fn has_number(text: &str, number: &str) -> bool {
    let bytes = text.as_bytes();
    text.match_indices(number).any(|(at, _)| {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(at + number.len()).copied();
        [before, after]
            .iter()
            .all(|b| !b.is_some_and(|b| b.is_ascii_alphanumeric()))
    })
}
