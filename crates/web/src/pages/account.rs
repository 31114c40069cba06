//! Pages of one's own account: home, sign-up, log-in, email verification,
//! settings (profile, password, emails, access tokens).

use super::form_again::form_again;
use super::{render, render_with, Chrome, Done, Notice, RepoLink, SsoBanner};
use crate::auth::{Auth, SESSION_COOKIE};
use crate::error::{PageError, WebError};
use crate::forms::CsrfForm;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use orgsso_core::{DisplayName, Email, EmailId, Password, SsoMode, TokenId, TokenScope, Username};
use orgsso_service::{Entity, ServiceError, SignupRequest};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/signup", get(signup_page).post(signup))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/verify-email", get(verify_email_page).post(verify_email))
        .route("/settings/account", get(account_page).post(save_profile))
        .route("/settings/password", post(change_password))
        .route("/settings/emails", get(emails_page).post(add_email))
        .route("/settings/emails/{id}/{command}", post(email_command))
        .route("/settings/tokens", get(tokens_page).post(create_token))
        .route("/settings/tokens/{id}/delete", post(revoke_token))
}

fn signed_in(auth: &Auth) -> Result<&orgsso_store::User, PageError> {
    auth.user()
        .ok_or_else(|| PageError(WebError::from(orgsso_core::Denied::LoginRequired)))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    orgs: Vec<(String, String)>,
    repos: Vec<RepoLink>,
    unverified: bool,
}

