//! Organization SSO pages: the admin's settings (SP details, configuration,
//! test, enable/disable, options, audit), the member's sign-in start, and the
//! SAML endpoints (SP metadata, Assertion Consumer Service).

use super::form_again::form_again;
use super::{options as select_options, render, render_with, Chrome, Done, Notice, SelectOption};
use crate::auth::Auth;
use crate::error::{PageError, WebError};
use crate::forms::org_name;
use crate::forms::CsrfForm;
use crate::pages::account::Empty;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use orgsso_core::{EmailDomain, OrgName, SsoMode, Username};
use orgsso_service::sso::oidc::{OidcSettings, OidcSettingsInput};
use orgsso_service::sso::saml::{certificate_info, SamlSettings, SamlSettingsInput};
use orgsso_service::sso::SsoOptionsUpdate;
use orgsso_service::ServiceError;
use orgsso_store::SsoConfigId;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/organizations/{org}/settings/sso", get(settings_page))
        .route("/organizations/{org}/settings/sso/saml", post(save_saml))
        .route("/organizations/{org}/settings/sso/oidc", post(save_oidc))
        .route("/organizations/{org}/settings/sso/test", post(test_again))
        .route("/organizations/{org}/settings/sso/enable", post(enable))
        .route("/organizations/{org}/settings/sso/disable", post(disable))
        .route(
            "/organizations/{org}/settings/sso/options",
            post(save_options),
        )
        .route("/organizations/{org}/settings/sso/recheck", post(recheck))
        .route(
            "/organizations/{org}/settings/sso/domains",
            post(add_domain),
        )
        .route(
            "/organizations/{org}/settings/sso/domains/remove",
            post(remove_domain),
        )
        .route("/organizations/{org}/settings/sso/revoke", post(revoke))
        .route("/organizations/{org}/settings/sso/unlink", post(unlink))
        .route(
            "/organizations/{org}/settings/sso/role-mapping",
            post(save_role_mapping),
        )
        .route(
            "/organizations/{org}/settings/sso/role-mapping/delete",
            post(delete_role_mapping),
        )
        .route(
            "/organizations/{org}/settings/sso/saml/keys/rotate",
            post(rotate_sp_keys),
        )
        .route(
            "/organizations/{org}/settings/sso/saml/keys/retire",
            post(retire_sp_keys),
        )
        .route("/organizations/{org}/sso", get(start_login))
        .route("/organizations/{org}/saml/metadata", get(metadata))
        .route("/organizations/{org}/saml/consume", post(consume))
        .route("/organizations/{org}/oidc/callback", get(oidc_callback))
}

struct CertRow {
    subject: String,
    fingerprint: String,
    valid: String,
    expired: bool,
    expiring_soon: bool,
}

struct ConfigView {
    id: i64,
    protocol: &'static str,
    is_active: bool,
    idp_sso_url: String,
    idp_entity_id: String,
    /// Where the SAML fields were imported from; empty when typed in.
    metadata_url: String,
    allow_sha1: bool,
    accept_response_only_signature: bool,
    sign_authn_requests: bool,
    /// The configuration's just-in-time domains, comma-separated; empty when none.
    jit_domains: String,
    certificates: Vec<CertRow>,
    tested: bool,
    tested_at: String,
    test_result: String,
    oidc: Option<OidcSettings>,
}

#[derive(Default)]
struct FormValues {
    idp_sso_url: String,
    idp_entity_id: String,
    certificates: String,
    metadata_url: String,
    allow_sha1: bool,
    accept_response_only_signature: bool,
    sign_authn_requests: bool,
    jit_domains: String,
}

/// One of the organization's own SAML keys, as the settings page lists it.
struct SpKeyRow {
    usage: &'static str,
    /// "current", or "previous" during a rotation.
    state: &'static str,
    fingerprint: String,
    created_at: String,
}

#[derive(Default)]
struct OidcFormValues {
    issuer_url: String,
    client_id: String,
    scopes: String,
    email_claim_options: Vec<SelectOption>,
    jit_domains: String,
    required_claim: String,
    required_claim_value: String,
    /// Seconds; empty for no limit.
    max_age: String,
    prompt_login: bool,
}

