//! The JSON API under `/api`. Authentication by session cookie (writes then
//! need the `X-CSRF-Token` header) or `Authorization: Bearer osso_…`.

use crate::auth::{Auth, SESSION_COOKIE};
use crate::error::WebError;
use crate::forms::org_name;
use crate::forms::ApiJson;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use orgsso_core::{
    Denied, DisplayName, Email, EmailDomain, EmailId, OrgName, Password, RepoKind, RepoName, Role,
    SsoMode, TokenId, TokenScope, Username, Visibility,
};
use orgsso_service::sso::oidc::{OidcSettings, OidcSettingsInput};
use orgsso_service::sso::saml::{certificate_info, SamlSettings, SamlSettingsInput};
use orgsso_service::sso::{SavedConfig, SsoOptionsUpdate};
use orgsso_service::{RepoUpdate, ServiceError};
use orgsso_store::SsoConfigId;
use orgsso_store::{AccessToken, EmailRecord, Member, Org, Repo, User};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(crate::openapi::document))
        .route("/signup", post(signup))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/emails/verify", post(verify_email))
        .route("/me", get(me).patch(update_me))
        .route("/me/password", post(change_password))
        .route("/me/emails", get(emails).post(add_email))
        .route("/me/emails/{id}", axum::routing::delete(delete_email))
        .route("/me/emails/{id}/primary", post(primary_email))
        .route("/me/emails/{id}/resend", post(resend_email))
        .route("/me/tokens", get(tokens).post(create_token))
        .route("/me/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/me/orgs", get(my_orgs))
        .route("/users/{user}", get(user))
        .route("/orgs", post(create_org))
        .route("/orgs/{org}", get(org).patch(update_org))
        .route("/orgs/{org}/members", get(members).post(add_member))
        .route(
            "/orgs/{org}/members/{user}",
            axum::routing::patch(set_role).delete(remove_member),
        )
        .route("/orgs/{org}/sso", get(sso_state).patch(sso_options))
        .route("/orgs/{org}/sso/saml", post(save_saml))
        .route("/orgs/{org}/sso/oidc", post(save_oidc))
        .route("/orgs/{org}/sso/enable", post(sso_enable))
        .route("/orgs/{org}/sso/disable", post(sso_disable))
        .route("/orgs/{org}/sso/audit", get(sso_audit))
        .route(
            "/orgs/{org}/sso/domains",
            get(sso_domains).post(add_sso_domain),
        )
        .route(
            "/orgs/{org}/sso/domains/{domain}",
            axum::routing::delete(remove_sso_domain),
        )
        .route("/orgs/{org}/sso/revoke", post(revoke_sso_sessions))
        .route("/repos", post(create_repo))
        .route("/repos/{owner}", get(repos_of))
        .route(
            "/repos/{kind}/{owner}/{name}",
            get(repo).patch(update_repo).delete(delete_repo),
        )
        .fallback(|| async { WebError::Service(ServiceError::NotFound("endpoint")) })
}

type ApiResult = Result<Response, WebError>;

fn ok(value: Value) -> ApiResult {
    Ok(Json(value).into_response())
}