async fn home(
    auth: Auth,
    State(app): State<AppState>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let mut chrome = Chrome::new(&auth).with_notice(q.notice());
    let (mut orgs, mut repos, mut unverified) = (Vec::new(), Vec::new(), false);
    if let Some(user) = auth.user() {
        let banner = app
            .hub
            .sso_prompts(&auth.caller)
            .await?
            .iter()
            .map(|p| SsoBanner::new(p.org.as_str(), p.mode == SsoMode::Enforced, "/"))
            .collect();
        chrome = chrome.with_sso_banner(banner);
        orgs = app
            .hub
            .orgs_of(&auth.caller)
            .await?
            .into_iter()
            .map(|(o, r)| (o.name.to_string(), r.to_string()))
            .collect();
        repos = app
            .hub
            .repos_of(&auth.caller, user.username.as_str())
            .await?
            .iter()
            .map(RepoLink::of)
            .collect();
        unverified = app
            .hub
            .emails(user.id)
            .await?
            .iter()
            .any(|e| e.primary && !e.is_verified());
    }
    Ok(render(&HomePage {
        chrome,
        orgs,
        repos,
        unverified,
    }))
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupView {
    chrome: Chrome,
    username: String,
    display_name: String,
    email: String,
}

async fn signup_page(auth: Auth) -> Response {
    render(&SignupView {
        chrome: Chrome::new(&auth),
        username: String::new(),
        display_name: String::new(),
        email: String::new(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SignupForm {
    username: String,
    display_name: String,
    email: String,
    password: String,
}

pub fn parse_signup(
    username: &str,
    display_name: &str,
    email: &str,
    password: &str,
) -> Result<SignupRequest, WebError> {
    Ok(SignupRequest {
        username: Username::parse(username)?,
        display_name: DisplayName::parse("display_name", display_name)?,
        email: Email::parse(email)?,
        password: Password::parse(password).map_err(ServiceError::from)?,
    })
}

async fn signup(
    auth: Auth,
    State(app): State<AppState>,
    CsrfForm(form): CsrfForm<SignupForm>,
) -> Result<Response, PageError> {
    let attempt = async {
        let request = parse_signup(
            &form.username,
            &form.display_name,
            &form.email,
            &form.password,
        )?;
        let password = form.password.clone();
        let user = app.hub.signup(request).await?;
        Ok::<_, WebError>(app.hub.login(user.username.as_str(), &password).await?)
    };
    match attempt.await {
        Ok(outcome) => Ok(with_session(&app, outcome.cookie, &Notice::Signup.at("/"))),
        Err(err) => {
            form_again(&auth, err, |chrome| async {
                Ok(SignupView {
                    chrome,
                    username: form.username,
                    display_name: form.display_name,
                    email: form.email,
                })
            })
            .await
        }
    }
}

fn with_session(app: &AppState, cookie: orgsso_service::NewSessionCookie, to: &str) -> Response {
    let set = app.cookie(
        SESSION_COOKIE,
        cookie.value.expose(),
        Some(cookie.expires_at),
    );
    ([(SET_COOKIE, set)], Redirect::to(to)).into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    login: String,
    next: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: String,
}

async fn login_page(auth: Auth, Query(q): Query<NextQuery>) -> Response {
    if auth.user().is_some() {
        return Redirect::to("/").into_response();
    }
    render(&LoginPage {
        chrome: Chrome::new(&auth),
        login: String::new(),
        next: q.next,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    login: String,
    password: String,
    next: String,
}

async fn login(
    auth: Auth,
    State(app): State<AppState>,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> Result<Response, PageError> {
    match app.hub.login(form.login.trim(), &form.password).await {
        Ok(outcome) => {
            let to = orgsso_core::redirect::safe_local_path(&form.next).unwrap_or("/");
            Ok(with_session(&app, outcome.cookie, to))
        }
        Err(err @ (ServiceError::BadCredentials | ServiceError::TooManyAttempts { .. })) => {
            form_again(&auth, err.into(), |chrome| async {
                Ok(LoginPage {
                    chrome,
                    login: form.login,
                    next: form.next,
                })
            })
            .await
        }
        Err(err) => Err(err.into()),
    }
}

async fn logout(
    State(app): State<AppState>,
    headers: axum::http::HeaderMap,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    if let Some(value) = crate::auth::cookie(&headers, SESSION_COOKIE) {
        app.hub.logout(value).await?;
    }
    Ok((
        [(SET_COOKIE, app.expired_cookie(SESSION_COOKIE))],
        Redirect::to("/"),
    )
        .into_response())
}

#[derive(Deserialize, Default)]
pub struct Empty {}

#[derive(Template)]
#[template(path = "verify_email.html")]
struct VerifyEmailPage {
    chrome: Chrome,
    token: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenField {
    token: String,
}

// Opening the link only shows a button: mail scanners that prefetch links must not verify.
async fn verify_email_page(auth: Auth, Query(q): Query<TokenField>) -> Response {
    render(&VerifyEmailPage {
        chrome: Chrome::new(&auth),
        token: q.token,
    })
}

async fn verify_email(
    State(app): State<AppState>,
    CsrfForm(form): CsrfForm<TokenField>,
) -> Result<Response, PageError> {
    app.hub.verify_email(form.token.trim()).await?;
    Ok(Notice::Verified.redirect("/settings/emails"))
}

#[derive(Template)]
#[template(path = "settings_account.html")]
struct AccountPage {
    chrome: Chrome,
    display_name: String,
}

async fn account_page(auth: Auth, Query(q): Query<Done>) -> Result<Response, PageError> {
    let user = signed_in(&auth)?;
    Ok(render(&AccountPage {
        chrome: Chrome::new(&auth).with_notice(q.notice()),
        display_name: user.display_name.clone(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProfileForm {
    display_name: String,
}

async fn save_profile(
    auth: Auth,
    State(app): State<AppState>,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> Result<Response, PageError> {
    let user = signed_in(&auth)?;
    let display_name = DisplayName::parse("display_name", &form.display_name)?;
    app.hub.set_display_name(user, display_name).await?;
    Ok(Notice::Profile.redirect("/settings/account"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

async fn change_password(
    auth: Auth,
    State(app): State<AppState>,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> Result<Response, PageError> {
    let user = signed_in(&auth)?;
    let new = Password::parse(&form.new_password).map_err(ServiceError::from)?;
    match app
        .hub
        .change_password(&auth.caller, &form.current_password, new)
        .await
    {
        Ok(()) => Ok(Notice::Password.redirect("/settings/account")),
        Err(err) => {
            form_again(&auth, err.into(), |chrome| async {
                Ok(AccountPage {
                    chrome,
                    display_name: user.display_name.clone(),
                })
            })
            .await
        }
    }
}

struct EmailRow {
    id: i64,
    address: String,
    verified: bool,
    primary: bool,
}

#[derive(Template)]
#[template(path = "settings_emails.html")]
struct EmailsPage {
    chrome: Chrome,
    emails: Vec<EmailRow>,
}

async fn emails_view(auth: &Auth, app: &AppState, chrome: Chrome) -> Result<EmailsPage, PageError> {
    let user = signed_in(auth)?;
    let emails = app
        .hub
        .emails(user.id)
        .await?
        .into_iter()
        .map(|e| EmailRow {
            id: e.id.0,
            verified: e.is_verified(),
            primary: e.primary,
            address: e.address.to_string(),
        })
        .collect();
    Ok(EmailsPage { chrome, emails })
}

async fn emails_page(
    auth: Auth,
    State(app): State<AppState>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&auth).with_notice(q.notice());
    Ok(render(&emails_view(&auth, &app, chrome).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    email: String,
}

/// Runs an email action; a 4xx re-renders the page with the message.
async fn email_action(
    auth: Auth,
    app: AppState,
    done: Notice,
    action: impl std::future::Future<Output = Result<(), WebError>>,
) -> Result<Response, PageError> {
    match action.await {
        Ok(()) => Ok(done.redirect("/settings/emails")),
        Err(err) => form_again(&auth, err, |chrome| emails_view(&auth, &app, chrome)).await,
    }
}

async fn add_email(
    auth: Auth,
    State(app): State<AppState>,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> Result<Response, PageError> {
    signed_in(&auth)?;
    let (hub, caller) = (app.hub.clone(), auth.caller.clone());
    email_action(auth, app, Notice::EmailAdded, async move {
        hub.add_email(&caller, Email::parse(&form.email)?).await?;
        Ok(())
    })
    .await
}

/// Resend a link, make primary, or remove: one email of the signed-in user.
async fn email_command(
    auth: Auth,
    State(app): State<AppState>,
    Path((id, command)): Path<(i64, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    signed_in(&auth)?;
    let (hub, caller, email) = (app.hub.clone(), auth.caller.clone(), EmailId(id));
    let done = match command.as_str() {
        "resend" => Notice::EmailSent,
        "primary" => Notice::EmailPrimary,
        "delete" => Notice::EmailRemoved,
        _ => return Err(WebError::from(ServiceError::NotFound(Entity::Page)).into()),
    };
    email_action(auth, app, done, async move {
        match command.as_str() {
            "resend" => hub.resend_verification(&caller, email).await?,
            "primary" => hub.set_primary_email(&caller, email).await?,
            _ => hub.remove_email(&caller, email).await?,
        }
        Ok(())
    })
    .await
}

struct TokenRow {
    id: i64,
    name: String,
    scope: &'static str,
    created_at: String,
    last_used_at: String,
}

#[derive(Template)]
#[template(path = "settings_tokens.html")]
struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenRow>,
    new_secret: Option<String>,
}

async fn tokens_view(
    auth: &Auth,
    app: &AppState,
    chrome: Chrome,
    new_secret: Option<String>,
) -> Result<TokensPage, PageError> {
    let user = signed_in(auth)?;
    let tokens = app
        .hub
        .tokens(user)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.0,
            name: t.name,
            scope: t.scope.as_str(),
            created_at: t.created_at.to_rfc3339(),
            last_used_at: t
                .last_used_at
                .map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "never".into()),
        })
        .collect();
    Ok(TokensPage {
        chrome,
        tokens,
        new_secret,
    })
}

async fn tokens_page(
    auth: Auth,
    State(app): State<AppState>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let chrome = Chrome::new(&auth).with_notice(q.notice());
    Ok(render(&tokens_view(&auth, &app, chrome, None).await?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    name: String,
    scope: String,
}

async fn create_token(
    auth: Auth,
    State(app): State<AppState>,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Result<Response, PageError> {
    signed_in(&auth)?;
    let attempt = async {
        let scope = TokenScope::parse(&form.scope)?;
        Ok::<_, WebError>(
            app.hub
                .create_token(&auth.caller, &form.name, scope)
                .await?,
        )
    };
    match attempt.await {
        // Rendered directly, not redirected: the secret must not travel in a URL.
        Ok(created) => Ok(render_with(
            StatusCode::CREATED,
            &tokens_view(
                &auth,
                &app,
                Chrome::new(&auth),
                Some(created.secret.expose().clone()),
            )
            .await?,
        )),
        Err(err) => form_again(&auth, err, |chrome| tokens_view(&auth, &app, chrome, None)).await,
    }
}

async fn revoke_token(
    auth: Auth,
    State(app): State<AppState>,
    Path(id): Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let user = signed_in(&auth)?;
    app.hub.revoke_token(user, TokenId(id)).await?;
    Ok(Notice::TokenRevoked.redirect("/settings/tokens"))
}
