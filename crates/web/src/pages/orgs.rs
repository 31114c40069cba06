//! Organization pages: create, overview, members, settings; user profiles.

use super::form_again::form_again;
use super::{options, render, Chrome, Done, Notice, RepoLink, SelectOption, SsoBanner};
use crate::auth::Auth;
use crate::error::{PageError, WebError};
use crate::forms::org_name;
use crate::forms::CsrfForm;
use crate::pages::account::Empty;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use orgsso_core::{Action, DisplayName, OrgName, Role, SsoMode, Username};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/organizations/new", get(new_org_page))
        .route("/organizations", post(create_org))
        .route("/organizations/{org}", get(org_page))
        .route(
            "/organizations/{org}/members",
            get(members_page).post(add_member),
        )
        .route("/organizations/{org}/members/{user}/role", post(set_role))
        .route(
            "/organizations/{org}/members/{user}/remove",
            post(remove_member),
        )
        .route(
            "/organizations/{org}/settings",
            get(settings_page).post(save_settings),
        )
        .route("/users/{user}", get(user_page))
}

fn role_names() -> impl Iterator<Item = &'static str> {
    Role::ALL.into_iter().map(Role::as_str)
}

#[derive(Template)]
#[template(path = "org_new.html")]
struct NewOrgPage {
    chrome: Chrome,
    name: String,
    display_name: String,
}

