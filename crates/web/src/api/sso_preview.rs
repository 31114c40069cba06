//! The API of the SSO preview: who a change reaches before an admin makes it.

use super::{ok, ApiResult};
use crate::auth::Auth;
use crate::forms::org_name;
use crate::AppState;
use axum::extract::{Path, Query, State};
use orgsso_service::sso::preview::{Affected, RoleOutcome, SsoChange, SsoPreview};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// The change to preview.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Documents the query; the handler reads it leniently.
pub(super) struct PreviewQuery {
    /// `enable` (also a switch of mode while SSO is on), `add-domain` or `mapping`.
    #[param(pattern = "^(enable|add-domain|mapping)$")]
    change: String,
    /// With `enable`: `enforced` (the default) or `optional`.
    #[param(pattern = "^(enforced|optional)$")]
    mode: Option<String>,
    /// With `add-domain`: the email domain.
    domain: Option<String>,
    /// With `mapping`: the JSON path (RFC 9535) of the role mapping to preview.
    path: Option<String>,
    /// With `mapping`: its table, one `value = role` per line.
    roles: Option<String>,
}

/// The role a mapping would give one member (or the admin's test sign-in).
#[derive(Serialize, ToSchema)]
pub(super) struct RoleOutcomeView {
    username: String,
    /// Their role now.
    #[schema(pattern = "^(read|contributor|write|admin)$", required = true)]
    role: Option<String>,
    /// The role the mapping gives; null when no sign-in of theirs is recorded
    /// (the mapping applies at their next).
    #[schema(pattern = "^(read|contributor|write|admin)$", required = true)]
    would_be: Option<String>,
    /// Whether the role changes at their next sign-in.
    changes: bool,
    /// The table's values the path found (none: the default role).
    matched: Vec<String>,
    /// The sign-in the outcome is read from.
    #[schema(format = DateTime, required = true)]
    signed_in_at: Option<String>,
}

impl RoleOutcomeView {
    fn of(o: &RoleOutcome) -> Self {
        Self {
            username: o.username.to_string(),
            role: o.role_now.map(|r| r.as_str().to_owned()),
            would_be: o.would_be.map(|r| r.as_str().to_owned()),
            changes: o.changes(),
            matched: o.matched.clone(),
            signed_in_at: o.signed_in_at.map(|at| at.to_rfc3339()),
        }
    }
}

/// Someone the change reaches.
#[derive(Serialize, ToSchema)]
pub(super) struct AffectedView {
    username: String,
    /// Their role, for a member.
    #[schema(pattern = "^(read|contributor|write|admin)$", required = true)]
    role: Option<String>,
    /// The verified address that puts a non-member in the organization's domains.
    #[schema(required = true)]
    domain_email: Option<String>,
    /// `must_sign_in`: reaches nothing in the organization until they sign in through the IdP;
    /// `prompted`: asked to, nothing refused; `until_session_ends`: stopped when their live SSO
    /// session ends; `when_enabled`: in reach, stopped once SSO is on.
    #[schema(pattern = "^(must_sign_in|prompted|until_session_ends|when_enabled)$")]
    effect: String,
    /// With `until_session_ends`: when.
    #[schema(format = DateTime, required = true)]
    session_expires_at: Option<String>,
}

/// An access token that stops reaching the organization until its owner signs in through the IdP.
#[derive(Serialize, ToSchema)]
pub(super) struct StoppedTokenView {
    owner: String,
    name: String,
    #[schema(pattern = "^(read|write)$")]
    scope: String,
    #[schema(format = DateTime, required = true)]
    last_used_at: Option<String>,
}

/// Who a change reaches and what it stops; nothing changes until the change itself is made.
#[derive(Serialize, ToSchema)]
pub(super) struct SsoPreviewView {
    #[schema(pattern = "^(enable|add-domain|mapping)$")]
    change: String,
    #[schema(pattern = "^(off|optional|enforced)$")]
    mode_before: String,
    #[schema(pattern = "^(off|optional|enforced)$")]
    mode_after: String,
    /// By username.
    affected: Vec<AffectedView>,
    /// By owner, then name.
    tokens_stopped: Vec<StoppedTokenView>,
    /// With `mapping`: every member's role under it, from their last sign-in, by username.
    roles: Vec<RoleOutcomeView>,
    /// With `mapping`: the newest configuration's test sign-in under it.
    #[schema(required = true)]
    test_sign_in: Option<RoleOutcomeView>,
}

impl AffectedView {
    fn of(a: &Affected) -> Self {
        use orgsso_service::sso::preview::Effect;
        Self {
            username: a.username.to_string(),
            role: a.role.map(|r| r.as_str().to_owned()),
            domain_email: a.domain_address.clone(),
            effect: a.effect.as_str().to_owned(),
            session_expires_at: match a.effect {
                Effect::UntilSessionEnds(at) => Some(at.to_rfc3339()),
                _ => None,
            },
        }
    }
}

impl SsoPreviewView {
    fn of(preview: &SsoPreview) -> Self {
        Self {
            change: preview.change.name().to_owned(),
            mode_before: preview.mode_before.as_str().to_owned(),
            mode_after: preview.mode_after.as_str().to_owned(),
            affected: preview.affected.iter().map(AffectedView::of).collect(),
            tokens_stopped: preview
                .tokens
                .iter()
                .map(|(owner, t)| StoppedTokenView {
                    owner: owner.to_string(),
                    name: t.name.clone(),
                    scope: t.scope.as_str().to_owned(),
                    last_used_at: t.last_used_at.map(|at| at.to_rfc3339()),
                })
                .collect(),
            roles: preview.roles.iter().map(RoleOutcomeView::of).collect(),
            test_sign_in: preview.test_sign_in.as_ref().map(RoleOutcomeView::of),
        }
    }
}

/// Preview an SSO change (admin): who will have to sign in through the IdP, and which access tokens stop reaching the organization
///
/// 422 naming the field for an unknown change or mode, a domain that cannot be tied, or a
/// mapping that could not be saved.
#[utoipa::path(get, path = "/orgs/{org}/sso/preview", tag = "sso", params(("org" = String, Path, description = "Organization name"), PreviewQuery), security(("bearer" = []), ("session" = [])), responses((status = 200, description = "The preview", body = SsoPreviewView)))]
pub(super) async fn sso_preview(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult {
    // Whom the caller may ask first: a stranger learns nothing from the change.
    let admin = app.hub.org_admin(&auth.caller, &org_name(&org)?).await?;
    let change = SsoChange::parse(|key| query.get(key).map(String::as_str))?;
    let preview = app.hub.sso_preview(&admin, change).await?;
    ok(SsoPreviewView::of(&preview))
}
