//! The JSON API under `/api`. Authentication by session cookie (writes then
//! need the `X-CSRF-Token` header) or `Authorization: Bearer osso_…`.
//! Every handler carries its `#[utoipa::path]` and is routed through
//! `routes!`, so the router and the OpenAPI document list the same
//! operations; bodies are the types of this module and of [`views`].

mod sso_audit;
mod sso_preview;
mod sso_roles;
mod views;

use crate::auth::{Auth, SESSION_COOKIE};
use crate::error::WebError;
use crate::forms::org_name;
use crate::forms::ApiJson;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use orgsso_core::{
    Denied, DisplayName, Email, EmailDomain, EmailId, OrgName, Password, RepoKind, RepoName, Role,
    SsoMode, TokenId, TokenScope, Username, Visibility,
};
use orgsso_service::sso::oidc::{OidcSettings, OidcSettingsInput};
use orgsso_service::sso::saml::{certificate_info, SamlSettings, SamlSettingsInput};
use orgsso_service::sso::sp_keys::SpKeyRotation;
use orgsso_service::sso::{SavedConfig, SsoOptionsUpdate};
use orgsso_service::{Entity, RepoUpdate, ServiceError};
use orgsso_store::SsoConfigId;
use orgsso_store::User;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use views::{Error as ErrorSchema, SsoRequired as SsoRequiredSchema};

/// An integer field that also takes a whole JSON number written with a
/// fraction (`414.0`), which JSON Schema's `integer` counts as an integer.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    number
        .as_i64()
        .or_else(|| {
            number
                .as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        })
        .ok_or_else(|| serde::de::Error::custom(format!("expected an integer, got {number}")))
}

fn some_whole_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    struct Whole(#[serde(deserialize_with = "whole_number")] i64);
    Ok(Option::<Whole>::deserialize(deserializer)?.map(|Whole(n)| n))
}

/// Every API operation. `routes!` puts a handler on the router and its
/// `#[utoipa::path]` into the document at once.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(crate::openapi::document))
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(verify_email))
        .routes(routes!(me, update_me))
        .routes(routes!(change_password))
        .routes(routes!(emails, add_email))
        .routes(routes!(delete_email))
        .routes(routes!(primary_email))
        .routes(routes!(resend_email))
        .routes(routes!(tokens, create_token))
        .routes(routes!(revoke_token))
        .routes(routes!(my_orgs))
        .routes(routes!(user))
        .routes(routes!(create_org))
        .routes(routes!(org, update_org))
        .routes(routes!(members, add_member))
        .routes(routes!(set_role, remove_member))
        .routes(routes!(sso_state, sso_options))
        .routes(routes!(save_saml))
        .routes(routes!(save_oidc))
        .routes(routes!(sso_enable))
        .routes(routes!(sso_disable))
        .routes(routes!(sso_audit::sso_audit))
        .routes(routes!(sso_domains, add_sso_domain))
        .routes(routes!(remove_sso_domain))
        .routes(routes!(revoke_sso_sessions))
        .routes(routes!(
            sso_roles::role_mapping,
            sso_roles::set_role_mapping,
            sso_roles::delete_role_mapping
        ))
        .routes(routes!(sso_roles::unlink_sso_identity))
        .routes(routes!(sso_roles::sso_users))
        .routes(routes!(sso_preview::sso_preview))
        .routes(routes!(saml_sp_keys))
        .routes(routes!(rotate_saml_sp_keys))
        .routes(routes!(retire_saml_sp_keys))
        .routes(routes!(create_repo))
        .routes(routes!(repos_of))
        .routes(routes!(repo, update_repo, delete_repo))
}

/// The API router, with a JSON 404 for paths it does not know.
pub fn router() -> Router<AppState> {
    let (router, _) = routes().split_for_parts();
    router.fallback(|| async { WebError::Service(ServiceError::NotFound(Entity::Endpoint)) })
}

type ApiResult = Result<Response, WebError>;

fn ok<T: Serialize>(value: T) -> ApiResult {
    Ok(Json(value).into_response())
}

fn created<T: Serialize>(value: T) -> ApiResult {
    Ok((StatusCode::CREATED, Json(value)).into_response())
}

fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn signed_in(auth: &Auth) -> Result<&User, WebError> {
    auth.user().ok_or(WebError::from(Denied::LoginRequired))
}

fn writer(auth: &Auth) -> Result<&User, WebError> {
    Ok(auth.caller.writer()?)
}

fn repo_kind(raw: &str) -> Result<RepoKind, WebError> {
    RepoKind::parse(raw).or_else(|_| {
        RepoKind::from_plural(raw).ok_or(ServiceError::NotFound(Entity::Repository).into())
    })
}

#[derive(Deserialize, ToSchema)]
struct SignupBody {
    #[schema(value_type = Handle)]
    username: String,
    #[schema(format = Email, max_length = 254)]
    email: String,
    #[schema(min_length = 8, max_length = 256)]
    password: String,
    #[serde(default)]
    #[schema(value_type = DisplayNameText)]
    display_name: String,
}

/// Create an account; a verification link is mailed
#[utoipa::path(post, path = "/signup", tag = "account", request_body = SignupBody, security((), ("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 201, description = "The new account", body = views::UserEnvelope)))]
async fn signup(State(app): State<AppState>, ApiJson(body): ApiJson<SignupBody>) -> ApiResult {
    let request = crate::pages::parse_signup(
        &body.username,
        &body.display_name,
        &body.email,
        &body.password,
    )?;
    let user = app.hub.signup(request).await?;
    created(views::UserEnvelope {
        user: views::User::from(&user),
    })
}

