//! Organization SSO, the protocol-independent part: the configuration
//! lifecycle (save → test through the IdP → enable), SSO sessions, pending
//! sign-ins, the audit log, and the gate the policy applies. SAML and OIDC
//! specifics live in their own modules.

mod admin;
pub mod audit;
mod identities;
pub use admin::OrgAdmin;
pub use identities::SsoUserRow;
pub mod oidc;
pub mod preview;
mod refusal;
pub(crate) use refusal::SignInError;
pub use refusal::{AssertedSubject, SsoRefusal};
pub mod role_mapping;
pub mod saml;
pub mod sp_keys;
#[cfg(test)]
mod tests;

use crate::{Caller, Entity, Hub, Precondition, ServiceError, ServiceResult};
pub(crate) use audit::AuditEvent;
use identities::{asserted_subject, identity_issuer};
use orgsso_core::{Action, EmailDomain, FieldError, OrgName, SsoMode, Timestamp, UserId, Username};
use orgsso_store::{
    AuditEntry, Org, OrgSso, RoleSource, SsoConfig, SsoConfigId, SsoDomain, SsoOptions, SsoPrompt,
    SsoPurpose, SsoRequest, SsoSession, SsoSignIn, SsoTestOutcome, StoreError, User,
};

/// How long a browser may take at the IdP before its sign-in expires.
pub const SSO_REQUEST_TTL_S: i64 = 10 * 60;

/// How recent the enabling admin's own test must be (B6): long enough to
/// read the claims and press Enable, short enough that it proves today's IdP.
pub const ENABLE_AFTER_TEST_WITHIN_S: i64 = 60 * 60;

/// A configuration just saved, and the IdP URL that tests it.
#[derive(Clone, Debug)]
pub struct SavedConfig {
    pub config: SsoConfigId,
    pub test_url: String,
}

/// Where the browser goes after a finished sign-in, and what happened.
#[derive(Clone, Debug)]
pub struct SsoFinished {
    pub redirect_to: String,
    pub purpose: SsoPurpose,
}

/// Everything the admin's SSO settings page shows.
#[derive(Clone, Debug)]
pub struct SsoOverview {
    pub org: Org,
    pub state: OrgSso,
    pub latest: Option<SsoConfig>,
    pub active: Option<SsoConfig>,
    pub audit: Vec<AuditEntry>,
    pub sessions: Vec<(SsoSession, Option<User>)>,
    pub failed_response_at: Option<Timestamp>,
    pub domains: Vec<SsoDomain>,
    /// Whether the viewing admin may enable the newest configuration now
    /// (their own matching test within the hour), or why not.
    pub can_enable: Result<(), EnableBlocked>,
}

/// Why the admin may not enable a configuration yet (B6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnableBlocked {
    #[error("save a configuration and test it first")]
    NothingSaved,
    #[error("only a configuration that passed its test can be enabled; run Update and Test first")]
    NotTested,
    #[error("test this configuration yourself first: enabling needs your own successful sign-in through the identity provider")]
    TestedByAnother,
    #[error(
        "your test of this configuration is more than an hour old; test it again, then enable"
    )]
    TestTooOld,
    #[error("in your test, the identity provider asserted an email that is not a verified email of your account, so you could not get back in once SSO is on; add and verify that email, or let an admin whose IdP identity matches their account test and enable")]
    IdentityMismatch,
}

/// The SSO options an admin changes; `None` keeps the current value.
#[derive(Clone, Copy, Debug, Default)]
pub struct SsoOptionsUpdate {
    pub session_ttl_s: Option<i64>,
    pub allow_idp_initiated: Option<bool>,
    pub jit_membership: Option<bool>,
}

/// What the operator's `orgsso sso status` shows.
#[derive(Clone, Debug)]
pub struct SsoStatus {
    pub org: Org,
    pub state: OrgSso,
    pub domains: Vec<SsoDomain>,
    pub live_sessions: usize,
}

impl Hub {
    /// Appends a user's successful action to the org's audit log.
    pub(crate) async fn audit(
        &self,
        org: &Org,
        actor: Option<UserId>,
        event: &'static str,
        detail: String,
    ) -> ServiceResult<()> {
        self.record(org, AuditEvent::by_user(actor, event, detail))
            .await
    }

