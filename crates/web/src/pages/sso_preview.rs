//! The SSO preview page: before enabling SSO, tying another email domain or
//! saving a role mapping, the admin sees who the change reaches, which
//! access tokens stop and which roles change, and confirms by submitting the
//! change from here.

use super::{render, Chrome};
use crate::auth::Auth;
use crate::error::{PageError, WebError};
use crate::forms::org_name;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use orgsso_core::{FieldError, SsoMode};
use orgsso_service::sso::preview::{Effect, RoleOutcome, SsoChange, SsoPreview};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/organizations/{org}/settings/sso/preview",
        get(preview_page),
    )
}

struct PersonRow {
    username: String,
    /// The role of a member, or the address that puts a non-member in a domain.
    reach: String,
    effect: String,
    stopped: bool,
}

struct TokenRow {
    owner: String,
    name: String,
    scope: &'static str,
    last_used: String,
}

struct RoleRow {
    username: String,
    now: String,
    would_be: String,
    /// Why: the values the path found, or the default role, or no sign-in yet.
    because: String,
    changes: bool,
}

/// The form that makes the change, with the fields it needs.
struct Confirm {
    action: String,
    fields: Vec<(&'static str, String)>,
    /// A role mapping's table, shown as it will be saved.
    roles_text: Option<String>,
    button: String,
}

#[derive(Template)]
#[template(path = "org_sso_preview.html")]
struct PreviewPage {
    chrome: Chrome,
    name: String,
    title: String,
    outcome: String,
    people: Vec<PersonRow>,
    tokens: Vec<TokenRow>,
    mapping: bool,
    roles: Vec<RoleRow>,
    test_sign_in: Option<RoleRow>,
    confirm: Confirm,
}

async fn preview_page(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    let arg = |key: &str| query.get(key).map(String::as_str);
    let change = SsoChange::parse(arg).map_err(WebError::from)?;
    let settings = format!("/organizations/{name}/settings/sso");
    let (title, confirm) = match &change {
        SsoChange::Enable { mode } => {
            let config = arg("config_id")
                .and_then(|id| id.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    WebError::from(FieldError::new(
                        "config_id",
                        "must be a configuration number",
                    ))
                })?;
            (
                format!("Enable SSO, {mode}"),
                Confirm {
                    action: format!("{settings}/enable"),
                    fields: vec![
                        ("config_id", config.to_string()),
                        ("mode", mode.to_string()),
                    ],
                    roles_text: None,
                    button: format!("Confirm: enable SSO, {mode}"),
                },
            )
        }
        SsoChange::AddDomain { domain } => (
            format!("Tie @{domain} to SSO"),
            Confirm {
                action: format!("{settings}/domains"),
                fields: vec![("domain", domain.to_string())],
                roles_text: None,
                button: format!("Confirm: add @{domain}"),
            },
        ),
        SsoChange::Mapping { path, roles } => (
            "Save the role mapping".to_owned(),
            Confirm {
                action: format!("{settings}/role-mapping"),
                fields: vec![("path", path.clone())],
                roles_text: Some(roles.clone()),
                button: "Confirm: save the role mapping".to_owned(),
            },
        ),
    };
    let mapping = matches!(change, SsoChange::Mapping { .. });
    let preview = app.hub.sso_preview(&admin, change).await?;
    let title = match &preview.change {
        SsoChange::Enable { mode } if preview.mode_before != SsoMode::Off => {
            format!("Switch SSO from {} to {mode}", preview.mode_before)
        }
        _ => title,
    };
    Ok(render(&PreviewPage {
        chrome: Chrome::new(&auth),
        name: name.to_string(),
        title,
        outcome: outcome(&preview, name.as_str()),
        people: preview
            .affected
            .iter()
            .map(|a| PersonRow {
                username: a.username.to_string(),
                reach: match (&a.role, &a.domain_address) {
                    (Some(role), _) => format!("member ({role})"),
                    (None, Some(address)) => format!("verified email {address}"),
                    (None, None) => String::new(),
                },
                effect: effect_text(a.effect),
                stopped: a.effect == Effect::MustSignIn,
            })
            .collect(),
        tokens: preview
            .tokens
            .iter()
            .map(|(owner, t)| TokenRow {
                owner: owner.to_string(),
                name: t.name.clone(),
                scope: t.scope.as_str(),
                last_used: t
                    .last_used_at
                    .map_or_else(|| "never".to_owned(), |at| at.to_rfc3339()),
            })
            .collect(),
        mapping,
        roles: preview.roles.iter().map(role_row).collect(),
        test_sign_in: preview.test_sign_in.as_ref().map(role_row),
        confirm,
    }))
}

fn role_row(o: &RoleOutcome) -> RoleRow {
    let role =
        |r: Option<orgsso_core::Role>| r.map_or_else(|| "none".to_owned(), |r| r.to_string());
    RoleRow {
        username: o.username.to_string(),
        now: role(o.role_now),
        would_be: o
            .would_be
            .map_or_else(|| "set at their next sign-in".to_owned(), |r| r.to_string()),
        because: match (&o.would_be, o.signed_in_at) {
            (None, None) => "no sign-in through the IdP recorded yet".to_owned(),
            (None, Some(_)) => "what the IdP sent last time was too large to keep".to_owned(),
            (Some(_), _) if o.matched.is_empty() => "no value matched: the default role".to_owned(),
            (Some(_), _) => format!("matched {}", o.matched.join(", ")),
        },
        changes: o.changes(),
    }
}

/// The one sentence the admin reads before confirming.
fn outcome(preview: &SsoPreview, org: &str) -> String {
    if let SsoChange::Mapping { .. } = preview.change {
        let changing = preview.roles.iter().filter(|r| r.changes()).count();
        return format!(
            "{changing} {} will get a new role at their next sign-in through the identity provider; nobody else is affected until they sign in.",
            plural(changing, "member", "members"),
        );
    }
    let stopped = preview.count(|e| *e == Effect::MustSignIn);
    let tokens = preview.tokens.len();
    match preview.mode_after {
        SsoMode::Enforced => format!(
            "{stopped} {} will reach nothing in {org} until they sign in through the identity provider; \
             {tokens} access {} will stop reaching {org} until {} owners do.",
            plural(stopped, "person", "people"),
            plural(tokens, "token", "tokens"),
            if tokens == 1 { "its" } else { "their" },
        ),
        SsoMode::Optional => format!(
            "SSO stays optional: the people below are asked to sign in through the identity provider; nothing in {org} is refused."
        ),
        SsoMode::Off => format!(
            "SSO is off: nobody is stopped now; once it is enabled, the people below reach {org} only through the identity provider."
        ),
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

fn effect_text(effect: Effect) -> String {
    match effect {
        Effect::MustSignIn => "must sign in through the IdP".to_owned(),
        Effect::Prompted => "asked to sign in through the IdP".to_owned(),
        Effect::UntilSessionEnds(at) => format!("keeps their SSO session until {at}"),
        Effect::WhenEnabled => "must sign in through the IdP once SSO is on".to_owned(),
    }
}
