//! Repository pages: create, view (README), edit, delete.

use super::form_again::form_again;
use super::{options, render, repo_href, Chrome, SelectOption};
use crate::auth::Auth;
use crate::error::{PageError, WebError};
use crate::forms::CsrfForm;
use crate::pages::account::Empty;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use orgsso_core::{RepoKind, RepoName, Role, Visibility};
use orgsso_service::{Entity, RepoUpdate, ServiceError};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/new", get(new_repo_page).post(create_repo))
        .route("/{kind}/{owner}/{name}", get(repo_page))
        .route(
            "/{kind}/{owner}/{name}/edit",
            get(edit_page).post(save_repo),
        )
        .route(
            "/{kind}/{owner}/{name}/delete",
            axum::routing::post(delete_repo),
        )
}

fn kind(segment: &str) -> Result<RepoKind, PageError> {
    RepoKind::from_plural(segment)
        .ok_or_else(|| PageError(ServiceError::NotFound(Entity::Page).into()))
}

#[derive(Template)]
#[template(path = "repo_new.html")]
struct NewRepoPage {
    chrome: Chrome,
    owners: Vec<SelectOption>,
    name: String,
    readme: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OwnerQuery {
    owner: String,
}

/// The namespaces the user may create in: their own and organizations where they are contributor or more.
async fn owner_options(
    auth: &Auth,
    app: &AppState,
    selected: &str,
) -> Result<Vec<SelectOption>, PageError> {
    let user = auth.caller.writer()?;
    let mut names = vec![user.username.to_string()];
    for (org, role) in app.hub.orgs_of(&auth.caller).await? {
        if role >= Role::Contributor {
            names.push(org.name.to_string());
        }
    }
    Ok(options(names.iter().map(String::as_str), selected))
}

async fn new_repo_page(
    auth: Auth,
    State(app): State<AppState>,
    Query(q): Query<OwnerQuery>,
) -> Result<Response, PageError> {
    let owners = owner_options(&auth, &app, &q.owner).await?;
    Ok(render(&NewRepoPage {
        chrome: Chrome::new(&auth),
        owners,
        name: String::new(),
        readme: String::new(),
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NewRepoForm {
    owner: String,
    kind: String,
    name: String,
    visibility: String,
    readme: String,
}

async fn create_repo(
    auth: Auth,
    State(app): State<AppState>,
    CsrfForm(form): CsrfForm<NewRepoForm>,
) -> Result<Response, PageError> {
    let attempt = async {
        let kind = RepoKind::parse(&form.kind)?;
        let name = RepoName::parse(&form.name)?;
        let visibility = Visibility::parse(&form.visibility)?;
        Ok::<_, WebError>(
            app.hub
                .create_repo(
                    &auth.caller,
                    &form.owner,
                    kind,
                    name,
                    visibility,
                    form.readme.clone(),
                )
                .await?,
        )
    };
    match attempt.await {
        Ok(repo) => Ok(Redirect::to(&repo_href(&repo)).into_response()),
        // Only a signed-in user sees the form again; anyone else gets the error itself.
        Err(err) if auth.user().is_some() => {
            form_again(&auth, err, |chrome| async {
                Ok(NewRepoPage {
                    chrome,
                    owners: owner_options(&auth, &app, &form.owner).await?,
                    name: form.name,
                    readme: form.readme,
                })
            })
            .await
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Template)]
#[template(path = "repo.html")]
struct RepoPage {
    chrome: Chrome,
    kind: &'static str,
    owner: String,
    owner_href: String,
    name: String,
    visibility: &'static str,
    readme: String,
    href: String,
    can_edit: bool,
    can_delete: bool,
}

async fn repo_page(
    auth: Auth,
    State(app): State<AppState>,
    Path((kind_segment, owner, name)): Path<(String, String, String)>,
    Query(q): Query<super::Done>,
) -> Result<Response, PageError> {
    let view = app
        .hub
        .repo(&auth.caller, kind(&kind_segment)?, &owner, &name)
        .await?;
    let repo = view.repo;
    let owner_href = match repo.owner {
        orgsso_store::Owner::User(_) => format!("/users/{}", repo.owner_name),
        orgsso_store::Owner::Org(_) => format!("/organizations/{}", repo.owner_name),
    };
    let mut banner = Vec::new();
    if view.sso_prompt {
        // Only an optional SSO lets a member without a session this far.
        banner.push(super::SsoBanner::new(
            &repo.owner_name,
            false,
            &repo_href(&repo),
        ));
    }
    Ok(render(&RepoPage {
        chrome: Chrome::new(&auth)
            .with_notice(q.notice())
            .with_sso_banner(banner),
        kind: repo.kind.as_str(),
        href: repo_href(&repo),
        owner: repo.owner_name,
        owner_href,
        name: repo.name.to_string(),
        visibility: repo.visibility.as_str(),
        readme: repo.readme,
        can_edit: view.can_edit,
        can_delete: view.can_delete,
    }))
}

#[derive(Template)]
#[template(path = "repo_edit.html")]
struct EditPage {
    chrome: Chrome,
    owner: String,
    name: String,
    href: String,
    readme: String,
    visibility_options: Vec<SelectOption>,
}

async fn edit_page(
    auth: Auth,
    State(app): State<AppState>,
    Path((kind_segment, owner, name)): Path<(String, String, String)>,
) -> Result<Response, PageError> {
    let view = app
        .hub
        .repo(&auth.caller, kind(&kind_segment)?, &owner, &name)
        .await?;
    if !view.can_edit {
        return Err(WebError::from(orgsso_core::Denied::InsufficientRole {
            required: Role::Write,
            actual: None,
        })
        .into());
    }
    let repo = view.repo;
    Ok(render(&EditPage {
        chrome: Chrome::new(&auth),
        href: repo_href(&repo),
        owner: repo.owner_name,
        name: repo.name.to_string(),
        visibility_options: options(["public", "private"], repo.visibility.as_str()),
        readme: repo.readme,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EditForm {
    visibility: String,
    readme: String,
}

async fn save_repo(
    auth: Auth,
    State(app): State<AppState>,
    Path((kind_segment, owner, name)): Path<(String, String, String)>,
    CsrfForm(form): CsrfForm<EditForm>,
) -> Result<Response, PageError> {
    let kind = kind(&kind_segment)?;
    let visibility = Visibility::parse(&form.visibility)?;
    let update = RepoUpdate {
        visibility: Some(visibility),
        readme: Some(form.readme),
    };
    let repo = app
        .hub
        .update_repo(&auth.caller, kind, &owner, &name, update)
        .await?;
    Ok(super::Notice::RepoSaved.redirect(&repo_href(&repo)))
}

async fn delete_repo(
    auth: Auth,
    State(app): State<AppState>,
    Path((kind_segment, owner, name)): Path<(String, String, String)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    app.hub
        .delete_repo(&auth.caller, kind(&kind_segment)?, &owner, &name)
        .await?;
    Ok(super::Notice::RepoDeleted.redirect("/"))
}
