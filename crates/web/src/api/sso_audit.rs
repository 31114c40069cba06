//! The SSO audit log export: every matching entry, oldest first, as JSON
//! lines (`application/x-ndjson`), streamed a page at a time so a SIEM can
//! ingest a log of any length without the server holding it.

use super::ApiResult;
use crate::auth::Auth;
use crate::forms::org_name;
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use orgsso_service::sso::audit::{AuditFilter, AuditRecord, AUDIT_PAGE_SIZE};
use orgsso_service::sso::OrgAdmin;
use orgsso_service::Hub;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// The export's filters; each optional.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documents the query; the handler reads it leniently.
pub(super) struct AuditExportQuery {
    /// Only this event code, such as `sso.login_failed`.
    #[param(pattern = "^[a-z._]{1,64}$")]
    event: Option<String>,
    /// Only entries this user caused or that are about them.
    #[param(value_type = Option<super::Handle>)]
    user: Option<String>,
    #[param(pattern = "^(success|failure)$")]
    outcome: Option<String>,
    /// From this time on (RFC 3339).
    #[param(format = DateTime)]
    since: Option<String>,
    /// Before this time (RFC 3339).
    #[param(format = DateTime)]
    until: Option<String>,
}

/// One line of the export.
#[derive(Serialize, ToSchema)]
pub(crate) struct AuditLine {
    /// Increases with every entry: a reader resumes after the last one it kept.
    id: i64,
    #[schema(format = DateTime)]
    at: String,
    /// A stable code: `sso.config_saved`, `sso.test_passed`, `sso.test_failed`,
    /// `sso.enabled`, `sso.disabled`, `sso.login_failed`, `sso.role_changed`, …
    event: String,
    /// `user` (in the hub), `operator` (command line) or `sign_in` (an SSO sign-in).
    #[schema(pattern = "^(user|operator|sign_in)$")]
    actor_kind: String,
    /// The acting user's username.
    #[schema(required = true)]
    actor: Option<String>,
    #[schema(required = true)]
    actor_id: Option<i64>,
    /// What the entry is about: a member, a domain, a configuration.
    #[schema(required = true)]
    target: Option<String>,
    #[schema(pattern = "^(success|failure)$")]
    outcome: String,
    /// For people: for a failure, exactly which check failed.
    detail: String,
    /// The same facts for machines (`code` and `check` of a refusal, roles before and after, …).
    #[schema(value_type = Object)]
    details: Value,
}

impl AuditLine {
    pub(crate) fn of(record: &AuditRecord) -> Self {
        let e = &record.entry;
        Self {
            id: e.id,
            at: e.at.to_rfc3339(),
            event: e.event.clone(),
            actor_kind: e.actor_kind.as_str().to_owned(),
            actor: record.actor_name.as_ref().map(ToString::to_string),
            actor_id: e.actor.map(|u| u.0),
            target: e.target.clone(),
            outcome: e.outcome.as_str().to_owned(),
            detail: e.detail.clone(),
            details: serde_json::from_str(&e.details).unwrap_or(Value::Null),
        }
    }
}

/// Where the export is: the next page starts after `cursor`.
struct Export {
    hub: Hub,
    admin: OrgAdmin,
    filter: AuditFilter,
    cursor: Option<i64>,
    done: bool,
}

impl Export {
    /// The next page as JSON lines, or `None` at the end.
    async fn next_chunk(mut self) -> Option<(Result<Bytes, std::io::Error>, Self)> {
        if self.done {
            return None;
        }
        let page = self
            .hub
            .sso_audit_page(
                &self.admin,
                &self.filter,
                self.cursor,
                false,
                AUDIT_PAGE_SIZE,
            )
            .await;
        let records = match page {
            Ok(records) => records,
            Err(err) => {
                // Mid-stream there is no status left to send: end the body
                // short, which a reader sees as a failed transfer.
                tracing::error!(error = %err, "audit export stopped");
                self.done = true;
                return Some((Err(std::io::Error::other("the audit export stopped")), self));
            }
        };
        let last = records.last()?;
        self.cursor = Some(last.entry.id);
        self.done = records.len() < AUDIT_PAGE_SIZE as usize;
        let mut chunk = Vec::new();
        for record in &records {
            if serde_json::to_writer(&mut chunk, &AuditLine::of(record)).is_err() {
                self.done = true;
                return Some((
                    Err(std::io::Error::other("an entry could not be written")),
                    self,
                ));
            }
            chunk.push(b'\n');
        }
        Some((Ok(Bytes::from(chunk)), self))
    }
}

/// Export the SSO audit log (admin): JSON lines, oldest first, streamed
///
/// 422 naming the field for a bad filter.
#[utoipa::path(get, path = "/orgs/{org}/sso/audit", tag = "sso", params(("org" = String, Path, description = "Organization name"), AuditExportQuery), security(("bearer" = []), ("session" = [])), responses((status = 200, description = "One JSON object per line", body = AuditLine, content_type = "application/x-ndjson")))]
pub(super) async fn sso_audit(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    // Whom the caller may ask first: a stranger learns nothing from the filters.
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    let filter = AuditFilter::parse(|key| query.get(key).map(String::as_str))?;
    let export = Export {
        hub: app.hub.clone(),
        admin,
        filter,
        cursor: None,
        done: false,
    };
    let body = Body::from_stream(futures_util::stream::unfold(export, Export::next_chunk));
    Ok(([(CONTENT_TYPE, "application/x-ndjson")], body).into_response())
}