fn created(value: Value) -> ApiResult {
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn user_json(u: &User) -> Value {
    json!({ "username": u.username, "display_name": u.display_name, "created_at": u.created_at.to_rfc3339() })
}

fn email_json(e: &EmailRecord) -> Value {
    json!({ "id": e.id.0, "address": e.address, "verified": e.is_verified(), "primary": e.primary })
}

fn token_json(t: &AccessToken) -> Value {
    json!({ "id": t.id.0, "name": t.name, "scope": t.scope, "created_at": t.created_at.to_rfc3339(),
            "last_used_at": t.last_used_at.map(|t| t.to_rfc3339()) })
}

fn org_json(o: &Org, role: Option<Role>) -> Value {
    json!({ "name": o.name, "display_name": o.display_name, "default_role": o.default_role,
            "your_role": role, "created_at": o.created_at.to_rfc3339() })
}

fn member_json(m: &Member) -> Value {
    json!({ "username": m.username, "display_name": m.display_name, "role": m.role, "joined_at": m.joined_at.to_rfc3339() })
}

fn repo_json(r: &Repo) -> Value {
    json!({ "kind": r.kind, "owner": r.owner_name, "name": r.name, "visibility": r.visibility, "readme": r.readme,
            "created_at": r.created_at.to_rfc3339(), "updated_at": r.updated_at.to_rfc3339(),
            "path": crate::pages::repo_href(r) })
}

fn signed_in(auth: &Auth) -> Result<&User, WebError> {
    auth.user().ok_or(WebError::from(Denied::LoginRequired))
}

fn writer(auth: &Auth) -> Result<&User, WebError> {
    Ok(auth.caller.writer()?)
}

fn repo_kind(raw: &str) -> Result<RepoKind, WebError> {
    RepoKind::parse(raw)
        .or_else(|_| RepoKind::from_plural(raw).ok_or(ServiceError::NotFound("repository").into()))
}

#[derive(Deserialize)]
struct SignupBody {
    username: String,
    email: String,
    password: String,
    #[serde(default)]
    display_name: String,
}

async fn signup(State(app): State<AppState>, ApiJson(body): ApiJson<SignupBody>) -> ApiResult {
    let request = crate::pages::parse_signup(
        &body.username,
        &body.display_name,
        &body.email,
        &body.password,
    )?;
    let user = app.hub.signup(request).await?;
    created(json!({ "user": user_json(&user) }))
}

#[derive(Deserialize)]
struct LoginBody {
    login: String,
    password: String,
}

async fn login(State(app): State<AppState>, ApiJson(body): ApiJson<LoginBody>) -> ApiResult {
    let outcome = app.hub.login(body.login.trim(), &body.password).await?;
    let cookie = app.cookie(
        SESSION_COOKIE,
        outcome.cookie.value.expose(),
        Some(outcome.cookie.expires_at),
    );
    let body = json!({ "user": user_json(&outcome.user), "csrf_token": outcome.cookie.csrf_token });
    Ok(([(SET_COOKIE, cookie)], Json(body)).into_response())
}

async fn logout(
    auth: Auth,
    State(app): State<AppState>,
    headers: axum::http::HeaderMap,
) -> ApiResult {
    signed_in(&auth)?;
    if let Some(value) = crate::auth::cookie(&headers, SESSION_COOKIE) {
        app.hub.logout(value).await?;
    }
    Ok((
        [(SET_COOKIE, app.expired_cookie(SESSION_COOKIE))],
        StatusCode::NO_CONTENT,
    )
        .into_response())
}

#[derive(Deserialize)]
struct VerifyBody {
    token: String,
}

async fn verify_email(
    State(app): State<AppState>,
    ApiJson(body): ApiJson<VerifyBody>,
) -> ApiResult {
    app.hub.verify_email(body.token.trim()).await?;
    ok(json!({ "verified": true }))
}

async fn me(auth: Auth, State(app): State<AppState>) -> ApiResult {
    let user = signed_in(&auth)?;
    let emails: Vec<Value> = app
        .hub
        .emails(user.id)
        .await?
        .iter()
        .map(email_json)
        .collect();
    let mut body = user_json(user);
    body["emails"] = json!(emails);
    if let Some(session) = &auth.caller.session {
        body["csrf_token"] = json!(session.csrf_token);
    }
    ok(body)
}

#[derive(Deserialize)]
struct UpdateMeBody {
    display_name: String,
}

async fn update_me(
    auth: Auth,
    State(app): State<AppState>,
    ApiJson(body): ApiJson<UpdateMeBody>,
) -> ApiResult {
    let user = writer(&auth)?;
    app.hub
        .set_display_name(
            user,
            DisplayName::parse("display_name", &body.display_name)?,
        )
        .await?;
    let user = app.hub.user(&user.username).await?;
    ok(user_json(&user))
}

#[derive(Deserialize)]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

async fn change_password(
    auth: Auth,
    State(app): State<AppState>,
    ApiJson(body): ApiJson<PasswordBody>,
) -> ApiResult {
    let new = Password::parse(&body.new_password).map_err(|e| {
        ServiceError::Invalid(orgsso_core::FieldError::new("new_password", e.to_string()))
    })?;
    app.hub
        .change_password(&auth.caller, &body.current_password, new)
        .await?;
    no_content()
}

async fn emails(auth: Auth, State(app): State<AppState>) -> ApiResult {
    let user = signed_in(&auth)?;
    let emails: Vec<Value> = app
        .hub
        .emails(user.id)
        .await?
        .iter()
        .map(email_json)
        .collect();
    ok(json!(emails))
}

#[derive(Deserialize)]
struct EmailBody {
    email: String,
}

async fn add_email(
    auth: Auth,
    State(app): State<AppState>,
    ApiJson(body): ApiJson<EmailBody>,
) -> ApiResult {
    let email = app
        .hub
        .add_email(&auth.caller, Email::parse(&body.email)?)
        .await?;
    created(email_json(&email))
}

async fn delete_email(auth: Auth, State(app): State<AppState>, Path(id): Path<i64>) -> ApiResult {
    app.hub.remove_email(&auth.caller, EmailId(id)).await?;
    no_content()
}

async fn primary_email(auth: Auth, State(app): State<AppState>, Path(id): Path<i64>) -> ApiResult {
    app.hub.set_primary_email(&auth.caller, EmailId(id)).await?;
    no_content()
}

async fn resend_email(auth: Auth, State(app): State<AppState>, Path(id): Path<i64>) -> ApiResult {
    app.hub
        .resend_verification(&auth.caller, EmailId(id))
        .await?;
    no_content()
}

async fn tokens(auth: Auth, State(app): State<AppState>) -> ApiResult {
    let tokens: Vec<Value> = app
        .hub
        .tokens(signed_in(&auth)?)
        .await?
        .iter()
        .map(token_json)
        .collect();
    ok(json!(tokens))
}

#[derive(Deserialize)]
struct TokenBody {
    name: String,
    scope: String,
}

async fn create_token(
    auth: Auth,
    State(app): State<AppState>,
    ApiJson(body): ApiJson<TokenBody>,
) -> ApiResult {
    let scope = TokenScope::parse(&body.scope)?;
    let created_token = app
        .hub
        .create_token(&auth.caller, &body.name, scope)
        .await?;
    let mut value = token_json(&created_token.token);
    value["token"] = json!(created_token.secret.expose());
    created(value)
}

async fn revoke_token(auth: Auth, State(app): State<AppState>, Path(id): Path<i64>) -> ApiResult {
    app.hub.revoke_token(writer(&auth)?, TokenId(id)).await?;
    no_content()
}

async fn my_orgs(auth: Auth, State(app): State<AppState>) -> ApiResult {
    signed_in(&auth)?;
    let orgs: Vec<Value> = app
        .hub
        .orgs_of(&auth.caller)
        .await?
        .iter()
        .map(|(o, r)| org_json(o, Some(*r)))
        .collect();
    ok(json!(orgs))
}

async fn user(State(app): State<AppState>, Path(user): Path<String>) -> ApiResult {
    let username = Username::parse(&user).map_err(|_| ServiceError::NotFound("user"))?;
    ok(user_json(&app.hub.user(&username).await?))
}

#[derive(Deserialize)]
struct CreateOrgBody {
    name: String,
    #[serde(default)]
    display_name: String,
}

async fn create_org(
    auth: Auth,
    State(app): State<AppState>,
    ApiJson(body): ApiJson<CreateOrgBody>,
) -> ApiResult {
    let name = OrgName::parse(&body.name)?;
    let display_name = DisplayName::parse("display_name", &body.display_name)?;
    let org = app.hub.create_org(&auth.caller, name, display_name).await?;
    created(org_json(&org, Some(Role::Admin)))
}

async fn org(auth: Auth, State(app): State<AppState>, Path(org): Path<String>) -> ApiResult {
    let view = app.hub.org(&auth.caller, &org_name(&org)?).await?;
    ok(org_json(&view.org, view.role))
}

#[derive(Deserialize)]
struct UpdateOrgBody {
    display_name: Option<String>,
    default_role: Option<String>,
}

async fn update_org(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<UpdateOrgBody>,
) -> ApiResult {
    let display_name = body
        .display_name
        .as_deref()
        .map(|d| DisplayName::parse("display_name", d))
        .transpose()?;
    let default_role = body
        .default_role
        .as_deref()
        .map(|r| Role::parse_field("default_role", r))
        .transpose()?;
    let name = org_name(&org)?;
    let updated = app
        .hub
        .update_org(&auth.caller, &name, display_name, default_role)
        .await?;
    ok(org_json(&updated, Some(Role::Admin)))
}

async fn members(auth: Auth, State(app): State<AppState>, Path(org): Path<String>) -> ApiResult {
    let (_, members) = app.hub.members(&auth.caller, &org_name(&org)?).await?;
    ok(json!(members.iter().map(member_json).collect::<Vec<_>>()))
}

#[derive(Deserialize)]
struct AddMemberBody {
    username: String,
    role: Option<String>,
}

async fn add_member(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<AddMemberBody>,
) -> ApiResult {
    let username = Username::parse(&body.username)?;
    let role = body
        .role
        .as_deref()
        .map(|r| Role::parse_field("role", r))
        .transpose()?;
    let member = app
        .hub
        .add_member(&auth.caller, &org_name(&org)?, &username, role)
        .await?;
    created(member_json(&member))
}

#[derive(Deserialize)]
struct RoleBody {
    role: String,
}

async fn set_role(
    auth: Auth,
    State(app): State<AppState>,
    Path((org, user)): Path<(String, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> ApiResult {
    let role = Role::parse_field("role", &body.role)?;
    let username = Username::parse(&user).map_err(|_| ServiceError::NotFound("member"))?;
    let member = app
        .hub
        .set_member_role(&auth.caller, &org_name(&org)?, &username, role)
        .await?;
    ok(member_json(&member))
}

async fn remove_member(
    auth: Auth,
    State(app): State<AppState>,
    Path((org, user)): Path<(String, String)>,
) -> ApiResult {
    let username = Username::parse(&user).map_err(|_| ServiceError::NotFound("member"))?;
    app.hub
        .remove_member(&auth.caller, &org_name(&org)?, &username)
        .await?;
    no_content()
}

#[derive(Deserialize)]
struct CreateRepoBody {
    owner: String,
    kind: String,
    name: String,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    readme: String,
}

async fn create_repo(
    auth: Auth,
    State(app): State<AppState>,
    ApiJson(body): ApiJson<CreateRepoBody>,
) -> ApiResult {
    let kind = RepoKind::parse(&body.kind)?;
    let name = RepoName::parse(&body.name)?;
    let visibility = Visibility::parse(body.visibility.as_deref().unwrap_or("public"))?;
    let repo =
        app.hub
            .create_repo(
                &auth.caller,
                &body.owner,
                kind,
                name,
                visibility,
                body.readme,
            )
            .await
            .map_err(|e| match e {
                ServiceError::NotFound("owner") => ServiceError::Invalid(
                    orgsso_core::FieldError::new("owner", "no user or organization has this name"),
                ),
                other => other,
            })?;
    created(repo_json(&repo))
}

async fn repos_of(auth: Auth, State(app): State<AppState>, Path(owner): Path<String>) -> ApiResult {
    let repos = app.hub.repos_of(&auth.caller, &owner).await?;
    ok(json!(repos.iter().map(repo_json).collect::<Vec<_>>()))
}

async fn repo(
    auth: Auth,
    State(app): State<AppState>,
    Path((kind, owner, name)): Path<(String, String, String)>,
) -> ApiResult {
    let view = app
        .hub
        .repo(&auth.caller, repo_kind(&kind)?, &owner, &name)
        .await?;
    let mut body = repo_json(&view.repo);
    body["can_edit"] = json!(view.can_edit);
    body["can_delete"] = json!(view.can_delete);
    ok(body)
}

#[derive(Deserialize)]
struct UpdateRepoBody {
    visibility: Option<String>,
    readme: Option<String>,
}

async fn update_repo(
    auth: Auth,
    State(app): State<AppState>,
    Path((kind, owner, name)): Path<(String, String, String)>,
    ApiJson(body): ApiJson<UpdateRepoBody>,
) -> ApiResult {
    let visibility = body
        .visibility
        .as_deref()
        .map(Visibility::parse)
        .transpose()?;
    let update = RepoUpdate {
        visibility,
        readme: body.readme,
    };
    let repo = app
        .hub
        .update_repo(&auth.caller, repo_kind(&kind)?, &owner, &name, update)
        .await?;
    ok(repo_json(&repo))
}

async fn delete_repo(
    auth: Auth,
    State(app): State<AppState>,
    Path((kind, owner, name)): Path<(String, String, String)>,
) -> ApiResult {
    app.hub
        .delete_repo(&auth.caller, repo_kind(&kind)?, &owner, &name)
        .await?;
    no_content()
}

async fn sso_state(auth: Auth, State(app): State<AppState>, Path(org): Path<String>) -> ApiResult {
    let overview = app.hub.sso_overview(&auth.caller, &org_name(&org)?).await?;
    let sp = app.hub.saml_endpoints(&overview.org.name);
    let now = app.hub.now();
    let latest = overview.latest.as_ref().map(|c| {
        let saml = SamlSettings::from_config(c).map(|s| {
            let certificates: Vec<Value> = s
                .certificates
                .iter()
                .filter_map(|pem| certificate_info(pem, now))
                .map(|i| json!({ "subject": i.subject, "sha256_fingerprint": i.fingerprint_sha256, "not_before": i.not_before.to_rfc3339(),
                                  "not_after": i.not_after.to_rfc3339(), "expiring_soon": i.expiring_soon, "expired": i.expired }))
                .collect();
            json!({ "idp_sso_url": s.idp_sso_url, "idp_entity_id": s.idp_entity_id, "allow_sha1": s.allow_sha1, "certificates": certificates, "jit_domains": s.jit_domains })
        });
        json!({ "id": c.id.0, "protocol": c.protocol.as_str(), "created_at": c.created_at.to_rfc3339(),
                "tested_at": c.tested_at.map(|t| t.to_rfc3339()),
                "test_result": c.test_result.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok()),
                "saml": saml,
                "oidc": OidcSettings::from_config(c).map(|o| json!({ "issuer_url": o.issuer_url, "client_id": o.client_id,
                    "client_secret_set": c.secret_ciphertext.is_some(), "scopes": o.scopes, "email_claim": o.email_claim, "jit_domains": o.jit_domains,
                    "required_claim": o.required_claim.map(|r| json!({ "name": r.name, "value": r.value })) })) })
    });
    ok(json!({
        "enabled": overview.state.enabled(),
        "mode": overview.state.mode.as_str(),
        "jit_membership": overview.state.jit_membership,
        "domains": overview.domains.iter().map(|d| json!({ "domain": d.domain, "verified_accounts": d.verified_accounts })).collect::<Vec<_>>(),
        "can_enable": overview.can_enable.is_ok(),
        "can_enable_reason": overview.can_enable.err(),
        "active_config": overview.state.active_config.map(|c| c.0),
        "session_timeout_s": overview.state.session_ttl_s,
        "allow_idp_initiated": overview.state.allow_idp_initiated,
        "saml_sp": { "acs_url": sp.acs_url, "entity_id": sp.entity_id, "metadata_url": sp.metadata_url },
        "oidc_callback_url": app.hub.oidc_callback_url(&overview.org.name),
        "latest_config": latest,
        "sso_users": overview.sessions.iter().map(|(s, u)| json!({
            "username": u.as_ref().map(|u| u.username.to_string()), "email": s.email,
            "signed_in_at": s.created_at.to_rfc3339(), "expires_at": s.expires_at.to_rfc3339() })).collect::<Vec<_>>(),
    }))
}

async fn save_saml(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<SamlSettingsInput>,
) -> ApiResult {
    let saved = app
        .hub
        .save_saml_config(&auth.caller, &org_name(&org)?, input)
        .await?;
    saved_config(saved)
}

async fn save_oidc(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<OidcSettingsInput>,
) -> ApiResult {
    let saved = app
        .hub
        .save_oidc_config(&auth.caller, &org_name(&org)?, input)
        .await?;
    saved_config(saved)
}

fn saved_config(saved: SavedConfig) -> ApiResult {
    created(json!({
        "config_id": saved.config.0,
        "tested": false,
        "test_url": saved.test_url,
        "next": "open test_url in a browser signed in as this admin to test the configuration",
    }))
}

#[derive(Deserialize)]
struct EnableBody {
    config_id: i64,
    /// `optional` or `enforced` (the default).
    #[serde(default)]
    mode: Option<String>,
}

/// The mode to enable in: enforced unless the admin asks for optional.
fn enable_mode(mode: Option<&str>) -> Result<SsoMode, WebError> {
    match mode.map(SsoMode::parse) {
        None => Ok(SsoMode::Enforced),
        Some(Some(mode)) if mode != SsoMode::Off => Ok(mode),
        Some(_) => {
            Err(orgsso_core::FieldError::new("mode", "must be \"optional\" or \"enforced\"").into())
        }
    }
}

async fn sso_enable(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<EnableBody>,
) -> ApiResult {
    let mode = enable_mode(body.mode.as_deref())?;
    app.hub
        .enable_sso(
            &auth.caller,
            &org_name(&org)?,
            SsoConfigId(body.config_id),
            mode,
        )
        .await?;
    no_content()
}

async fn sso_disable(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
) -> ApiResult {
    app.hub.disable_sso(&auth.caller, &org_name(&org)?).await?;
    no_content()
}

#[derive(Deserialize)]
struct SsoOptionsBody {
    session_timeout_s: Option<i64>,
    allow_idp_initiated: Option<bool>,
    jit_membership: Option<bool>,
}

async fn sso_options(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<SsoOptionsBody>,
) -> ApiResult {
    app.hub
        .set_sso_options(
            &auth.caller,
            &org_name(&org)?,
            SsoOptionsUpdate {
                session_ttl_s: body.session_timeout_s,
                allow_idp_initiated: body.allow_idp_initiated,
                jit_membership: body.jit_membership,
            },
        )
        .await?;
    no_content()
}

#[derive(Deserialize)]
struct DomainBody {
    domain: String,
}

async fn sso_domains(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
) -> ApiResult {
    let overview = app.hub.sso_overview(&auth.caller, &org_name(&org)?).await?;
    ok(json!(overview
        .domains
        .iter()
        .map(|d| json!({ "domain": d.domain, "verified_accounts": d.verified_accounts }))
        .collect::<Vec<_>>()))
}

async fn add_sso_domain(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<DomainBody>,
) -> ApiResult {
    let domain = EmailDomain::parse(&body.domain)?;
    app.hub
        .add_sso_domain(&auth.caller, &org_name(&org)?, &domain)
        .await?;
    created(json!({ "domain": domain.as_str() }))
}

async fn remove_sso_domain(
    auth: Auth,
    State(app): State<AppState>,
    Path((org, domain)): Path<(String, String)>,
) -> ApiResult {
    let domain = EmailDomain::parse(&domain)?;
    app.hub
        .remove_sso_domain(&auth.caller, &org_name(&org)?, &domain)
        .await?;
    no_content()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RevokeBody {
    /// One member's sessions; absent: everyone's.
    username: Option<String>,
}

async fn revoke_sso_sessions(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<RevokeBody>,
) -> ApiResult {
    let member = body.username.as_deref().map(Username::parse).transpose()?;
    let ended = app
        .hub
        .revoke_sso_sessions(&auth.caller, &org_name(&org)?, member.as_ref())
        .await?;
    ok(json!({ "revoked": ended }))
}

async fn sso_audit(auth: Auth, State(app): State<AppState>, Path(org): Path<String>) -> ApiResult {
    let overview = app.hub.sso_overview(&auth.caller, &org_name(&org)?).await?;
    let entries: Vec<Value> = overview
        .audit
        .iter()
        .map(|a| json!({ "at": a.at.to_rfc3339(), "event": a.event, "actor_id": a.actor.map(|u| u.0), "detail": a.detail }))
        .collect();
    ok(json!(entries))
}