/// A row of the SSO users list (S10): a member or identity holder.
struct SsoUserRow {
    username: String,
    role: String,
    role_source: String,
    email: String,
    subject: String,
    first_sign_in: String,
    last_sign_in: String,
    session_until: String,
    linked: bool,
    has_session: bool,
}

struct SessionRow {
    username: String,
    email: String,
    created_at: String,
    expires_at: String,
}

struct DomainRow {
    domain: String,
    verified_accounts: i64,
}

struct AuditRow {
    at: String,
    event: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "org_sso.html")]
struct SsoPage {
    chrome: Chrome,
    name: String,
    enabled: bool,
    mode: &'static str,
    /// The mode an admin may switch an enabled SSO to.
    other_mode: &'static str,
    active_id: i64,
    /// Why the viewing admin cannot enable the newest configuration, if so.
    enable_blocked: Option<orgsso_service::sso::EnableBlocked>,
    domains: Vec<DomainRow>,
    jit_membership: bool,
    acs_url: String,
    sp_entity_id: String,
    metadata_url: String,
    callback_url: String,
    sp_keys: Vec<SpKeyRow>,
    /// A rotation is under way: previous keys are still published and decrypt.
    sp_keys_rotating: bool,
    latest: Option<ConfigView>,
    form: FormValues,
    oidc_form: OidcFormValues,
    session_timeout_minutes: i64,
    allow_idp_initiated: bool,
    failed_at: Option<String>,
    recheck: Option<String>,
    sessions: Vec<SessionRow>,
    sso_users: Vec<SsoUserRow>,
    audit: Vec<AuditRow>,
    /// S12: the role mapping form, filled with the saved mapping.
    role_mapping_on: bool,
    role_mapping_path: String,
    /// One `value = role` per line.
    role_mapping_roles: String,
}

/// What the settings page shows beyond the saved state: a form as it was
/// submitted when saving it failed, or the outcome of a recheck.
#[derive(Default)]
struct SsoPageExtras {
    /// The SAML form as typed; `None` fills it from the newest configuration.
    saml_form: Option<FormValues>,
    /// The OIDC form as typed; `None` fills it from the newest configuration.
    oidc_form: Option<OidcFormValues>,
    recheck: Option<String>,
}