#[derive(Deserialize, ToSchema)]
struct LoginBody {
    /// Username or email.
    login: String,
    password: String,
}

/// Log in; sets the session cookie and returns its CSRF token
///
/// After 10 failures for one login name in 15 minutes it answers 429 with Retry-After.
#[utoipa::path(post, path = "/login", tag = "account", request_body = LoginBody, security((), ("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 200, description = "Logged in; the session cookie is set", body = views::LoginResult)))]
async fn login(State(app): State<AppState>, ApiJson(body): ApiJson<LoginBody>) -> ApiResult {
    let outcome = app.hub.login(body.login.trim(), &body.password).await?;
    let cookie = app.cookie(
        SESSION_COOKIE,
        outcome.cookie.value.expose(),
        Some(outcome.cookie.expires_at),
    );
    let body = views::LoginResult {
        user: views::User::from(&outcome.user),
        csrf_token: outcome.cookie.csrf_token.clone(),
    };
    Ok(([(SET_COOKIE, cookie)], Json(body)).into_response())
}

/// End the current session
#[utoipa::path(post, path = "/logout", tag = "account", security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 204, description = "Logged out; the session cookie is cleared")))]
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

#[derive(Deserialize, ToSchema)]
struct VerifyBody {
    /// The token from the link in the mail.
    token: String,
}

/// Verify an email with the token from its link
#[utoipa::path(post, path = "/emails/verify", tag = "account", request_body = VerifyBody, security((), ("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 200, description = "Verified", body = views::Verified)))]
async fn verify_email(
    State(app): State<AppState>,
    ApiJson(body): ApiJson<VerifyBody>,
) -> ApiResult {
    app.hub.verify_email(body.token.trim()).await?;
    ok(views::Verified { verified: true })
}

/// The current user and their emails
#[utoipa::path(get, path = "/me", tag = "account", security(("bearer" = []), ("session" = [])), responses((status = 200, description = "The current user", body = views::Me)))]
async fn me(auth: Auth, State(app): State<AppState>) -> ApiResult {
    let user = signed_in(&auth)?;
    let emails = app
        .hub
        .emails(user.id)
        .await?
        .iter()
        .map(views::Email::from)
        .collect();
    ok(views::Me {
        username: user.username.to_string(),
        display_name: user.display_name.clone(),
        created_at: user.created_at.to_rfc3339(),
        emails,
        csrf_token: auth.caller.session.as_ref().map(|s| s.csrf_token.clone()),
    })
}

#[derive(Deserialize, ToSchema)]
struct UpdateMeBody {
    #[schema(value_type = DisplayNameText)]
    display_name: String,
}

/// Change the display name
#[utoipa::path(patch, path = "/me", tag = "account", request_body = UpdateMeBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 200, description = "The updated user", body = views::User)))]
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
    ok(views::User::from(&user))
}

#[derive(Deserialize, ToSchema)]
struct PasswordBody {
    current_password: String,
    #[schema(min_length = 8, max_length = 256)]
    new_password: String,
}

/// Change the password; other sessions end (browser session only)
#[utoipa::path(post, path = "/me/password", tag = "account", request_body = PasswordBody, security(("session" = [], "csrf" = [])), responses((status = 204, description = "Changed")))]
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

/// The current user's emails
#[utoipa::path(get, path = "/me/emails", tag = "account", security(("bearer" = []), ("session" = [])), responses((status = 200, description = "Emails", body = Vec<views::Email>)))]
async fn emails(auth: Auth, State(app): State<AppState>) -> ApiResult {
    let user = signed_in(&auth)?;
    let emails: Vec<views::Email> = app
        .hub
        .emails(user.id)
        .await?
        .iter()
        .map(views::Email::from)
        .collect();
    ok(emails)
}

#[derive(Deserialize, ToSchema)]
struct EmailBody {
    #[schema(format = Email, max_length = 254)]
    email: String,
}

/// Add an email; a verification link is mailed (browser session only)
#[utoipa::path(post, path = "/me/emails", tag = "account", request_body = EmailBody, security(("session" = [], "csrf" = [])), responses((status = 201, description = "The new email", body = views::Email)))]
async fn add_email(
    auth: Auth,
    State(app): State<AppState>,
    ApiJson(body): ApiJson<EmailBody>,
) -> ApiResult {
    let email = app
        .hub
        .add_email(&auth.caller, Email::parse(&body.email)?)
        .await?;
    created(views::Email::from(&email))
}

/// Remove a non-primary email (browser session only)
#[utoipa::path(delete, path = "/me/emails/{id}", tag = "account", params(("id" = i64, Path, description = "Email id")), security(("session" = [], "csrf" = [])), responses((status = 204, description = "Removed")))]
async fn delete_email(auth: Auth, State(app): State<AppState>, Path(id): Path<i64>) -> ApiResult {
    app.hub.remove_email(&auth.caller, EmailId(id)).await?;
    no_content()
}

/// Make a verified email primary (browser session only)
#[utoipa::path(post, path = "/me/emails/{id}/primary", tag = "account", params(("id" = i64, Path, description = "Email id")), security(("session" = [], "csrf" = [])), responses((status = 204, description = "Made primary")))]
async fn primary_email(auth: Auth, State(app): State<AppState>, Path(id): Path<i64>) -> ApiResult {
    app.hub.set_primary_email(&auth.caller, EmailId(id)).await?;
    no_content()
}

/// Send a new verification link (browser session only)
#[utoipa::path(post, path = "/me/emails/{id}/resend", tag = "account", params(("id" = i64, Path, description = "Email id")), security(("session" = [], "csrf" = [])), responses((status = 204, description = "Sent")))]
async fn resend_email(auth: Auth, State(app): State<AppState>, Path(id): Path<i64>) -> ApiResult {
    app.hub
        .resend_verification(&auth.caller, EmailId(id))
        .await?;
    no_content()
}