async fn new_org_page(auth: Auth) -> Result<Response, PageError> {
    auth.caller.writer()?;
    Ok(render(&NewOrgPage {
        chrome: Chrome::new(&auth),
        name: String::new(),
        display_name: String::new(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewOrgForm {
    name: String,
    display_name: String,
}

async fn create_org(
    auth: Auth,
    State(app): State<AppState>,
    CsrfForm(form): CsrfForm<NewOrgForm>,
) -> Result<Response, PageError> {
    let attempt = async {
        let name = OrgName::parse(&form.name)?;
        let display_name = DisplayName::parse("display_name", &form.display_name)?;
        Ok::<_, WebError>(app.hub.create_org(&auth.caller, name, display_name).await?)
    };
    match attempt.await {
        Ok(org) => Ok(Notice::OrgCreated.redirect(&format!("/organizations/{}", org.name))),
        // Only a signed-in user sees the form again; anyone else gets the error itself.
        Err(err) if auth.user().is_some() => {
            form_again(&auth, err, |chrome| async {
                Ok(NewOrgPage {
                    chrome,
                    name: form.name,
                    display_name: form.display_name,
                })
            })
            .await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "org.html")]
struct OrgPage {
    chrome: Chrome,
    name: String,
    display_name: String,
    role: Option<String>,
    can_view_members: bool,
    can_manage: bool,
    can_create: bool,
    sso_enabled: bool,
    repos: Vec<RepoLink>,
}

async fn org_page(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let view = app.hub.org(&auth.caller, &name).await?;
    let repos = app.hub.repos_of(&auth.caller, name.as_str()).await?;
    let viewer = auth.caller.viewer;
    let state = app.hub.org_sso_state(&view.org).await?;
    let mut banner = Vec::new();
    if view.sso_prompt() {
        let here = format!("/organizations/{name}");
        banner.push(SsoBanner::new(
            name.as_str(),
            state.mode == SsoMode::Enforced,
            &here,
        ));
    }
    Ok(render(&OrgPage {
        chrome: Chrome::new(&auth)
            .with_notice(q.notice())
            .with_sso_banner(banner),
        name: view.org.name.to_string(),
        display_name: view.org.display_name.clone(),
        role: view.role.map(|r| r.to_string()),
        can_view_members: view.may(viewer, Action::ViewMembers),
        can_manage: view.may(viewer, Action::ManageSettings),
        can_create: view.may(viewer, Action::CreateRepo),
        sso_enabled: state.enabled(),
        repos: repos.iter().map(RepoLink::of).collect(),
    }))
}

struct MemberRow {
    username: String,
    display_name: String,
    role: String,
    role_options: Vec<SelectOption>,
    is_me: bool,
}

#[derive(Template)]
#[template(path = "org_members.html")]
struct MembersPage {
    chrome: Chrome,
    name: String,
    members: Vec<MemberRow>,
    can_manage: bool,
    add_options: Vec<SelectOption>,
}

async fn members_view(
    auth: &Auth,
    app: &AppState,
    name: &OrgName,
    chrome: Chrome,
) -> Result<MembersPage, PageError> {
    let (view, members) = app.hub.members(&auth.caller, name).await?;
    let me = auth.caller.viewer.id();
    Ok(MembersPage {
        chrome,
        name: view.org.name.to_string(),
        can_manage: view.may(auth.caller.viewer, Action::ManageMembers),
        add_options: options(role_names(), view.org.default_role.as_str()),
        members: members
            .into_iter()
            .map(|m| MemberRow {
                is_me: Some(m.user) == me,
                role_options: options(role_names(), m.role.as_str()),
                username: m.username.to_string(),
                display_name: m.display_name,
                role: m.role.to_string(),
            })
            .collect(),
    })
}

async fn members_page(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let chrome = Chrome::new(&auth).with_notice(q.notice());
    Ok(render(&members_view(&auth, &app, &name, chrome).await?))
}

/// Runs a members action; a 4xx re-renders the members page with the message.
async fn member_action(
    auth: &Auth,
    app: &AppState,
    name: &OrgName,
    done: Notice,
    result: Result<(), WebError>,
) -> Result<Response, PageError> {
    match result {
        Ok(()) => Ok(done.redirect(&format!("/organizations/{name}/members"))),
        // A member or organization that is not there gets the 404 page.
        Err(err) if err.status() != StatusCode::NOT_FOUND => {
            form_again(auth, err, |chrome| members_view(auth, app, name, chrome)).await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AddMemberForm {
    username: String,
    role: String,
}

async fn add_member(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(form): CsrfForm<AddMemberForm>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let result = async {
        let username = Username::parse(&form.username)?;
        let role = if form.role.is_empty() {
            None
        } else {
            Some(Role::parse_field("role", &form.role)?)
        };
        app.hub
            .add_member(&auth.caller, &name, &username, role)
            .await?;
        Ok(())
    }
    .await;
    let result = result.map_err(|e: WebError| match e {
        WebError::Service(orgsso_service::ServiceError::NotFound(orgsso_service::Entity::User)) => {
            WebError::from(orgsso_core::FieldError::new(
                "username",
                "no user has this username",
            ))
        }
        other => other,
    });
    member_action(&auth, &app, &name, Notice::MemberAdded, result).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoleForm {
    role: String,
}

async fn set_role(
    auth: Auth,
    State(app): State<AppState>,
    Path((org, user)): Path<(String, String)>,
    CsrfForm(form): CsrfForm<RoleForm>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let result = async {
        let username = Username::parse(&user)?;
        let role = Role::parse_field("role", &form.role)?;
        app.hub
            .set_member_role(&auth.caller, &name, &username, role)
            .await?;
        Ok(())
    }
    .await;
    member_action(&auth, &app, &name, Notice::MemberUpdated, result).await
}

async fn remove_member(
    auth: Auth,
    State(app): State<AppState>,
    Path((org, user)): Path<(String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let leaving = auth
        .user()
        .is_some_and(|u| u.username.as_str() == user.to_ascii_lowercase());
    let result = async {
        let username = Username::parse(&user)?;
        app.hub
            .remove_member(&auth.caller, &name, &username)
            .await?;
        Ok(())
    }
    .await;
    if leaving && result.is_ok() {
        return Ok(Redirect::to("/").into_response());
    }
    member_action(&auth, &app, &name, Notice::MemberRemoved, result).await
}

#[derive(Template)]
#[template(path = "org_settings.html")]
struct SettingsPage {
    chrome: Chrome,
    name: String,
    display_name: String,
    role_options: Vec<SelectOption>,
}

async fn settings_page(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let view = app
        .hub
        .org_for(&auth.caller, &name, Action::ManageSettings)
        .await?;
    Ok(render(&SettingsPage {
        chrome: Chrome::new(&auth).with_notice(q.notice()),
        name: view.org.name.to_string(),
        display_name: view.org.display_name.clone(),
        role_options: options(role_names(), view.org.default_role.as_str()),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsForm {
    display_name: String,
    default_role: String,
}

async fn save_settings(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let display_name = DisplayName::parse("display_name", &form.display_name)?;
    let default_role = Role::parse_field("default_role", &form.default_role)?;
    app.hub
        .update_org(&auth.caller, &name, Some(display_name), Some(default_role))
        .await?;
    Ok(Notice::Settings.redirect(&format!("/organizations/{name}/settings")))
}

#[derive(Template)]
#[template(path = "user.html")]
struct UserPage {
    chrome: Chrome,
    username: String,
    display_name: String,
    repos: Vec<RepoLink>,
}

async fn user_page(
    auth: Auth,
    State(app): State<AppState>,
    Path(user): Path<String>,
) -> Result<Response, PageError> {
    let username = Username::parse(&user).map_err(|_| {
        PageError(orgsso_service::ServiceError::NotFound(orgsso_service::Entity::User).into())
    })?;
    let user = app.hub.user(&username).await?;
    let repos = app
        .hub
        .repos_of(&auth.caller, user.username.as_str())
        .await?;
    Ok(render(&UserPage {
        chrome: Chrome::new(&auth),
        username: user.username.to_string(),
        display_name: user.display_name,
        repos: repos.iter().map(RepoLink::of).collect(),
    }))
}