async fn sso_page(
    auth: &Auth,
    app: &AppState,
    name: &OrgName,
    chrome: Chrome,
    extras: SsoPageExtras,
) -> Result<SsoPage, PageError> {
    let SsoPageExtras {
        saml_form: form,
        oidc_form,
        recheck,
    } = extras;
    let admin = app.hub.org_admin(&auth.caller, name).await?;
    let overview = app.hub.sso_overview(&admin).await?;
    let now = app.hub.now();
    let sp = app.hub.saml_endpoints(&overview.org.name);
    let latest = overview.latest.as_ref().map(|c| {
        let settings = SamlSettings::from_config(c);
        let certificates = settings
            .as_ref()
            .map(|s| {
                s.certificates
                    .iter()
                    .filter_map(|pem| certificate_info(pem, now))
                    .map(|i| CertRow {
                        subject: i.subject,
                        fingerprint: i.fingerprint_sha256,
                        valid: format!("{} → {}", i.not_before, i.not_after),
                        expired: i.expired,
                        expiring_soon: i.expiring_soon,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let test_result = c
            .test_result
            .as_deref()
            .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_default();
        ConfigView {
            id: c.id.0,
            protocol: c.protocol.as_str(),
            is_active: overview.state.active_config == Some(c.id),
            idp_sso_url: settings
                .as_ref()
                .map(|s| s.idp_sso_url.clone())
                .unwrap_or_default(),
            idp_entity_id: settings
                .as_ref()
                .map(|s| s.idp_entity_id.clone())
                .unwrap_or_default(),
            metadata_url: settings
                .as_ref()
                .and_then(|s| s.metadata_url.clone())
                .unwrap_or_default(),
            allow_sha1: settings.as_ref().is_some_and(|s| s.allow_sha1),
            accept_response_only_signature: settings
                .as_ref()
                .is_some_and(|s| s.accept_response_only_signature),
            sign_authn_requests: settings.as_ref().is_some_and(|s| s.sign_authn_requests),
            jit_domains: settings
                .as_ref()
                .map(|s| s.jit_domains.join(", "))
                .or_else(|| OidcSettings::from_config(c).map(|s| s.jit_domains.join(", ")))
                .unwrap_or_default(),
            certificates,
            tested: c.tested_at.is_some(),
            tested_at: c.tested_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
            test_result,
            oidc: OidcSettings::from_config(c),
        }
    });
    let latest_oidc = overview.latest.as_ref().and_then(OidcSettings::from_config);
    let oidc_form = oidc_form.unwrap_or_else(|| OidcFormValues {
        issuer_url: latest_oidc
            .as_ref()
            .map(|s| s.issuer_url.clone())
            .unwrap_or_default(),
        client_id: latest_oidc
            .as_ref()
            .map(|s| s.client_id.clone())
            .unwrap_or_default(),
        scopes: latest_oidc
            .as_ref()
            .map(|s| s.scopes.join(" "))
            .unwrap_or_else(|| "openid email profile".into()),
        email_claim_options: Vec::new(),
        jit_domains: latest_oidc
            .as_ref()
            .map(|s| s.jit_domains.join(", "))
            .unwrap_or_default(),
        required_claim: latest_oidc
            .as_ref()
            .and_then(|s| s.required_claim.as_ref())
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        required_claim_value: latest_oidc
            .as_ref()
            .and_then(|s| s.required_claim.as_ref())
            .map(|r| r.value.clone())
            .unwrap_or_default(),
        max_age: latest_oidc
            .as_ref()
            .and_then(|s| s.max_age)
            .map(|s| s.to_string())
            .unwrap_or_default(),
        prompt_login: latest_oidc.as_ref().is_some_and(|s| s.prompt_login),
    });
    let email_claim = latest_oidc
        .as_ref()
        .map(|s| s.email_claim.as_str())
        .unwrap_or("email");
    let oidc_form = OidcFormValues {
        email_claim_options: select_options(["email", "upn", "preferred_username"], email_claim),
        ..oidc_form
    };
    let form = form.unwrap_or_else(|| {
        overview
            .latest
            .as_ref()
            .and_then(SamlSettings::from_config)
            .map(|s| FormValues {
                idp_sso_url: s.idp_sso_url,
                idp_entity_id: s.idp_entity_id,
                certificates: s.certificates.join(""),
                metadata_url: String::new(),
                allow_sha1: s.allow_sha1,
                accept_response_only_signature: s.accept_response_only_signature,
                sign_authn_requests: s.sign_authn_requests,
                jit_domains: s.jit_domains.join(", "),
            })
            .unwrap_or_default()
    });
    let sp_keys: Vec<SpKeyRow> = app
        .hub
        .saml_sp_keys(&admin)
        .await?
        .into_iter()
        .map(|k| SpKeyRow {
            usage: k.usage.as_str(),
            state: if k.current { "current" } else { "previous" },
            fingerprint: k.fingerprint_sha256,
            created_at: k.created_at.to_rfc3339(),
        })
        .collect();
    let sp_keys_rotating = sp_keys.iter().any(|k| k.state == "previous");
    let role_mapping = app.hub.role_mapping(&admin).await?;
    let sso_users = app
        .hub
        .sso_users(&admin)
        .await?
        .iter()
        .map(|row| {
            let identity = row.entry.identity.as_ref();
            let text = |f: &dyn Fn(&orgsso_store::SsoIdentityRecord) -> String| {
                identity.map(f).unwrap_or_default()
            };
            SsoUserRow {
                username: row.entry.username.to_string(),
                role: row
                    .role()
                    .map(|r| r.as_str().to_owned())
                    .unwrap_or_else(|| "(not a member)".into()),
                role_source: row
                    .role_source()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                email: text(&|i| i.email.clone()),
                subject: text(&|i| format!("{} @ {}", i.subject, i.issuer)),
                first_sign_in: text(&|i| i.first_login_at.to_rfc3339()),
                last_sign_in: text(&|i| i.last_login_at.to_rfc3339()),
                session_until: row
                    .session_expires_at
                    .map(|t| t.to_rfc3339())
                    .unwrap_or_default(),
                linked: identity.is_some(),
                has_session: row.session_expires_at.is_some(),
            }
        })
        .collect();
    Ok(SsoPage {
        sso_users,
        role_mapping_on: role_mapping.is_some(),
        role_mapping_path: role_mapping
            .as_ref()
            .map(|m| m.path().to_owned())
            .unwrap_or_else(|| "$.groups[*]".to_owned()),
        role_mapping_roles: role_mapping
            .as_ref()
            .map(|m| {
                m.roles()
                    .iter()
                    .map(|(value, role)| format!("{value} = {role}\n"))
                    .collect()
            })
            .unwrap_or_default(),
        chrome,
        name: overview.org.name.to_string(),
        enabled: overview.state.enabled(),
        mode: overview.state.mode.as_str(),
        other_mode: match overview.state.mode {
            SsoMode::Enforced => SsoMode::Optional.as_str(),
            _ => SsoMode::Enforced.as_str(),
        },
        enable_blocked: overview.can_enable.err(),
        domains: overview
            .domains
            .iter()
            .map(|d| DomainRow {
                domain: d.domain.clone(),
                verified_accounts: d.verified_accounts,
            })
            .collect(),
        jit_membership: overview.state.jit_membership,
        active_id: overview
            .state
            .active_config
            .map(|c| c.0)
            .unwrap_or_default(),
        acs_url: sp.acs_url,
        sp_entity_id: sp.entity_id,
        metadata_url: sp.metadata_url,
        callback_url: app.hub.oidc_callback_url(&overview.org.name),
        sp_keys,
        sp_keys_rotating,
        latest,
        form,
        oidc_form,
        session_timeout_minutes: overview.state.session_ttl_s / 60,
        allow_idp_initiated: overview.state.allow_idp_initiated,
        failed_at: overview.failed_response_at.map(|t| t.to_rfc3339()),
        recheck,
        sessions: overview
            .sessions
            .into_iter()
            .map(|(s, u)| SessionRow {
                username: u
                    .map(|u| u.username.to_string())
                    .unwrap_or_else(|| "(deleted)".into()),
                email: s.email,
                created_at: s.created_at.to_rfc3339(),
                expires_at: s.expires_at.to_rfc3339(),
            })
            .collect(),
        audit: overview
            .audit
            .into_iter()
            .map(|a| AuditRow {
                at: a.at.to_rfc3339(),
                event: a.event,
                detail: a.detail,
            })
            .collect(),
    })
}

async fn settings_page(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let chrome = Chrome::new(&auth).with_notice(q.notice());
    Ok(render(
        &sso_page(&auth, &app, &name, chrome, SsoPageExtras::default()).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SamlForm {
    idp_sso_url: String,
    idp_entity_id: String,
    certificates: String,
    metadata_xml: String,
    metadata_url: String,
    allow_sha1: Option<String>,
    accept_response_only_signature: Option<String>,
    sign_authn_requests: Option<String>,
    jit_domains: String,
}

async fn save_saml(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(form): CsrfForm<SamlForm>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let input = SamlSettingsInput {
        idp_sso_url: form.idp_sso_url.clone(),
        idp_entity_id: form.idp_entity_id.clone(),
        certificates_pem: form.certificates.clone(),
        metadata_xml: form.metadata_xml,
        metadata_url: form.metadata_url.clone(),
        allow_sha1: form.allow_sha1.is_some(),
        accept_response_only_signature: form.accept_response_only_signature.is_some(),
        sign_authn_requests: form.sign_authn_requests.is_some(),
        jit_domains: form.jit_domains.clone(),
    };
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    match app.hub.save_saml_config(&auth.caller, &admin, input).await {
        Ok(saved) => Ok(Redirect::to(&saved.test_url).into_response()),
        Err(err @ ServiceError::Invalid(_)) => {
            let values = FormValues {
                idp_sso_url: form.idp_sso_url,
                idp_entity_id: form.idp_entity_id,
                certificates: form.certificates,
                metadata_url: form.metadata_url,
                allow_sha1: form.allow_sha1.is_some(),
                accept_response_only_signature: form.accept_response_only_signature.is_some(),
                sign_authn_requests: form.sign_authn_requests.is_some(),
                jit_domains: form.jit_domains,
            };
            let extras = SsoPageExtras {
                saml_form: Some(values),
                ..Default::default()
            };
            form_again(&auth, err.into(), |chrome| {
                sso_page(&auth, &app, &name, chrome, extras)
            })
            .await
        }
        Err(err) => Err(err.into()),
    }
}

async fn test_again(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    let idp_url = app.hub.test_latest_config(&auth.caller, &admin).await?;
    Ok(Redirect::to(&idp_url).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EnableForm {
    config_id: String,
    mode: String,
}

async fn enable(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(form): CsrfForm<EnableForm>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let id = form.config_id.trim().parse::<i64>().map_err(|_| {
        WebError::from(orgsso_core::FieldError::new(
            "config_id",
            "must be a configuration number",
        ))
    })?;
    let mode = match form.mode.trim() {
        "" | "enforced" => SsoMode::Enforced,
        "optional" => SsoMode::Optional,
        _ => {
            return Err(WebError::from(orgsso_core::FieldError::new(
                "mode",
                "must be optional or enforced",
            ))
            .into())
        }
    };
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    app.hub.enable_sso(&admin, SsoConfigId(id), mode).await?;
    let settings = Notice::SsoEnabled.at(&format!("/organizations/{name}/settings/sso"));
    if mode == SsoMode::Enforced {
        // The admin is held by the gate like everyone: sign them in through
        // the IdP (which just saw them) and bring them back here.
        return Ok(Redirect::to(&super::sso_start_path(name.as_str(), &settings)).into_response());
    }
    Ok(Redirect::to(&settings).into_response())
}

async fn disable(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    app.hub.disable_sso(&admin).await?;
    Ok(Notice::SsoDisabled.redirect(&format!("/organizations/{name}/settings/sso")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct OptionsForm {
    session_timeout_minutes: String,
    /// Older forms gave hours.
    session_timeout_hours: String,
    allow_idp_initiated: Option<String>,
    jit_membership: Option<String>,
}

async fn save_options(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(form): CsrfForm<OptionsForm>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let (raw, unit_s) = if form.session_timeout_minutes.trim().is_empty() {
        (form.session_timeout_hours.trim(), 3600)
    } else {
        (form.session_timeout_minutes.trim(), 60)
    };
    let ttl_s = raw
        .parse::<i64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_s))
        .ok_or_else(|| {
            WebError::from(orgsso_core::FieldError::new(
                "session_timeout_minutes",
                "must be a whole number of minutes between 15 and 129600 (90 days)",
            ))
        })?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    app.hub
        .set_sso_options(
            &admin,
            SsoOptionsUpdate {
                session_ttl_s: Some(ttl_s),
                allow_idp_initiated: Some(form.allow_idp_initiated.is_some()),
                jit_membership: Some(form.jit_membership.is_some()),
            },
        )
        .await?;
    Ok(Notice::SsoOptions.redirect(&format!("/organizations/{name}/settings/sso")))
}

async fn recheck(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    let outcome = match app.hub.recheck_failed_saml(&admin).await? {
        Ok(assertion) => format!("Accepted now: NameID {} from {}. Test and enable the configuration so members can sign in.", assertion.name_id, assertion.issuer),
        Err(reason) => format!("Still refused: {reason}"),
    };
    let extras = SsoPageExtras {
        recheck: Some(outcome),
        ..Default::default()
    };
    let page = sso_page(&auth, &app, &name, Chrome::new(&auth), extras).await?;
    Ok(render(&page))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StartQuery {
    return_to: String,
}

async fn start_login(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    Query(q): Query<StartQuery>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    if auth.user().is_none() {
        let next = super::sso_start_path(name.as_str(), &q.return_to);
        return Ok(Redirect::to(&super::login_path(&next)).into_response());
    }
    let idp_url = app
        .hub
        .start_sso_login(&auth.caller, &name, &q.return_to)
        .await?;
    Ok(Redirect::to(&idp_url).into_response())
}

async fn metadata(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let xml = app.hub.saml_metadata(&auth.caller, &name).await?;
    Ok(([(CONTENT_TYPE, "application/samlmetadata+xml")], xml).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: String,
    #[serde(rename = "RelayState")]
    relay_state: String,
    relayed: String,
}

#[derive(Template)]
#[template(path = "saml_relay.html")]
struct RelayPage {
    action: String,
    saml_response: String,
    relay_state: String,
}

#[derive(Template)]
#[template(path = "sso_error.html")]
struct SsoErrorPage {
    chrome: Chrome,
    name: String,
    message: String,
    /// The failed check, for the org's admins (who see it in the audit log anyway).
    detail: Option<String>,
}

impl SsoErrorPage {
    async fn new(
        auth: &Auth,
        app: &AppState,
        name: &OrgName,
        refusal: orgsso_service::sso::SsoRefusal,
    ) -> Self {
        let detail = if app.hub.manages_sso(&auth.caller, name).await {
            Some(format!("{} ({})", refusal.admin_detail(), refusal.code()))
        } else {
            None
        };
        SsoErrorPage {
            chrome: Chrome::new(auth),
            name: name.to_string(),
            message: refusal.member_message(),
            detail,
        }
    }
}

/// The ACS. The IdP's POST is cross-site, so the browser withholds the
/// SameSite=Lax session cookie; a page of ours re-posts the same form, now
/// same-site, and the second request carries the session.
async fn consume(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    Form(form): Form<AcsForm>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    if form.saml_response.is_empty() {
        return Err(WebError::BadRequest(
            "SAMLResponse: the identity provider posted no SAMLResponse".into(),
        )
        .into());
    }
    if auth.user().is_none() {
        if form.relayed.is_empty() {
            let page = RelayPage {
                action: format!("/organizations/{name}/saml/consume"),
                saml_response: form.saml_response,
                relay_state: form.relay_state,
            };
            return Ok(render(&page));
        }
        // Not signed in to the hub: sign in first, then start from our side.
        let next = format!("/organizations/{name}/sso");
        return Ok(Redirect::to(&super::login_path(&next)).into_response());
    }
    let finished = app
        .hub
        .consume_saml(&auth.caller, &name, &form.saml_response, &form.relay_state)
        .await;
    finish_sign_in(&auth, &app, &name, finished).await
}

async fn save_oidc(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(form): CsrfForm<OidcSettingsInput>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    match app
        .hub
        .save_oidc_config(&auth.caller, &admin, form.clone())
        .await
    {
        Ok(saved) => Ok(Redirect::to(&saved.test_url).into_response()),
        Err(err @ (ServiceError::Invalid(_) | ServiceError::SsoRefused(_))) => {
            let values = OidcFormValues {
                issuer_url: form.issuer_url,
                client_id: form.client_id,
                scopes: form.scopes,
                email_claim_options: select_options(
                    ["email", "upn", "preferred_username"],
                    &form.email_claim,
                ),
                jit_domains: form.jit_domains,
                required_claim: form.required_claim,
                required_claim_value: form.required_claim_value,
                max_age: form.max_age,
                prompt_login: form.prompt_login,
            };
            let extras = SsoPageExtras {
                oidc_form: Some(values),
                ..Default::default()
            };
            form_again(&auth, err.into(), |chrome| {
                sso_page(&auth, &app, &name, chrome, extras)
            })
            .await
        }
        Err(err) => Err(err.into()),
    }
}

/// The OIDC redirect URI. The IdP's redirect is a top-level GET, so the
/// browser sends the SameSite=Lax session cookie with it.
async fn oidc_callback(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    if auth.user().is_none() {
        let next = format!("/organizations/{name}/sso");
        return Ok(Redirect::to(&super::login_path(&next)).into_response());
    }
    let finished = app.hub.oidc_callback(&auth.caller, &name, &params).await;
    finish_sign_in(&auth, &app, &name, finished).await
}

/// Both protocols end here: on to the page the sign-in was for, or a 403
/// page saying what to do (and, to the org's admins, what failed).
async fn finish_sign_in(
    auth: &Auth,
    app: &AppState,
    name: &OrgName,
    finished: Result<orgsso_service::sso::SsoFinished, ServiceError>,
) -> Result<Response, PageError> {
    match finished {
        Ok(finished) => Ok(Redirect::to(&finished.redirect_to).into_response()),
        Err(ServiceError::SsoRefused(refusal)) => {
            let page = SsoErrorPage::new(auth, app, name, refusal).await;
            Ok(render_with(StatusCode::FORBIDDEN, &page))
        }
        Err(err) => Err(err.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DomainForm {
    domain: String,
}

async fn add_domain(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(form): CsrfForm<DomainForm>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let domain = EmailDomain::parse(&form.domain)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    app.hub.add_sso_domain(&admin, &domain).await?;
    Ok(Notice::SsoDomains.redirect(&format!("/organizations/{name}/settings/sso")))
}

async fn remove_domain(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(form): CsrfForm<DomainForm>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let domain = EmailDomain::parse(&form.domain)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    app.hub.remove_sso_domain(&admin, &domain).await?;
    Ok(Notice::SsoDomains.redirect(&format!("/organizations/{name}/settings/sso")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RevokeForm {
    /// One member; empty: everyone.
    username: String,
}

async fn revoke(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let member = match form.username.trim() {
        "" => None,
        username => Some(Username::parse(username)?),
    };
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    app.hub.revoke_sso_sessions(&admin, member.as_ref()).await?;
    Ok(Notice::SsoRevoked.redirect(&format!("/organizations/{name}/settings/sso")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct UnlinkForm {
    username: String,
}

async fn unlink(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(form): CsrfForm<UnlinkForm>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let username = Username::parse(form.username.trim())?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    app.hub.unlink_sso_identity(&admin, &username).await?;
    Ok(Notice::SsoUnlinked.redirect(&format!("/organizations/{name}/settings/sso")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoleMappingForm {
    path: String,
    /// One `value = role` per line.
    roles: String,
}

/// The `roles` field of the form: `value = role` lines (the last `=` splits,
/// so values may hold one); blank lines are skipped.
async fn save_role_mapping(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(form): CsrfForm<RoleMappingForm>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let entries =
        orgsso_service::sso::role_mapping::parse_role_lines(&form.roles).map_err(WebError::from)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    app.hub
        .set_role_mapping(&admin, &form.path, &entries)
        .await?;
    Ok(Redirect::to(&format!("/organizations/{name}/settings/sso")).into_response())
}

async fn delete_role_mapping(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    app.hub.delete_role_mapping(&admin).await?;
    Ok(Redirect::to(&format!("/organizations/{name}/settings/sso")).into_response())
}

/// Starts a rotation of the organization's SAML SP keys (a second one does nothing until
/// the first is finished).
async fn rotate_sp_keys(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    app.hub.rotate_saml_sp_keys(&admin).await?;
    Ok(Redirect::to(&format!("/organizations/{name}/settings/sso#sp-keys")).into_response())
}

/// Finishes a rotation: the previous SP keys are deleted.
async fn retire_sp_keys(
    auth: Auth,
    State(app): State<AppState>,
    Path(org): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Result<Response, PageError> {
    let name = org_name(&org)?;
    let admin = app.hub.org_admin(&auth.caller, &name).await?;
    app.hub.retire_saml_sp_keys(&admin).await?;
    Ok(Redirect::to(&format!("/organizations/{name}/settings/sso#sp-keys")).into_response())
}