    /// Records a configuration an admin saved: which, and what it says.
    pub(crate) async fn record_config_saved(
        &self,
        admin: &OrgAdmin,
        config: &SsoConfig,
        protocol: &'static str,
        detail: String,
    ) -> ServiceResult<()> {
        let event = AuditEvent::by_user(Some(admin.admin()), "sso.config_saved", detail)
            .target(format!("configuration #{}", config.id))
            .with("config_id", config.id.0)
            .with("protocol", protocol);
        self.record(admin.org(), event).await
    }

    /// The org's SSO state (enabled, options), which anyone may know.
    pub async fn org_sso_state(&self, org: &Org) -> ServiceResult<OrgSso> {
        Ok(self.store.org_sso(org.id).await?)
    }

    pub async fn sso_overview(&self, admin: &OrgAdmin) -> ServiceResult<SsoOverview> {
        let org = admin.org();
        let state = self.store.org_sso(org.id).await?;
        let latest = self.store.latest_sso_config(org.id).await?;
        let active = match state.active_config {
            Some(id) if Some(id) == latest.as_ref().map(|c| c.id) => latest.clone(),
            Some(id) => self.store.sso_config(id).await?,
            None => None,
        };
        let audit = self.store.audit_log(org.id, 50).await?;
        let mut sessions = Vec::new();
        for session in self
            .store
            .sso_sessions_of_org(org.id, self.clock.now())
            .await?
        {
            let user = self.store.user_by_id(session.user).await?;
            sessions.push((session, user));
        }
        let failed_response_at = self.store.failed_response(org.id).await?.map(|(_, at)| at);
        let domains = self.store.sso_domains(org.id).await?;
        let can_enable = match &latest {
            Some(config) => self.may_enable(config, admin.admin()),
            None => Err(EnableBlocked::NothingSaved),
        };
        Ok(SsoOverview {
            org: org.clone(),
            state,
            latest,
            active,
            audit,
            sessions,
            failed_response_at,
            domains,
            can_enable,
        })
    }

    /// B6: the admin who enables must have just tested this configuration
    /// with their own identity, so they can get back in.
    fn may_enable(&self, config: &SsoConfig, admin: UserId) -> Result<(), EnableBlocked> {
        let Some(tested_at) = config.tested_at else {
            return Err(EnableBlocked::NotTested);
        };
        if config.tested_by != Some(admin) {
            return Err(EnableBlocked::TestedByAnother);
        }
        if tested_at.unix() < self.clock.now().unix() - ENABLE_AFTER_TEST_WITHIN_S {
            return Err(EnableBlocked::TestTooOld);
        }
        if !config.tested_identity_matches {
            return Err(EnableBlocked::IdentityMismatch);
        }
        Ok(())
    }

    /// Enables SSO in `mode` with a configuration the caller just tested
    /// with their own identity. Ends every SSO session and pending sign-in
    /// of the org.
    pub async fn enable_sso(
        &self,
        admin: &OrgAdmin,
        config: SsoConfigId,
        mode: SsoMode,
    ) -> ServiceResult<()> {
        let org = admin.org();
        if mode == SsoMode::Off {
            return Err(FieldError::new("mode", "must be optional or enforced").into());
        }
        let mode_before = self.store.org_sso(org.id).await?.mode;
        let record = self
            .store
            .sso_config(config)
            .await?
            .filter(|c| c.org == org.id)
            .ok_or(Precondition::CannotEnable(EnableBlocked::NotTested))?;
        self.may_enable(&record, admin.admin())
            .map_err(Precondition::CannotEnable)?;
        for domain in self.store.sso_domains(org.id).await? {
            let others = self
                .store
                .enabled_orgs_with_domain(&domain.domain, org.id)
                .await?;
            if !others.is_empty() {
                return Err(ServiceError::DomainClaimed {
                    domain: domain.domain,
                    by: others,
                });
            }
        }
        let tested_since = self.clock.now().plus_seconds(-ENABLE_AFTER_TEST_WITHIN_S);
        self.store
            .enable_sso(org.id, config, mode, admin.admin(), tested_since)
            .await
            .map_err(|e| match e {
                // The configuration's test changed between the check and the write.
                StoreError::NotFound => {
                    ServiceError::Precondition(Precondition::TestChangedMeanwhile)
                }
                other => other.into(),
            })?;
        let event = AuditEvent::by_user(
            Some(admin.admin()),
            "sso.enabled",
            format!("SSO {mode} with configuration #{config}; every SSO session was ended"),
        )
        .target(format!("configuration #{config}"))
        .with("mode", mode.as_str())
        .with("mode_before", mode_before.as_str())
        .with("config_id", config.0);
        self.record(org, event).await
    }

