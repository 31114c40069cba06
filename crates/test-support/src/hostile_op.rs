//! A hostile OpenID Provider on a loopback port, for hub-level tests: it
//! serves discovery, JWKS, an authorization endpoint that sends the browser
//! straight back with a code (no login form), a token endpoint that checks
//! the client and PKCE, and userinfo. The ID token it mints (or the `iss`
//! of its authorization response) is honest or broken in one way, as
//! [`HostileOp::set_forgery`] says.
//!
//! Keys: the RSA test keys of `crates/oidc/tests/fixtures/`; the JWKS
//! publishes RSA key A, never RSA key B, until [`HostileOp::rotate_keys`]
//! makes key B the published and signing one.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use orgsso_core::{Clock, SystemClock};
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair, RsaPublicKeyComponents};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

const RSA_A_PEM: &str = include_str!("../../oidc/tests/fixtures/rsa-a.pem");
const RSA_B_PEM: &str = include_str!("../../oidc/tests/fixtures/rsa-b.pem");

/// How the next ID tokens are broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forgery {
    /// A correct ID token.
    Honest,
    WrongIssuer,
    WrongAudience,
    /// `exp` an hour ago.
    Expired,
    /// `iat` an hour from now.
    IssuedInFuture,
    /// `nbf` an hour from now, `exp` after it.
    NotYetValid,
    /// `nbf` an hour from now, after its own `exp` (five minutes from now): never valid.
    NbfAfterExp,
    /// `alg: none`, no signature.
    AlgNone,
    /// HS256 keyed with the published RSA public key.
    Hs256WithRsaPublicKey,
    /// RS256 with one bit of the signature flipped.
    BadSignature,
    /// Signed by a key the JWKS does not publish.
    UnknownKid,
    NonceMismatch,
    NonceMissing,
    /// Neither the ID token nor userinfo carry an email.
    MissingEmail,
    /// `email_verified: false`.
    EmailUnverified,
    /// Honest, with the claims as Auth0 and Cognito send them: `updated_at` as an ISO date
    /// and `"email_verified": "true"` as a string, in the ID token and userinfo.
    StringClaims,
    /// `"email_verified": "false"`, a string.
    StringEmailUnverified,
    /// The authorization response names another issuer (RFC 9207 `iss`).
    CallbackIssuerMismatch,
    /// The authorization response has no `iss`, though discovery promises one.
    CallbackIssuerMissing,
    /// The ID token and userinfo carry no `sub`.
    MissingSubject,
    /// No `auth_time`, though the request carried `max_age`.
    AuthTimeMissing,
    /// `auth_time` two hours ago, whatever `max_age` asked.
    AuthTimeTooOld,
}

struct Grant {
    challenge: String,
    nonce: String,
    /// `max_age` or `prompt=login` was requested: an honest OP says when the user
    /// authenticated (here: just now).
    reauthenticate: bool,
    used: bool,
}

struct OpState {
    issuer: String,
    client_id: String,
    client_secret: String,
    forgery: Forgery,
    email: String,
    grants: HashMap<String, Grant>,
    /// access token → userinfo body
    userinfo: HashMap<String, Value>,
    token_requests: usize,
    /// Claims added to (or replacing those of) every following ID token.
    extra_claims: Map<String, Value>,
    /// Claims added to every following userinfo answer only.
    userinfo_claims: Map<String, Value>,
    /// Whose time the ID tokens are minted at.
    clock: Arc<dyn Clock>,
    /// The discovery endpoint answers 503 while set.
    discovery_down: bool,
    discovery_requests: usize,
    /// The query of the latest authorization request.
    last_authorize: HashMap<String, String>,
    /// Key B replaced key A (published and signing).
    rotated: bool,
    jwks_requests: usize,
}

type Shared = Arc<Mutex<OpState>>;

pub struct HostileOp {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    state: Shared,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

struct Keys {
    rsa_a: RsaKeyPair,
    rsa_b: RsaKeyPair,
    rng: SystemRandom,
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).expect("PEM body")
}

