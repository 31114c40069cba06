//! The SSO audit log page: the organization's whole log, newest first, a
//! page at a time, filtered by event, user, time range and outcome.

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
use orgsso_core::FieldError;
use orgsso_service::sso::audit::{AuditFilter, AuditRecord};
use std::collections::HashMap;

/// Entries one page shows.
const PAGE_SIZE: u32 = 50;

pub fn routes() -> Router<AppState> {
    Router::new().route("/organizations/{org}/settings/sso/audit", get(audit_page))
}

struct EntryRow {
    at: String,
    event: String,
    actor: String,
    target: String,
    failed: bool,
    detail: String,
}

#[derive(Template)]
#[template(path = "org_sso_audit.html")]
struct AuditPage {
    chrome: Chrome,
    name: String,
    /// The filters as typed, to fill the form again.
    event: String,
    user: String,
    outcome: String,
    since: String,
    until: String,
    entries: Vec<EntryRow>,
    /// The link to the next (older) page, filters kept.
    older: Option<String>,
}

async fn audit_page(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    let arg = |key: &str| query.get(key).map(String::as_str);
    let filter = AuditFilter::parse(arg).map_err(WebError::from)?;
    let before =
        match arg("before").filter(|b| !b.is_empty()) {
            None => None,
            Some(id) => Some(id.parse::<i64>().map_err(|_| {
                WebError::from(FieldError::new("before", "must be an entry number"))
            })?),
        };
    let records = app
        .hub
        .sso_audit_page(&admin, &filter, before, true, PAGE_SIZE)
        .await?;
    let typed = |key: &str| arg(key).unwrap_or_default().trim().to_owned();
    let older = match records.last() {
        Some(last) if records.len() == PAGE_SIZE as usize => {
            let mut link = format!(
                "/organizations/{name}/settings/sso/audit?before={}",
                last.entry.id
            );
            for key in ["event", "user", "outcome", "since", "until"] {
                let value = typed(key);
                if !value.is_empty() {
                    link.push_str(&format!("&{key}={}", percent_encode(&value)));
                }
            }
            Some(link)
        }
        _ => None,
    };
    Ok(render(&AuditPage {
        chrome: Chrome::new(&auth),
        name: name.to_string(),
        event: typed("event"),
        user: typed("user"),
        outcome: typed("outcome"),
        since: typed("since"),
        until: typed("until"),
        entries: records.iter().map(entry_row).collect(),
        older,
    }))
}

fn entry_row(record: &AuditRecord) -> EntryRow {
    let e = &record.entry;
    EntryRow {
        at: e.at.to_rfc3339(),
        event: e.event.clone(),
        actor: match (&record.actor_name, e.actor_kind.as_str()) {
            (_, "operator") => "the server operator".to_owned(),
            (Some(name), "sign_in") => format!("{name} (SSO sign-in)"),
            (Some(name), _) => name.to_string(),
            (None, _) => "—".to_owned(),
        },
        target: e.target.clone().unwrap_or_default(),
        failed: e.outcome == orgsso_store::AuditOutcome::Failure,
        detail: e.detail.clone(),
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