/// The current user's access tokens (never their secrets)
#[utoipa::path(get, path = "/me/tokens", tag = "tokens", security(("bearer" = []), ("session" = [])), responses((status = 200, description = "Tokens", body = Vec<views::Token>)))]
async fn tokens(auth: Auth, State(app): State<AppState>) -> ApiResult {
    let tokens: Vec<views::Token> = app
        .hub
        .tokens(signed_in(&auth)?)
        .await?
        .iter()
        .map(views::Token::from)
        .collect();
    ok(tokens)
}

#[derive(Deserialize, ToSchema)]
struct TokenBody {
    #[schema(value_type = TokenName)]
    name: String,
    #[schema(value_type = TokenScopeSchema)]
    scope: String,
}

/// Create an access token; the secret is returned once (browser session only)
#[utoipa::path(post, path = "/me/tokens", tag = "tokens", request_body = TokenBody, security(("session" = [], "csrf" = [])), responses((status = 201, description = "The token and its secret", body = views::CreatedToken)))]
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
    created(views::CreatedToken {
        token: views::Token::from(&created_token.token),
        secret: created_token.secret.expose().to_owned(),
    })
}

/// Revoke an access token
#[utoipa::path(delete, path = "/me/tokens/{id}", tag = "tokens", params(("id" = i64, Path, description = "Token id")), security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 204, description = "Revoked")))]
async fn revoke_token(auth: Auth, State(app): State<AppState>, Path(id): Path<i64>) -> ApiResult {
    app.hub.revoke_token(writer(&auth)?, TokenId(id)).await?;
    no_content()
}

/// Organizations of the current user with their role
#[utoipa::path(get, path = "/me/orgs", tag = "orgs", security(("bearer" = []), ("session" = [])), responses((status = 200, description = "Organizations", body = Vec<views::Org>)))]
async fn my_orgs(auth: Auth, State(app): State<AppState>) -> ApiResult {
    signed_in(&auth)?;
    let orgs: Vec<views::Org> = app
        .hub
        .orgs_of(&auth.caller)
        .await?
        .iter()
        .map(|(o, r)| views::Org::new(o, Some(*r)))
        .collect();
    ok(orgs)
}

/// A user's public profile
#[utoipa::path(get, path = "/users/{user}", tag = "account", params(("user" = String, Path, description = "Username")), security((), ("bearer" = []), ("session" = [])), responses((status = 200, description = "The user", body = views::User)))]
async fn user(State(app): State<AppState>, Path(user): Path<String>) -> ApiResult {
    let username = Username::parse(&user).map_err(|_| ServiceError::NotFound(Entity::User))?;
    ok(views::User::from(&app.hub.user(&username).await?))
}

#[derive(Deserialize, ToSchema)]
struct CreateOrgBody {
    #[schema(value_type = Handle)]
    name: String,
    #[serde(default)]
    #[schema(value_type = DisplayNameText)]
    display_name: String,
}

/// Create an organization; the caller becomes admin
#[utoipa::path(post, path = "/orgs", tag = "orgs", request_body = CreateOrgBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 201, description = "The organization", body = views::Org)))]
async fn create_org(
    auth: Auth,
    State(app): State<AppState>,
    ApiJson(body): ApiJson<CreateOrgBody>,
) -> ApiResult {
    let name = OrgName::parse(&body.name)?;
    let display_name = DisplayName::parse("display_name", &body.display_name)?;
    let org = app.hub.create_org(&auth.caller, name, display_name).await?;
    created(views::Org::new(&org, Some(Role::Admin)))
}

/// An organization
#[utoipa::path(get, path = "/orgs/{org}", tag = "orgs", params(("org" = String, Path, description = "Organization name")), security((), ("bearer" = []), ("session" = [])), responses((status = 200, description = "The organization", body = views::Org)))]
async fn org(auth: Auth, State(app): State<AppState>, Path(org): Path<String>) -> ApiResult {
    let view = app.hub.org(&auth.caller, &org_name(&org)?).await?;
    ok(views::Org::new(&view.org, view.role))
}

#[derive(Deserialize, ToSchema)]
struct UpdateOrgBody {
    #[schema(value_type = Option<DisplayNameText>)]
    display_name: Option<String>,
    #[schema(value_type = Option<views::Role>)]
    default_role: Option<String>,
}

/// Change display name or default role (admin)
#[utoipa::path(patch, path = "/orgs/{org}", tag = "orgs", params(("org" = String, Path, description = "Organization name")), request_body = UpdateOrgBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 200, description = "The organization", body = views::Org)))]
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
    ok(views::Org::new(&updated, Some(Role::Admin)))
}

/// Members and roles (members only)
#[utoipa::path(get, path = "/orgs/{org}/members", tag = "orgs", params(("org" = String, Path, description = "Organization name")), security((), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Members", body = Vec<views::Member>)))]
async fn members(auth: Auth, State(app): State<AppState>, Path(org): Path<String>) -> ApiResult {
    let (_, members) = app.hub.members(&auth.caller, &org_name(&org)?).await?;
    ok(members.iter().map(views::Member::from).collect::<Vec<_>>())
}

#[derive(Deserialize, ToSchema)]
struct AddMemberBody {
    #[schema(value_type = Handle)]
    username: String,
    /// Defaults to the organization's default role.
    #[schema(value_type = Option<views::Role>)]
    role: Option<String>,
}