fn keys() -> &'static Keys {
    static KEYS: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| Keys {
        rsa_a: RsaKeyPair::from_pkcs8(&pem_der(RSA_A_PEM)).expect("rsa-a"),
        rsa_b: RsaKeyPair::from_pkcs8(&pem_der(RSA_B_PEM)).expect("rsa-b"),
        rng: SystemRandom::new(),
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn rsa_jwk(pair: &RsaKeyPair, kid: &str) -> Value {
    let parts = RsaPublicKeyComponents::<Vec<u8>>::from(pair.public());
    json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": b64(&parts.n), "e": b64(&parts.e)})
}

/// A compact JWS of `claims` with header `alg`/`kid`, signed as `forgery` says.
fn mint(forgery: Forgery, rotated: bool, claims: &Map<String, Value>) -> String {
    let k = keys();
    let (alg, kid) = match forgery {
        Forgery::AlgNone => ("none", "rsa-a"),
        Forgery::Hs256WithRsaPublicKey => ("HS256", "rsa-a"),
        Forgery::UnknownKid => ("RS256", "rsa-b"),
        _ if rotated => ("RS256", "rsa-b"),
        _ => ("RS256", "rsa-a"),
    };
    let header = json!({"alg": alg, "typ": "JWT", "kid": kid});
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(Value::Object(claims.clone()).to_string().as_bytes())
    );
    let rsa_sign = |pair: &RsaKeyPair| {
        let mut sig = vec![0; pair.public().modulus_len()];
        pair.sign(
            &signature::RSA_PKCS1_SHA256,
            &k.rng,
            input.as_bytes(),
            &mut sig,
        )
        .expect("RSA signature");
        sig
    };
    let signature = match forgery {
        Forgery::AlgNone => Vec::new(),
        Forgery::Hs256WithRsaPublicKey => {
            let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, k.rsa_a.public().as_ref());
            ring::hmac::sign(&key, input.as_bytes()).as_ref().to_vec()
        }
        Forgery::UnknownKid => rsa_sign(&k.rsa_b),
        _ if rotated => rsa_sign(&k.rsa_b),
        Forgery::BadSignature => {
            let mut sig = rsa_sign(&k.rsa_a);
            sig[10] ^= 0x01;
            sig
        }
        _ => rsa_sign(&k.rsa_a),
    };
    format!("{input}.{}", b64(&signature))
}

impl HostileOp {
    /// Starts the OP on `127.0.0.1:0` with one client; it asserts `email`
    /// until told otherwise.
    pub async fn start(client_id: &str, email: &str) -> HostileOp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind hostile OP");
        let issuer = format!("http://{}", listener.local_addr().expect("addr"));
        let client_secret = format!("hostile-{}", crate::oidc_provider::random_hex());
        let state: Shared = Arc::new(Mutex::new(OpState {
            issuer: issuer.clone(),
            client_id: client_id.to_owned(),
            client_secret: client_secret.clone(),
            forgery: Forgery::Honest,
            email: email.to_owned(),
            grants: HashMap::new(),
            userinfo: HashMap::new(),
            token_requests: 0,
            extra_claims: Map::new(),
            userinfo_claims: Map::new(),
            clock: Arc::new(SystemClock),
            discovery_down: false,
            discovery_requests: 0,
            last_authorize: HashMap::new(),
            rotated: false,
            jwks_requests: 0,
        }));
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .route("/userinfo", get(userinfo))
            .with_state(state.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        HostileOp {
            issuer,
            client_id: client_id.to_owned(),
            client_secret,
            state,
            shutdown: Some(tx),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut OpState) -> R) -> R {
        f(&mut self.state.lock().expect("OP state"))
    }

    /// How the ID tokens of the following logins are broken.
    pub fn set_forgery(&self, forgery: Forgery) {
        self.with(|s| s.forgery = forgery);
    }

    /// The email the following logins assert.
    pub fn set_email(&self, email: &str) {
        self.with(|s| s.email = email.to_owned());
    }

    /// Claims (a JSON object) the following ID tokens carry besides the
    /// standard ones, as `hd`, `tid` or `groups`; an empty object for none.
    pub fn set_extra_claims(&self, claims: Value) {
        let claims = claims
            .as_object()
            .cloned()
            .expect("extra claims: an object");
        self.with(|s| s.extra_claims = claims);
    }

    /// Claims only the userinfo endpoint sends from now on (`groups` of some IdPs).
    pub fn set_userinfo_claims(&self, claims: Value) {
        let claims = claims
            .as_object()
            .cloned()
            .expect("userinfo claims: an object");
        self.with(|s| s.userinfo_claims = claims);
    }