    /// Turns SSO off. Already off, it changes nothing and records nothing.
    pub async fn disable_sso(&self, admin: &OrgAdmin) -> ServiceResult<()> {
        let org = admin.org();
        if self.store.org_sso(org.id).await?.mode == SsoMode::Off {
            return Ok(());
        }
        let ended = self.store.disable_sso(org.id).await?;
        let event = AuditEvent::by_user(
            Some(admin.admin()),
            "sso.disabled",
            format!("SSO disabled; {ended} SSO session(s) ended"),
        )
        .with("sessions_ended", ended);
        self.record(org, event).await
    }

    /// Break-glass for the server operator (CLI): no admin session needed,
    /// a reason always, recorded in the audit log. Returns the SSO sessions
    /// ended, or `None` when SSO was already off: then nothing changed and
    /// nothing was recorded.
    pub async fn operator_disable_sso(
        &self,
        name: &OrgName,
        reason: &str,
    ) -> ServiceResult<(OrgName, Option<u64>)> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(FieldError::new("reason", "must say why SSO is being disabled").into());
        }
        let org = self.org_by_name_unchecked(name).await?;
        if self.store.org_sso(org.id).await?.mode == SsoMode::Off {
            return Ok((org.name, None));
        }
        let ended = self.store.disable_sso(org.id).await?;
        let event = AuditEvent::by_operator(
            "sso.disabled",
            format!(
                "SSO disabled by the server operator (break-glass); {ended} SSO session(s) ended; reason: {reason}"
            ),
        )
        .with("break_glass", true)
        .with("reason", reason)
        .with("sessions_ended", ended);
        self.record(&org, event).await?;
        Ok((org.name, Some(ended)))
    }

    /// The org's SSO as the operator sees it (CLI).
    pub async fn operator_sso_status(&self, name: &OrgName) -> ServiceResult<SsoStatus> {
        let org = self.org_by_name_unchecked(name).await?;
        let state = self.store.org_sso(org.id).await?;
        let domains = self.store.sso_domains(org.id).await?;
        let live_sessions = self
            .store
            .sso_sessions_of_org(org.id, self.clock.now())
            .await?
            .len();
        Ok(SsoStatus {
            org,
            state,
            domains,
            live_sessions,
        })
    }

    async fn org_by_name_unchecked(&self, name: &OrgName) -> ServiceResult<Org> {
        self.store
            .org_by_name(name)
            .await?
            .ok_or(ServiceError::NotFound(Entity::Organization))
    }

    /// Changes the options given, keeping the others.
    pub async fn set_sso_options(
        &self,
        admin: &OrgAdmin,
        update: SsoOptionsUpdate,
    ) -> ServiceResult<()> {
        let org = admin.org();
        let current = self.store.org_sso(org.id).await?;
        let options = SsoOptions {
            session_ttl_s: update.session_ttl_s.unwrap_or(current.session_ttl_s),
            allow_idp_initiated: update
                .allow_idp_initiated
                .unwrap_or(current.allow_idp_initiated),
            jit_membership: update.jit_membership.unwrap_or(current.jit_membership),
        };
        if !OrgSso::SESSION_TTL_RANGE_S.contains(&options.session_ttl_s) {
            return Err(FieldError::new(
                "session_timeout",
                "must be between 15 minutes and 90 days",
            )
            .into());
        }
        self.store.set_sso_options(org.id, options).await?;
        let on_off = |on: bool| if on { "on" } else { "off" };
        let detail = format!(
            "session timeout {}s, IdP-initiated login {}, just-in-time membership {}",
            options.session_ttl_s,
            on_off(options.allow_idp_initiated),
            on_off(options.jit_membership),
        );
        self.audit(org, Some(admin.admin()), "sso.options_changed", detail)
            .await
    }

    /// Ties the org's SSO to an email domain. A domain another organization
    /// with SSO on lists already is refused, naming it.
    pub async fn add_sso_domain(
        &self,
        admin: &OrgAdmin,
        domain: &EmailDomain,
    ) -> ServiceResult<()> {
        let org = admin.org();
        let others = self
            .store
            .enabled_orgs_with_domain(domain.as_str(), org.id)
            .await?;
        if !others.is_empty() {
            return Err(ServiceError::DomainClaimed {
                domain: domain.to_string(),
                by: others,
            });
        }
        self.store
            .add_sso_domain(org.id, domain.as_str(), self.clock.now())
            .await?;
        let event = AuditEvent::by_user(
            Some(admin.admin()),
            "sso.domain_added",
            format!("email domain {domain} added"),
        )
        .target(domain.as_str());
        self.record(org, event).await
    }

    pub async fn remove_sso_domain(
        &self,
        admin: &OrgAdmin,
        domain: &EmailDomain,
    ) -> ServiceResult<()> {
        let org = admin.org();
        self.store
            .remove_sso_domain(org.id, domain.as_str())
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::NotFound(Entity::Domain),
                other => other.into(),
            })?;
        let event = AuditEvent::by_user(
            Some(admin.admin()),
            "sso.domain_removed",
            format!("email domain {domain} removed"),
        )
        .target(domain.as_str());
        self.record(org, event).await
    }

    /// Ends the SSO sessions of one member (`Some`) or of everyone; returns how many.
    pub async fn revoke_sso_sessions(
        &self,
        admin: &OrgAdmin,
        member: Option<&Username>,
    ) -> ServiceResult<u64> {
        let org = admin.org();
        let (user, whose) = match member {
            Some(username) => {
                let user = self
                    .store
                    .user_by_username(username)
                    .await?
                    .ok_or(ServiceError::NotFound(Entity::User))?;
                (Some(user.id), username.to_string())
            }
            None => (None, "every member".to_owned()),
        };
        let ended = self.store.revoke_sso_sessions(org.id, user).await?;
        let mut event = AuditEvent::by_user(
            Some(admin.admin()),
            "sso.sessions_revoked",
            format!("SSO sessions of {whose} revoked: {ended} ended"),
        )
        .with("sessions_ended", ended);
        if let Some(username) = member {
            event = event.target(username.as_str());
        }
        self.record(org, event).await?;
        Ok(ended)
    }

    /// The organizations whose SSO the caller has not signed in with in
    /// this browser (with a token: in any): the banner's list, one query.
    pub async fn sso_prompts(&self, caller: &Caller) -> ServiceResult<Vec<SsoPrompt>> {
        let Some(user) = caller.viewer.id() else {
            return Ok(Vec::new());
        };
        let hub_session = caller.session.as_ref().map(|s| s.id_hash.as_str());
        Ok(self
            .store
            .sso_prompts(user, hub_session, self.clock.now())
            .await?)
    }

    /// Records a pending sign-in for this browser and returns its handle
    /// (OIDC `state`, SAML `RelayState`): random, stored only as a hash.
    pub(crate) async fn begin_sso_request(
        &self,
        caller: &Caller,
        org: &Org,
        config: &SsoConfig,
        pending: PendingSignIn<'_>,
    ) -> ServiceResult<String> {
        let PendingSignIn {
            purpose,
            return_to,
            handle,
            nonce,
            pkce_verifier,
            saml_request_id,
        } = pending;
        let user = caller
            .user
            .as_ref()
            .ok_or(orgsso_core::Denied::LoginRequired)?;
        // The IdP sends the browser back; only a browser session can finish what it starts.
        let session = caller
            .session
            .as_ref()
            .ok_or(Precondition::BrowserSessionRequired)?;
        let now = self.clock.now();
        let handle = match handle {
            Some(h) => h.to_owned(),
            None => self.entropy.token().expose().to_owned(),
        };
        self.store
            .create_sso_request(SsoRequest {
                handle_hash: orgsso_core::entropy::sha256_hex(&handle),
                hub_session_hash: session.id_hash.clone(),
                user: user.id,
                org: org.id,
                config: config.id,
                purpose,
                return_to: orgsso_core::redirect::safe_local_path(return_to)
                    .unwrap_or("")
                    .to_owned(),
                nonce,
                pkce_verifier,
                saml_request_id,
                created_at: now,
                expires_at: now.plus_seconds(SSO_REQUEST_TTL_S),
                cancelled: false,
            })
            .await?;
        Ok(handle)
    }

    /// Takes the pending sign-in named by `handle`, refusing one started by
    /// another browser or for another organization.
    pub(crate) async fn take_sso_request(
        &self,
        caller: &Caller,
        org: &Org,
        handle: &str,
    ) -> Result<Option<SsoRequest>, SignInError> {
        // Our handles: 64 hex characters (SAML) or 43 base64url characters (OIDC state).
        if !(43..=64).contains(&handle.len())
            || !handle
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Ok(None);
        }
        let handle_hash = orgsso_core::entropy::sha256_hex(handle);
        let now = self.clock.now();
        // Only the browser session that started the sign-in can take it; any
        // other finds it still pending and is refused, leaving it to its owner.
        let taken = match &caller.session {
            Some(session) => {
                self.store
                    .take_sso_request(&handle_hash, &session.id_hash, now)
                    .await?
            }
            None => None,
        };
        let request = match taken {
            Some(request) => Some(request),
            None if self.store.sso_request_pending(&handle_hash, now).await? => None,
            None => return Ok(None),
        };
        match request {
            Some(request) if request.org == org.id && caller.viewer.id() == Some(request.user) => {
                if request.cancelled && request.purpose == SsoPurpose::Login {
                    return Err(SsoRefusal::ChangedDuringSignIn {
                        config: request.config,
                    }
                    .into());
                }
                Ok(Some(request))
            }
            // Audited like every other refused sign-in (B5).
            _ => Err(SsoRefusal::RequestMismatch.into()),
        }
    }

    /// The identity check shared by both protocols (S9): the asserted email
    /// must be a verified email of the signed-in account.
    pub(crate) async fn check_sso_email(
        &self,
        user: &User,
        asserted: &str,
    ) -> ServiceResult<Result<(), SsoRefusal>> {
        // A store failure propagates: an outage must not look like a mismatch.
        let emails = self.store.emails_of(user.id).await?;
        let asserted_lower = crate::accounts::canonical_email(asserted);
        Ok(
            match emails.iter().find(|e| e.address.as_str() == asserted_lower) {
                Some(e) if e.is_verified() => Ok(()),
                Some(_) => Err(SsoRefusal::EmailNotVerified {
                    asserted: asserted_lower,
                    account: user.username.clone(),
                }),
                None => Err(SsoRefusal::EmailMismatch {
                    asserted: asserted_lower,
                    account: user.username.clone(),
                }),
            },
        )
    }

    /// Finishes a verified sign-in. A test records the outcome on the
    /// configuration (passed whenever the IdP answered well; whether the
    /// asserted email is the admin's own decides if they may enable it). A
    /// login checks the email (S9), joins the org if needed and opens the
    /// SSO session of this browser.
    pub(crate) async fn complete_sso(
        &self,
        caller: &Caller,
        finished: SignInFinished<'_>,
        identity: SsoIdentity,
    ) -> Result<SsoFinished, SignInError> {
        let SignInFinished {
            user,
            org,
            config,
            purpose,
            return_to,
            hub_session_hash,
        } = finished;
        let now = self.clock.now();
        let email_check = self.check_sso_email(user, &identity.email).await?;
        match purpose {
            SsoPurpose::Test => {
                // Only an admin's round trip may vouch for a configuration.
                let namespace = self.org_namespace(caller, org).await?;
                self.decide_in(caller.viewer, namespace, &org.name, Action::ManageSettings)?;
                let identity_matches = email_check.is_ok();
                self.store
                    .mark_sso_config_tested(
                        config.id,
                        SsoTestOutcome {
                            by: user.id,
                            at: now,
                            result: identity.claims.to_string(),
                            identity_matches,
                        },
                    )
                    .await?;
                let mut detail = format!(
                    "configuration #{} passed its test: {} signed in as {}",
                    config.id, user.username, identity.email
                );
                if let Err(refusal) = &email_check {
                    detail.push_str(&format!(
                        "; {} cannot enable it: {}",
                        user.username,
                        refusal.admin_detail()
                    ));
                }
                // The test itself passes; the admin learns their sign-ins would not.
                if let Some(required) =
                    oidc::OidcSettings::from_config(config).and_then(|s| s.required_claim)
                {
                    if let Err(refusal) = required.check(&identity.claims) {
                        detail.push_str(&format!(
                            "; sign-ins like this one will be refused: {}",
                            refusal.admin_detail()
                        ));
                    }
                }
                let event = AuditEvent::sign_in(user.id, "sso.test_passed", detail)
                    .target(user.username.as_str())
                    .with("config_id", config.id.0)
                    .with("email", identity.email.as_str())
                    .with("identity_matches", identity_matches);
                self.record(org, event).await?;
                let done = if identity_matches {
                    "tested"
                } else {
                    "tested_other_identity"
                };
                Ok(SsoFinished {
                    redirect_to: format!("/organizations/{}/settings/sso?done={done}", org.name),
                    purpose,
                })
            }
            SsoPurpose::Login => {
                email_check?;
                // Every OIDC sign-in, members included, must carry the required claim.
                if let Some(required) =
                    oidc::OidcSettings::from_config(config).and_then(|s| s.required_claim)
                {
                    required.check(&identity.claims)?;
                }
                let state = self.store.org_sso(org.id).await?;
                let issuer = identity_issuer(&identity.claims);
                self.check_sso_subject(org, user, &issuer, &identity)
                    .await?;
                let mapped = self.mapped_role(org, config, &identity.claims).await?;
                let current_role = self.store.role_of(org.id, user.id).await?;
                let mut role_source = match &mapped {
                    Some((_, source, _)) => *source,
                    None if current_role.is_none() => RoleSource::Default,
                    // Without a mapping the role is the hub's: still the one
                    // the last sign-in recorded, or set by hand since.
                    None => match self.store.sso_identity(org.id, user.id).await? {
                        Some(linked) if Some(linked.role) == current_role => linked.role_source,
                        _ => RoleSource::Manual,
                    },
                };
                if current_role.is_none() {
                    if !state.jit_membership {
                        return Err(SsoRefusal::NotAMember {
                            org: org.name.clone(),
                            account: user.username.clone(),
                            email: identity.email.clone(),
                        }
                        .into());
                    }
                    self.check_jit_domain(org, config, &identity.email).await?;
                    // Just-in-time membership with the mapped or the org's default role.
                    let (role, cause) = match &mapped {
                        Some((role, _, cause)) => (*role, cause.clone()),
                        None => (org.default_role, "the default role".to_owned()),
                    };
                    match self.store.add_member(org.id, user.id, role, now).await {
                        Ok(()) | Err(StoreError::Conflict(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                    let event = AuditEvent::sign_in(
                        user.id,
                        "sso.member_joined",
                        format!("{} joined as {role} ({cause})", user.username),
                    )
                    .target(user.username.as_str())
                    .with("role", role.as_str())
                    .with("cause", cause.as_str());
                    self.record(org, event).await?;
                } else if let (Some(old), Some((role, _, cause))) = (current_role, &mapped) {
                    if old != *role {
                        role_source = self
                            .sync_mapped_role(org, user, old, *role, cause, role_source)
                            .await?;
                    }
                }
                let recorded_role = self
                    .store
                    .role_of(org.id, user.id)
                    .await?
                    .unwrap_or(org.default_role);
                let recorded = self
                    .store
                    .record_sso_sign_in(SsoSignIn {
                        org: org.id,
                        user: user.id,
                        issuer: issuer.clone(),
                        subject: identity.subject.clone(),
                        email: identity.email.clone(),
                        role: recorded_role,
                        role_source,
                        now,
                    })
                    .await;
                // A concurrent sign-in linked first: the database decides, as the checks above would.
                match recorded {
                    Ok(true) => {}
                    Ok(false) => {
                        return Err(SsoRefusal::SubjectChanged {
                            asserted: asserted_subject(user, &issuer, &identity),
                            linked: None,
                        }
                        .into())
                    }
                    Err(StoreError::Conflict(_)) => {
                        return Err(SsoRefusal::SubjectLinkedElsewhere {
                            asserted: asserted_subject(user, &issuer, &identity),
                            owner: None,
                        }
                        .into())
                    }
                    Err(e) => return Err(e.into()),
                }
                self.keep_sign_in_claims(org, user, config, &identity.claims)
                    .await?;
                // The org's timeout applies at every request (so lowering it
                // shortens open sessions); the row keeps the IdP's limit.
                let mut expires_at = now.plus_seconds(*OrgSso::SESSION_TTL_RANGE_S.end());
                if let Some(idp_limit) = identity.session_not_on_or_after {
                    expires_at = expires_at.min(idp_limit);
                }
                let opened = self
                    .store
                    .put_sso_session(SsoSession {
                        hub_session_hash: hub_session_hash.to_owned(),
                        user: user.id,
                        org: org.id,
                        config: config.id,
                        subject: identity.subject.clone(),
                        email: identity.email.clone(),
                        created_at: now,
                        expires_at,
                    })
                    .await;
                match opened {
                    Ok(()) => {}
                    Err(StoreError::NotFound) => {
                        return Err(SsoRefusal::ChangedDuringSignIn { config: config.id }.into());
                    }
                    Err(other) => return Err(other.into()),
                }
                let event = AuditEvent::sign_in(
                    user.id,
                    "sso.login",
                    format!(
                        "{} signed in as {} (subject {})",
                        user.username, identity.email, identity.subject
                    ),
                )
                .target(user.username.as_str())
                .with("config_id", config.id.0)
                .with("email", identity.email.as_str())
                .with("subject", identity.subject.as_str());
                self.record(org, event).await?;
                let redirect_to = orgsso_core::redirect::safe_local_path(return_to)
                    .filter(|p| !p.is_empty())
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("/organizations/{}", org.name));
                Ok(SsoFinished {
                    redirect_to,
                    purpose,
                })
            }
        }
    }

    /// A member starts signing in through the org's enabled configuration:
    /// the IdP URL to send the browser to.
    pub async fn start_sso_login(
        &self,
        caller: &Caller,
        name: &OrgName,
        return_to: &str,
    ) -> ServiceResult<String> {
        let org = self
            .org_with_permission(caller, name, Action::SignInThroughSso)
            .await?
            .org;
        let state = self.store.org_sso(org.id).await?;
        let config = match (state.enabled(), state.active_config) {
            (true, Some(id)) => self.store.sso_config(id).await?,
            _ => None,
        };
        let Some(config) = config else {
            return Err(Precondition::SsoNotEnabled.into());
        };
        self.redirect_to_idp(caller, &org, &config, SsoPurpose::Login, return_to)
            .await
    }

    /// Starts a test of the newest configuration again.
    pub async fn test_latest_config(
        &self,
        caller: &Caller,
        admin: &OrgAdmin,
    ) -> ServiceResult<String> {
        let org = admin.org();
        let config = self
            .store
            .latest_sso_config(org.id)
            .await?
            .ok_or(ServiceError::NotFound(Entity::SsoConfiguration))?;
        self.redirect_to_idp(caller, org, &config, SsoPurpose::Test, "")
            .await
    }

    pub(crate) async fn redirect_to_idp(
        &self,
        caller: &Caller,
        org: &Org,
        config: &SsoConfig,
        purpose: SsoPurpose,
        return_to: &str,
    ) -> ServiceResult<String> {
        if let Some(settings) = saml::SamlSettings::from_config(config) {
            return self
                .saml_redirect(caller, org, config, &settings, purpose, return_to)
                .await;
        }
        if let Some(settings) = oidc::OidcSettings::from_config(config) {
            return self
                .oidc_redirect(caller, org, config, &settings, purpose, return_to)
                .await;
        }
        Err(Precondition::UnreadableConfiguration.into())
    }

    /// Whether the caller administers the org's SSO: their refusal pages
    /// then show the exact failed check (as a failed test must).
    pub async fn manages_sso(&self, caller: &Caller, name: &OrgName) -> bool {
        self.org_admin(caller, name).await.is_ok()
    }

    /// Whether just-in-time membership may admit `email`: the configuration's
    /// own list when it has one, else the org's SSO email domains when it has
    /// some, else anyone the IdP vouches for.
    async fn check_jit_domain(
        &self,
        org: &Org,
        config: &SsoConfig,
        email: &str,
    ) -> Result<(), SignInError> {
        let own = saml::SamlSettings::from_config(config)
            .map(|s| s.jit_domains)
            .or_else(|| oidc::OidcSettings::from_config(config).map(|s| s.jit_domains))
            .unwrap_or_default();
        let own_list = !own.is_empty();
        let allowed = if own_list {
            own
        } else {
            self.store
                .sso_domains(org.id)
                .await?
                .into_iter()
                .map(|d| d.domain)
                .collect()
        };
        let email = crate::accounts::canonical_email(email);
        let inside = allowed.is_empty()
            || allowed.iter().any(|domain| {
                EmailDomain::parse(domain).is_ok_and(|domain| domain.matches_email(&email))
            });
        if inside {
            return Ok(());
        }
        Err(SsoRefusal::JitDomainNotAllowed {
            org: org.name.clone(),
            email,
            allowed,
            own_list,
        }
        .into())
    }

    /// Ends a sign-in the IdP sent back: a refusal is recorded in the audit
    /// log, once, and becomes the error the member sees; a failure stays the
    /// error it is.
    pub(crate) async fn end_sign_in(
        &self,
        org: &Org,
        user: &User,
        outcome: Result<SsoFinished, SignInError>,
    ) -> ServiceResult<SsoFinished> {
        match outcome {
            Ok(finished) => Ok(finished),
            Err(SignInError::Failed(err)) => Err(err),
            Err(SignInError::Refused(refusal)) => {
                self.record(org, refusal_event("sso.login_failed", user, &refusal))
                    .await?;
                Err(ServiceError::SsoRefused(refusal))
            }
            Err(SignInError::TestRefused(refusal)) => {
                self.record(org, refusal_event("sso.test_failed", user, &refusal))
                    .await?;
                Err(ServiceError::SsoRefused(refusal))
            }
        }
    }
}

/// The audit entry of a refused sign-in: the stable code of the check that
/// failed, and what exactly it found.
fn refusal_event(event: &'static str, user: &User, refusal: &SsoRefusal) -> AuditEvent {
    let detail = format!("{}: {}", refusal.code(), refusal.admin_detail());
    AuditEvent::sign_in(user.id, event, detail)
        .target(user.username.as_str())
        .failed()
        .with("code", refusal.code())
        .with("check", refusal.admin_detail())
}

/// What a starting sign-in remembers until the IdP sends the browser back.
pub(crate) struct PendingSignIn<'a> {
    pub purpose: SsoPurpose,
    pub return_to: &'a str,
    /// The OIDC `state`; `None` draws a random SAML `RelayState`.
    pub handle: Option<&'a str>,
    pub nonce: Option<String>,
    pub pkce_verifier: Option<String>,
    pub saml_request_id: Option<String>,
}