/// Add a member (admin)
#[utoipa::path(post, path = "/orgs/{org}/members", tag = "orgs", params(("org" = String, Path, description = "Organization name")), request_body = AddMemberBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 201, description = "The member", body = views::Member)))]
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
    created(views::Member::from(&member))
}

#[derive(Deserialize, ToSchema)]
struct RoleBody {
    #[schema(value_type = views::Role)]
    role: String,
}

/// Change a member's role (admin); the last admin stays
#[utoipa::path(patch, path = "/orgs/{org}/members/{user}", tag = "orgs", params(("org" = String, Path, description = "Organization name"), ("user" = String, Path, description = "Member's username")), request_body = RoleBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 200, description = "The member", body = views::Member)))]
async fn set_role(
    auth: Auth,
    State(app): State<AppState>,
    Path((org, user)): Path<(String, String)>,
    ApiJson(body): ApiJson<RoleBody>,
) -> ApiResult {
    let role = Role::parse_field("role", &body.role)?;
    let username = Username::parse(&user).map_err(|_| ServiceError::NotFound(Entity::Member))?;
    let member = app
        .hub
        .set_member_role(&auth.caller, &org_name(&org)?, &username, role)
        .await?;
    ok(views::Member::from(&member))
}

/// Remove a member (admin) or leave (self)
#[utoipa::path(delete, path = "/orgs/{org}/members/{user}", tag = "orgs", params(("org" = String, Path, description = "Organization name"), ("user" = String, Path, description = "Member's username")), security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 204, description = "Removed")))]
async fn remove_member(
    auth: Auth,
    State(app): State<AppState>,
    Path((org, user)): Path<(String, String)>,
) -> ApiResult {
    let username = Username::parse(&user).map_err(|_| ServiceError::NotFound(Entity::Member))?;
    app.hub
        .remove_member(&auth.caller, &org_name(&org)?, &username)
        .await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
struct CreateRepoBody {
    /// A user or organization name.
    #[schema(value_type = Handle)]
    owner: String,
    #[schema(value_type = RepoKindSchema)]
    kind: String,
    #[schema(value_type = RepoNameText)]
    name: String,
    #[serde(default)]
    /// Defaults to public.
    #[schema(value_type = Option<VisibilitySchema>)]
    visibility: Option<String>,
    #[serde(default)]
    #[schema(value_type = ReadmeText)]
    readme: String,
}

/// Create a repository
#[utoipa::path(post, path = "/repos", tag = "repos", request_body = CreateRepoBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 201, description = "The repository", body = views::Repo)))]
async fn create_repo(
    auth: Auth,
    State(app): State<AppState>,
    ApiJson(body): ApiJson<CreateRepoBody>,
) -> ApiResult {
    let kind = RepoKind::parse(&body.kind)?;
    let name = RepoName::parse(&body.name)?;
    let visibility = Visibility::parse(body.visibility.as_deref().unwrap_or("public"))?;
    // A name no one could hold is a field error; one that is free (or that
    // the caller may not see) is a 404, as everywhere in the API.
    Username::parse(&body.owner).map_err(|e| orgsso_core::FieldError::new("owner", e.message))?;
    let repo = app
        .hub
        .create_repo(
            &auth.caller,
            &body.owner,
            kind,
            name,
            visibility,
            body.readme,
        )
        .await?;
    created(views::Repo::from(&repo))
}

/// Repositories of a user or organization visible to the caller
#[utoipa::path(get, path = "/repos/{owner}", tag = "repos", params(("owner" = String, Path, description = "User or organization name")), security((), ("bearer" = []), ("session" = [])), responses((status = 200, description = "Repositories", body = Vec<views::Repo>)))]
async fn repos_of(auth: Auth, State(app): State<AppState>, Path(owner): Path<String>) -> ApiResult {
    let repos = app.hub.repos_of(&auth.caller, &owner).await?;
    ok(repos.iter().map(views::Repo::from).collect::<Vec<_>>())
}

/// A repository, with what the caller may do to it
///
/// Private ones are 404 to those who may not see them.
#[utoipa::path(get, path = "/repos/{kind}/{owner}/{name}", tag = "repos", params(("kind" = String, Path, description = "model, dataset or space (or the plural)"), ("owner" = String, Path, description = "User or organization name"), ("name" = String, Path, description = "Repository name")), security((), ("bearer" = []), ("session" = [])), responses((status = 200, description = "The repository", body = views::Repo)))]
async fn repo(
    auth: Auth,
    State(app): State<AppState>,
    Path((kind, owner, name)): Path<(String, String, String)>,
) -> ApiResult {
    let view = app
        .hub
        .repo(&auth.caller, repo_kind(&kind)?, &owner, &name)
        .await?;
    ok(views::Repo {
        can_edit: Some(view.can_edit),
        can_delete: Some(view.can_delete),
        ..views::Repo::from(&view.repo)
    })
}

#[derive(Deserialize, ToSchema)]
struct UpdateRepoBody {
    #[schema(value_type = Option<VisibilitySchema>)]
    visibility: Option<String>,
    #[schema(value_type = Option<ReadmeText>)]
    readme: Option<String>,
}

/// Change visibility or README
#[utoipa::path(patch, path = "/repos/{kind}/{owner}/{name}", tag = "repos", params(("kind" = String, Path, description = "model, dataset or space (or the plural)"), ("owner" = String, Path, description = "User or organization name"), ("name" = String, Path, description = "Repository name")), request_body = UpdateRepoBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 200, description = "The repository", body = views::Repo)))]
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
    ok(views::Repo::from(&repo))
}

/// Delete a repository
#[utoipa::path(delete, path = "/repos/{kind}/{owner}/{name}", tag = "repos", params(("kind" = String, Path, description = "model, dataset or space (or the plural)"), ("owner" = String, Path, description = "User or organization name"), ("name" = String, Path, description = "Repository name")), security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 204, description = "Deleted")))]
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