    /// How many token requests the OP has answered (a replayed state must not reach it).
    pub fn token_requests(&self) -> usize {
        self.with(|s| s.token_requests)
    }

    /// Mints the following ID tokens at `clock`'s time (the hub's, when it is fixed).
    pub fn set_clock(&self, clock: Arc<dyn Clock>) {
        self.with(|s| s.clock = clock);
    }

    /// While `down`, the discovery endpoint answers `503 Service Unavailable`.
    pub fn set_discovery_down(&self, down: bool) {
        self.with(|s| s.discovery_down = down);
    }

    /// How many discovery requests reached the OP.
    pub fn discovery_requests(&self) -> usize {
        self.with(|s| s.discovery_requests)
    }

    /// The IdP rotates its signing key: from now on it publishes and signs
    /// with RSA key B (`kid` "rsa-b") instead of key A.
    pub fn rotate_keys(&self) {
        self.with(|s| s.rotated = true);
    }

    /// How many JWKS requests reached the OP.
    pub fn jwks_requests(&self) -> usize {
        self.with(|s| s.jwks_requests)
    }

    /// The query parameters of the latest authorization request.
    pub fn last_authorize(&self) -> HashMap<String, String> {
        self.with(|s| s.last_authorize.clone())
    }
}

impl Drop for HostileOp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

async fn discovery(State(s): State<Shared>) -> Response {
    let issuer = {
        let mut s = s.lock().expect("OP state");
        s.discovery_requests += 1;
        if s.discovery_down {
            return (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance").into_response();
        }
        s.issuer.clone()
    };
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": ["openid", "email", "profile"],
        "authorization_response_iss_parameter_supported": true,
    }))
    .into_response()
}

async fn jwks(State(s): State<Shared>) -> Json<Value> {
    let mut s = s.lock().expect("OP state");
    s.jwks_requests += 1;
    if s.rotated {
        Json(json!({ "keys": [rsa_jwk(&keys().rsa_b, "rsa-b")] }))
    } else {
        Json(json!({ "keys": [rsa_jwk(&keys().rsa_a, "rsa-a")] }))
    }
}

/// No login form: the browser is sent straight back with a code.
async fn authorize(State(s): State<Shared>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut s = s.lock().expect("OP state");
    s.last_authorize = q.clone();
    let field = |k: &str| q.get(k).cloned().unwrap_or_default();
    if field("client_id") != s.client_id
        || field("response_type") != "code"
        || field("code_challenge_method") != "S256"
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let code = format!("code-{}", crate::oidc_provider::random_hex());
    s.grants.insert(
        code.clone(),
        Grant {
            challenge: field("code_challenge"),
            nonce: field("nonce"),
            reauthenticate: q.contains_key("max_age") || field("prompt") == "login",
            used: false,
        },
    );
    let mut back = reqwest::Url::parse(&field("redirect_uri")).expect("redirect_uri");
    back.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &field("state"));
    match s.forgery {
        Forgery::CallbackIssuerMismatch => {
            back.query_pairs_mut()
                .append_pair("iss", "https://evil.example");
        }
        Forgery::CallbackIssuerMissing => {}
        _ => {
            back.query_pairs_mut().append_pair("iss", &s.issuer);
        }
    }
    Redirect::to(back.as_str()).into_response()
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, Json(json!({ "error": error }))).into_response()
}