/// What a protocol established about the user, once every check passed.
#[derive(Clone, Debug)]
pub struct SsoIdentity {
    pub subject: String,
    pub email: String,
    /// Everything the IdP sent, shown to the admin after a test.
    pub claims: serde_json::Value,
    pub session_not_on_or_after: Option<Timestamp>,
}

/// Most email domains one configuration may list for just-in-time membership.
pub const MAX_JIT_DOMAINS: usize = 50;

/// The `jit_domains` field (form or API): domains separated by commas,
/// spaces or newlines, each as `EmailDomain::parse` accepts it; duplicates
/// dropped, order kept.
pub fn parse_jit_domains(raw: &str) -> Result<Vec<String>, FieldError> {
    let mut domains: Vec<String> = Vec::new();
    for item in raw.split(|c: char| c == ',' || c.is_whitespace()) {
        if item.is_empty() {
            continue;
        }
        let domain = EmailDomain::parse(item)
            .map_err(|e| FieldError::new("jit_domains", format!("{item}: {}", e.message)))?;
        if !domains.iter().any(|d| d == domain.as_str()) {
            domains.push(domain.as_str().to_owned());
        }
    }
    if domains.len() > MAX_JIT_DOMAINS {
        return Err(FieldError::new(
            "jit_domains",
            format!("at most {MAX_JIT_DOMAINS} domains"),
        ));
    }
    Ok(domains)
}

/// A sign-in whose protocol checks all passed: who, where, with which
/// configuration and for what, and the browser (hub session) it belongs to.
pub(crate) struct SignInFinished<'a> {
    pub user: &'a User,
    pub org: &'a Org,
    pub config: &'a SsoConfig,
    pub purpose: SsoPurpose,
    pub return_to: &'a str,
    pub hub_session_hash: &'a str,
}