/// SSO state, SP endpoints, newest configuration and SSO users (admin)
#[utoipa::path(get, path = "/orgs/{org}/sso", tag = "sso", params(("org" = String, Path, description = "Organization name")), security(("bearer" = []), ("session" = [])), responses((status = 200, description = "The organization's SSO", body = views::SsoState)))]
async fn sso_state(auth: Auth, State(app): State<AppState>, Path(org): Path<String>) -> ApiResult {
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    let overview = app.hub.sso_overview(&admin).await?;
    let sp = app.hub.saml_endpoints(&overview.org.name);
    let now = app.hub.now();
    let latest = overview.latest.as_ref().map(|c| views::LatestConfig {
        id: c.id.0,
        protocol: c.protocol.as_str().to_owned(),
        created_at: c.created_at.to_rfc3339(),
        tested_at: c.tested_at.map(|t| t.to_rfc3339()),
        test_result: c
            .test_result
            .as_deref()
            .and_then(|r| serde_json::from_str::<Value>(r).ok()),
        saml: SamlSettings::from_config(c).map(|s| views::SamlView {
            certificates: s
                .certificates
                .iter()
                .filter_map(|pem| certificate_info(pem, now))
                .map(|i| views::CertificateView {
                    subject: i.subject,
                    sha256_fingerprint: i.fingerprint_sha256,
                    not_before: i.not_before.to_rfc3339(),
                    not_after: i.not_after.to_rfc3339(),
                    expiring_soon: i.expiring_soon,
                    expired: i.expired,
                })
                .collect(),
            idp_sso_url: s.idp_sso_url,
            idp_entity_id: s.idp_entity_id,
            allow_sha1: s.allow_sha1,
            accept_response_only_signature: s.accept_response_only_signature,
            sign_authn_requests: s.sign_authn_requests,
            jit_domains: s.jit_domains,
        }),
        oidc: OidcSettings::from_config(c).map(|o| views::OidcView {
            issuer_url: o.issuer_url,
            client_id: o.client_id,
            client_secret_set: c.secret_ciphertext.is_some(),
            scopes: o.scopes,
            email_claim: o.email_claim.to_string(),
            jit_domains: o.jit_domains,
            required_claim: o.required_claim.map(|r| views::RequiredClaim {
                name: r.name,
                value: r.value,
            }),
            max_age: o.max_age,
            prompt_login: o.prompt_login,
        }),
    });
    ok(views::SsoState {
        enabled: overview.state.enabled(),
        mode: overview.state.mode.as_str().into(),
        jit_membership: overview.state.jit_membership,
        domains: overview
            .domains
            .iter()
            .map(views::SsoDomain::from)
            .collect(),
        can_enable: overview.can_enable.is_ok(),
        can_enable_reason: overview.can_enable.err().map(|why| why.to_string()),
        active_config: overview.state.active_config.map(|c| c.0),
        session_timeout_s: overview.state.session_ttl_s,
        allow_idp_initiated: overview.state.allow_idp_initiated,
        saml_sp: views::SamlSp {
            acs_url: sp.acs_url,
            entity_id: sp.entity_id,
            metadata_url: sp.metadata_url,
        },
        oidc_callback_url: app.hub.oidc_callback_url(&overview.org.name),
        latest_config: latest,
        sso_users: overview
            .sessions
            .iter()
            .map(|(s, u)| views::SsoUser {
                username: u.as_ref().map(|u| u.username.to_string()),
                email: s.email.clone(),
                signed_in_at: s.created_at.to_rfc3339(),
                expires_at: s.expires_at.to_rfc3339(),
            })
            .collect(),
    })
}

/// Save a SAML configuration (untested); returns the URL that tests it
#[utoipa::path(post, path = "/orgs/{org}/sso/saml", tag = "sso", params(("org" = String, Path, description = "Organization name")), request_body = SamlConfigBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 201, description = "Saved, untested", body = views::SavedConfig)))]
async fn save_saml(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<SamlConfigBody>,
) -> ApiResult {
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    let saved = app
        .hub
        .save_saml_config(&auth.caller, &admin, input.into())
        .await?;
    saved_config(saved)
}

/// Save an OpenID Connect configuration (untested; discovery runs now); returns the URL that tests it
#[utoipa::path(post, path = "/orgs/{org}/sso/oidc", tag = "sso", params(("org" = String, Path, description = "Organization name")), request_body = OidcConfigBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 201, description = "Saved, untested", body = views::SavedConfig)))]
async fn save_oidc(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(input): ApiJson<OidcConfigBody>,
) -> ApiResult {
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    let saved = app
        .hub
        .save_oidc_config(&auth.caller, &admin, input.into())
        .await?;
    saved_config(saved)
}

fn saved_config(saved: SavedConfig) -> ApiResult {
    created(views::SavedConfig {
        config_id: saved.config.0,
        tested: false,
        test_url: saved.test_url,
        next: "open test_url in a browser signed in as this admin to test the configuration".into(),
    })
}