async fn token(
    State(s): State<Shared>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut s = s.lock().expect("OP state");
    s.token_requests += 1;
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok())
        .and_then(|pair| {
            pair.split_once(':')
                .map(|(a, b)| (a.to_owned(), b.to_owned()))
        });
    let (id, secret) = basic.unwrap_or_else(|| {
        (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        )
    });
    // client_secret_basic form-encodes both parts first.
    let decode = |v: &str| {
        reqwest::Url::parse(&format!("http://x/?v={v}"))
            .ok()
            .and_then(|u| u.query_pairs().next().map(|(_, v)| v.into_owned()))
            .unwrap_or_default()
    };
    if decode(&id) != s.client_id || decode(&secret) != s.client_secret {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let code = form.get("code").cloned().unwrap_or_default();
    let Some(grant) = s.grants.get_mut(&code) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    if grant.used {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    grant.used = true;
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let digest = ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes());
    if b64(digest.as_ref()) != grant.challenge {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    let nonce = grant.nonce.clone();
    let reauthenticate = grant.reauthenticate;
    let now = s.clock.now().unix();
    let forgery = s.forgery;
    let mut claims = json!({
        "iss": s.issuer, "aud": s.client_id, "sub": format!("sub-{}", s.email),
        "iat": now, "exp": now + 300, "nonce": nonce,
        "email": s.email, "email_verified": true, "name": "Hostile OP user",
    })
    .as_object()
    .expect("claims")
    .clone();
    if reauthenticate {
        claims.insert("auth_time".into(), json!(now));
    }
    claims.extend(s.extra_claims.clone());
    match forgery {
        Forgery::WrongIssuer => {
            claims.insert("iss".into(), json!("https://evil.example"));
        }
        Forgery::WrongAudience => {
            claims.insert("aud".into(), json!("another-client"));
        }
        Forgery::Expired => {
            claims.insert("iat".into(), json!(now - 7200));
            claims.insert("exp".into(), json!(now - 3600));
        }
        Forgery::IssuedInFuture => {
            claims.insert("iat".into(), json!(now + 3600));
            claims.insert("exp".into(), json!(now + 3900));
        }
        Forgery::NotYetValid => {
            claims.insert("nbf".into(), json!(now + 3600));
            claims.insert("exp".into(), json!(now + 3900));
        }
        Forgery::NbfAfterExp => {
            claims.insert("nbf".into(), json!(now + 3600));
        }
        Forgery::StringClaims => {
            claims.insert("updated_at".into(), json!("2026-11-02T09:14:27.123Z"));
            claims.insert("email_verified".into(), json!("true"));
        }
        Forgery::StringEmailUnverified => {
            claims.insert("email_verified".into(), json!("false"));
        }
        Forgery::NonceMismatch => {
            claims.insert("nonce".into(), json!("nonce-of-another-login"));
        }
        Forgery::NonceMissing => {
            claims.remove("nonce");
        }
        Forgery::MissingSubject => {
            claims.remove("sub");
        }
        Forgery::AuthTimeMissing => {
            claims.remove("auth_time");
        }
        Forgery::AuthTimeTooOld => {
            claims.insert("auth_time".into(), json!(now - 7200));
        }
        Forgery::MissingEmail => {
            claims.remove("email");
            claims.remove("email_verified");
        }
        Forgery::EmailUnverified => {
            claims.insert("email_verified".into(), json!(false));
        }
        _ => {}
    }
    let access_token = format!("at-{}", crate::oidc_provider::random_hex());
    let mut info = json!({ "sub": claims.get("sub").cloned().unwrap_or(Value::Null) });
    if forgery != Forgery::MissingEmail {
        info["email"] = claims["email"].clone();
        info["email_verified"] = claims["email_verified"].clone();
    }
    if forgery == Forgery::StringClaims {
        info["updated_at"] = json!("2026-11-02T09:14:27Z");
    }
    for (name, value) in &s.userinfo_claims {
        info[name] = value.clone();
    }
    s.userinfo.insert(access_token.clone(), info);
    Json(json!({
        "access_token": access_token, "token_type": "Bearer", "expires_in": 300,
        "id_token": mint(forgery, s.rotated, &claims),
    }))
    .into_response()
}

async fn userinfo(State(s): State<Shared>, headers: HeaderMap) -> Response {
    let s = s.lock().expect("OP state");
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    match s.userinfo.get(token) {
        Some(body) => Json(body.clone()).into_response(),
        None => oauth_error(StatusCode::UNAUTHORIZED, "invalid_token"),
    }
}

/// Follows the hostile OP's authorization endpoint (it sends the browser
/// straight back, no login form) and requests the hub's callback as the same
/// browser.
pub async fn through_op(browser: &crate::Client, idp_url: &str) -> reqwest::Response {
    let callback = op_callback(browser, idp_url).await;
    crate::oidc_provider::back_at_hub(browser, &callback).await
}

/// Where the hostile OP's authorization endpoint sends the browser back to.
pub async fn op_callback(browser: &crate::Client, idp_url: &str) -> String {
    let res = browser
        .http
        .get(idp_url)
        .send()
        .await
        .expect("GET authorize");
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "hostile OP authorize");
    res.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .expect("Location from the hostile OP")
        .to_owned()
}