#[derive(Deserialize, ToSchema)]
struct EnableBody {
    #[serde(deserialize_with = "whole_number")]
    config_id: i64,
    /// `optional` or `enforced` (the default).
    #[serde(default)]
    #[schema(value_type = Option<EnableModeSchema>)]
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

/// Enable SSO (admin)
///
/// With a configuration you tested yourself within the hour with an IdP identity that is one of your verified emails. Ends every SSO session of the organization.
#[utoipa::path(post, path = "/orgs/{org}/sso/enable", tag = "sso", params(("org" = String, Path, description = "Organization name")), request_body = EnableBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 204, description = "Enabled")))]
async fn sso_enable(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<EnableBody>,
) -> ApiResult {
    let mode = enable_mode(body.mode.as_deref())?;
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    app.hub
        .enable_sso(&admin, SsoConfigId(body.config_id), mode)
        .await?;
    no_content()
}

/// Disable SSO (admin); ends every SSO session of the organization
#[utoipa::path(post, path = "/orgs/{org}/sso/disable", tag = "sso", params(("org" = String, Path, description = "Organization name")), security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 204, description = "Disabled")))]
async fn sso_disable(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
) -> ApiResult {
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    app.hub.disable_sso(&admin).await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
struct SsoOptionsBody {
    /// Seconds, 15 minutes to 90 days; lowering it shortens open sessions.
    #[serde(default, deserialize_with = "some_whole_number")]
    session_timeout_s: Option<i64>,
    allow_idp_initiated: Option<bool>,
    jit_membership: Option<bool>,
}

/// SSO options (admin); omitted fields keep their value
#[utoipa::path(patch, path = "/orgs/{org}/sso", tag = "sso", params(("org" = String, Path, description = "Organization name")), request_body = SsoOptionsBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 204, description = "Saved")))]
async fn sso_options(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<SsoOptionsBody>,
) -> ApiResult {
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    app.hub
        .set_sso_options(
            &admin,
            SsoOptionsUpdate {
                session_ttl_s: body.session_timeout_s,
                allow_idp_initiated: body.allow_idp_initiated,
                jit_membership: body.jit_membership,
            },
        )
        .await?;
    no_content()
}

#[derive(Deserialize, ToSchema)]
struct DomainBody {
    /// Normalised to lowercase and IDNA ASCII (a Unicode name is accepted too);
    /// no wildcard, IP address or public suffix alone.
    #[schema(
        max_length = 253,
        pattern = r"^(?!.*--)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
    )]
    domain: String,
}

/// Email domains tied to the organization's SSO, with the hub accounts that have a verified email in each (admin)
#[utoipa::path(get, path = "/orgs/{org}/sso/domains", tag = "sso", params(("org" = String, Path, description = "Organization name")), security(("bearer" = []), ("session" = [])), responses((status = 200, description = "Domains", body = Vec<views::SsoDomain>)))]
async fn sso_domains(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
) -> ApiResult {
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    let overview = app.hub.sso_overview(&admin).await?;
    ok(overview
        .domains
        .iter()
        .map(views::SsoDomain::from)
        .collect::<Vec<_>>())
}

/// Tie an email domain to the organization's SSO (admin)
///
/// 409 when another organization with SSO on lists it.
#[utoipa::path(post, path = "/orgs/{org}/sso/domains", tag = "sso", params(("org" = String, Path, description = "Organization name")), request_body = DomainBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 201, description = "Added", body = views::SsoDomainAdded)))]
async fn add_sso_domain(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<DomainBody>,
) -> ApiResult {
    let domain = EmailDomain::parse(&body.domain)?;
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    app.hub.add_sso_domain(&admin, &domain).await?;
    created(views::SsoDomainAdded {
        domain: domain.as_str().to_owned(),
    })
}

/// Untie an email domain (admin)
#[utoipa::path(delete, path = "/orgs/{org}/sso/domains/{domain}", tag = "sso", params(("org" = String, Path, description = "Organization name"), ("domain" = String, Path, description = "Email domain")), security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 204, description = "Removed")))]
async fn remove_sso_domain(
    auth: Auth,
    State(app): State<AppState>,
    Path((org, domain)): Path<(String, String)>,
) -> ApiResult {
    // A domain that cannot be listed is simply not listed.
    let domain =
        EmailDomain::parse(&domain).map_err(|_| ServiceError::NotFound(Entity::EmailDomain))?;
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    app.hub.remove_sso_domain(&admin, &domain).await?;
    no_content()
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
struct RevokeBody {
    /// One member's sessions; absent: everyone's.
    #[schema(value_type = Option<Handle>)]
    username: Option<String>,
}

/// End the SSO sessions of one member (`username`) or of everyone (admin)
#[utoipa::path(post, path = "/orgs/{org}/sso/revoke", tag = "sso", params(("org" = String, Path, description = "Organization name")), request_body = RevokeBody, security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 200, description = "Sessions ended", body = views::Revoked)))]
async fn revoke_sso_sessions(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    ApiJson(body): ApiJson<RevokeBody>,
) -> ApiResult {
    let member = body.username.as_deref().map(Username::parse).transpose()?;
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    let ended = app.hub.revoke_sso_sessions(&admin, member.as_ref()).await?;
    ok(views::Revoked { revoked: ended })
}

/// One of the organization's SAML SP keys.
#[derive(Serialize, ToSchema)]
struct SpKeyView {
    /// `signing` (AuthnRequests) or `encryption` (EncryptedAssertions).
    #[schema(example = "encryption")]
    usage: &'static str,
    /// `false`: the previous key of a rotation, still published and still decrypting.
    current: bool,
    certificate_pem: String,
    fingerprint_sha256: String,
    created_at: String,
}

/// What a key rotation action did.
#[derive(Serialize, ToSchema)]
struct SpKeyRotationView {
    /// `started`, `already_rotating` (retire the previous keys first), `retired` or
    /// `nothing_to_retire`.
    #[schema(example = "started")]
    outcome: &'static str,
    keys: Vec<SpKeyView>,
}

async fn sp_key_views(
    app: &AppState,
    auth: &Auth,
    org: &OrgName,
) -> Result<Vec<SpKeyView>, WebError> {
    let admin = app.hub.org_admin(&auth.caller, org).await?;
    Ok(app
        .hub
        .saml_sp_keys(&admin)
        .await?
        .into_iter()
        .map(|k| SpKeyView {
            usage: k.usage.as_str(),
            current: k.current,
            certificate_pem: k.certificate_pem,
            fingerprint_sha256: k.fingerprint_sha256,
            created_at: k.created_at.to_rfc3339(),
        })
        .collect())
}

fn rotation_outcome(rotation: SpKeyRotation) -> &'static str {
    match rotation {
        SpKeyRotation::Started => "started",
        SpKeyRotation::AlreadyRotating => "already_rotating",
        SpKeyRotation::Retired { .. } => "retired",
        SpKeyRotation::NothingToRetire => "nothing_to_retire",
    }
}

/// The organization's SAML SP keys, current first (admin); created on first need
#[utoipa::path(get, path = "/orgs/{org}/sso/saml/keys", tag = "sso", params(("org" = String, Path, description = "Organization name")), security(("bearer" = []), ("session" = [])), responses((status = 200, description = "SP keys", body = Vec<SpKeyView>)))]
async fn saml_sp_keys(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
) -> ApiResult {
    ok(sp_key_views(&app, &auth, &org_name(&org)?).await?)
}

/// Start a SAML SP key rotation (admin): new keys are published next to the old ones, both decrypt
#[utoipa::path(post, path = "/orgs/{org}/sso/saml/keys/rotate", tag = "sso", params(("org" = String, Path, description = "Organization name")), security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 200, description = "Rotation started, or already under way", body = SpKeyRotationView)))]
async fn rotate_saml_sp_keys(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
) -> ApiResult {
    let name = org_name(&org)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    let rotation = app.hub.rotate_saml_sp_keys(&admin).await?;
    ok(SpKeyRotationView {
        outcome: rotation_outcome(rotation),
        keys: sp_key_views(&app, &auth, &name).await?,
    })
}

/// Finish a SAML SP key rotation (admin): the previous keys are deleted and no longer published
#[utoipa::path(post, path = "/orgs/{org}/sso/saml/keys/retire", tag = "sso", params(("org" = String, Path, description = "Organization name")), security(("bearer" = []), ("session" = [], "csrf" = [])), responses((status = 200, description = "Previous keys retired, or none to retire", body = SpKeyRotationView)))]
async fn retire_saml_sp_keys(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
) -> ApiResult {
    let name = org_name(&org)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    let rotation = app.hub.retire_saml_sp_keys(&admin).await?;
    ok(SpKeyRotationView {
        outcome: rotation_outcome(rotation),
        keys: sp_key_views(&app, &auth, &name).await?,
    })
}

/// `POST /orgs/{org}/sso/saml`: the service's [`SamlSettingsInput`], field for
/// field (its constructor below names every field, so neither can gain one alone).
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
#[schema(as = SamlConfig)]
struct SamlConfigBody {
    /// The IdP's single sign-on URL (HTTP-Redirect binding).
    idp_sso_url: String,
    idp_entity_id: String,
    /// One or more PEM certificates; a signature by any of them is accepted.
    certificates: String,
    /// The IdP's metadata XML, instead of the three fields above.
    metadata_xml: String,
    /// Where the IdP publishes its metadata; fetched on save when no XML is given.
    metadata_url: String,
    allow_sha1: bool,
    /// Accept a Response whose signature covers its one unsigned Assertion
    /// (Shibboleth's default). Off: the Assertion itself must be signed.
    accept_response_only_signature: bool,
    /// Sign every AuthnRequest with the organization's SAML signing key (RSA-SHA256),
    /// for IdPs that require signed requests. SP metadata then says so.
    sign_authn_requests: bool,
    /// Email domains (separated by commas or spaces) whose users just-in-time
    /// membership may add. Empty: the organization's SSO email domains, or anyone
    /// the IdP signs in when it has none.
    #[schema(example = "example.com, example.org")]
    jit_domains: String,
}

impl From<SamlConfigBody> for SamlSettingsInput {
    fn from(body: SamlConfigBody) -> Self {
        SamlSettingsInput {
            idp_sso_url: body.idp_sso_url,
            idp_entity_id: body.idp_entity_id,
            certificates_pem: body.certificates,
            metadata_xml: body.metadata_xml,
            metadata_url: body.metadata_url,
            allow_sha1: body.allow_sha1,
            accept_response_only_signature: body.accept_response_only_signature,
            sign_authn_requests: body.sign_authn_requests,
            jit_domains: body.jit_domains,
        }
    }
}

/// `POST /orgs/{org}/sso/oidc`: the service's [`OidcSettingsInput`], field for field.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
#[schema(as = OidcConfig)]
struct OidcConfigBody {
    issuer_url: String,
    client_id: String,
    /// Empty keeps the secret of the newest configuration with the same issuer and client.
    client_secret: String,
    /// Space-separated; `openid` is always sent.
    scopes: String,
    /// The claim carrying the email: `email` (the default), `upn` or `preferred_username`.
    #[schema(pattern = r"^\s*(email|upn|preferred_username)?\s*$")]
    email_claim: String,
    /// Email domains (separated by commas or spaces) whose users just-in-time
    /// membership may add. Empty: the organization's SSO email domains, or anyone
    /// the IdP signs in when it has none.
    #[schema(example = "example.com, example.org")]
    jit_domains: String,
    /// A top-level claim every sign-in (members included) must carry, e.g. `hd`,
    /// `tid` or `groups`; give it with `required_claim_value`, or neither.
    #[schema(max_length = 128)]
    required_claim: String,
    /// The value `required_claim` must equal, or contain when it is an array.
    #[schema(max_length = 256)]
    required_claim_value: String,
    /// OIDC `max_age` in seconds (0 to 7776000), sent with every request; the ID token's
    /// `auth_time` must then be present and no older. Absent or null: no limit.
    #[schema(minimum = 0, maximum = 7776000)]
    #[serde(deserialize_with = "some_whole_number")]
    max_age: Option<i64>,
    /// Send `prompt=login`: the IdP asks for credentials at every sign-in.
    prompt_login: bool,
}

impl From<OidcConfigBody> for OidcSettingsInput {
    fn from(body: OidcConfigBody) -> Self {
        OidcSettingsInput {
            issuer_url: body.issuer_url,
            client_id: body.client_id,
            client_secret: body.client_secret,
            scopes: body.scopes,
            email_claim: body.email_claim,
            jit_domains: body.jit_domains,
            required_claim: body.required_claim,
            required_claim_value: body.required_claim_value,
            max_age: body.max_age.map(|s| s.to_string()).unwrap_or_default(),
            prompt_login: body.prompt_login,
        }
    }
}

/// An access token's scope.
#[derive(ToSchema)]
#[schema(as = TokenScope, rename_all = "lowercase")]
#[allow(dead_code)] // documents the accepted values
enum TokenScopeSchema {
    Read,
    Write,
}

/// A repository's kind.
#[derive(ToSchema)]
#[schema(as = RepoKind, rename_all = "lowercase")]
#[allow(dead_code)] // documents the accepted values
enum RepoKindSchema {
    Model,
    Dataset,
    Space,
}

#[derive(ToSchema)]
#[schema(as = Visibility, rename_all = "lowercase")]
#[allow(dead_code)] // documents the accepted values
enum VisibilitySchema {
    Public,
    Private,
}

/// The SSO mode to enable; `enforced` when omitted.
#[derive(ToSchema)]
#[schema(as = EnableMode, rename_all = "lowercase")]
#[allow(dead_code)] // documents the accepted values
enum EnableModeSchema {
    Optional,
    Enforced,
}

/// User, organization and repository names: letters, digits, `-`, `_` and
/// `.`, starting and ending with a letter or digit, without `..` or `--`;
/// compared in lower case (`orgsso_core::names`).
const NAME_PATTERN: &str = r"^(?!.*(\.\.|--))[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]$";
/// Characters `orgsso_core::unicode::is_invisible` refuses in free text:
/// control, format (invisible, bidirectional), line and paragraph separators.
const INVISIBLE: &str = "\u{0}-\u{1f}\u{7f}-\u{9f}\u{ad}\u{600}-\u{605}\u{61c}\u{6dd}\u{70f}\u{890}\u{891}\u{8e2}\u{180e}\u{200b}-\u{200f}\u{2028}-\u{202e}\u{2060}-\u{2064}\u{2066}-\u{206f}\u{feff}\u{fff9}-\u{fffb}\u{110bd}\u{110cd}\u{13430}-\u{1343f}\u{1bca0}-\u{1bca3}\u{1d173}-\u{1d17a}\u{e0001}\u{e0020}-\u{e007f}";

/// [`NAME_PATTERN`], refusing the reserved names in any letter case.
fn unreserved_name_pattern() -> String {
    let any_case = |word: &str| -> String {
        word.chars()
            .map(|c| match c.is_ascii_alphabetic() {
                true => format!("[{}{}]", c.to_ascii_uppercase(), c),
                false => regex_escape(c),
            })
            .collect()
    };
    let reserved: Vec<String> = orgsso_core::names::RESERVED
        .iter()
        .map(|w| any_case(w))
        .collect();
    format!("^(?!({})$){}", reserved.join("|"), &NAME_PATTERN[1..])
}

fn regex_escape(c: char) -> String {
    match c {
        '.' | '-' | '\\' | '(' | ')' | '[' | ']' | '|' | '*' | '+' | '?' | '^' | '$' | '{'
        | '}' => {
            format!("\\{c}")
        }
        c => c.to_string(),
    }
}

/// A string schema registered as a named component, for text fields whose
/// rules serde cannot carry.
macro_rules! text_schema {
    ($ty:ident, $name:literal, $min:expr, $max:expr, $pattern:expr, $doc:literal) => {
        #[doc = $doc]
        struct $ty;
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .description(Some($doc.trim()))
                    .min_length($min)
                    .max_length(Some($max))
                    .pattern(Some($pattern))
                    .into()
            }
        }
        impl ToSchema for $ty {
            fn name() -> std::borrow::Cow<'static, str> {
                $name.into()
            }
        }
    };
}

text_schema!(Handle, "Name", Some(2), 39, unreserved_name_pattern(),
    " A user or organization name, 2 to 39 characters; a few names the hub uses itself are reserved.");
text_schema!(
    RepoNameText,
    "RepoName",
    Some(2),
    96,
    NAME_PATTERN,
    " A repository name, 2 to 96 characters."
);
text_schema!(
    DisplayNameText,
    "DisplayName",
    None,
    100,
    format!("^[^{INVISIBLE}]*$"),
    " Free text shown next to a name: at most 100 characters, no invisible or control characters."
);
text_schema!(
    TokenName,
    "TokenName",
    Some(1),
    64,
    format!("^[^{INVISIBLE}]*[^{INVISIBLE}\\s][^{INVISIBLE}]*$"),
    " A label for an access token: 1 to 64 printable characters, not all blank."
);
text_schema!(
    ReadmeText,
    "Readme",
    None,
    256 * 1024,
    "^[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{7f}-\u{9f}]*$",
    " Markdown, at most 256 KiB in UTF-8; tabs and line breaks but no other control characters."
);
