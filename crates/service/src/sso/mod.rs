//! Organization SSO, the protocol-independent part: the configuration
//! lifecycle (save → test through the IdP → enable), SSO sessions, pending
//! sign-ins, the audit log, and the gate the policy applies. SAML and OIDC
//! specifics live in their own modules.

pub mod oidc;
pub mod saml;

use crate::{Caller, Hub, ServiceError, ServiceResult};
use orgsso_core::{decide, Action, OrgName, Timestamp, UserId, Viewer};
use orgsso_store::{
    AuditEntry, NewAuditEntry, Org, OrgSso, SsoConfig, SsoConfigId, SsoPurpose, SsoRequest,
    SsoSession, User,
};

/// How long a browser may take at the IdP before its sign-in expires.
pub const SSO_REQUEST_TTL_S: i64 = 10 * 60;

/// Why an SSO sign-in was refused: what the member is told, and the exact
/// check for the admin (audit log, settings page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoRefusal {
    pub code: &'static str,
    pub member_message: String,
    pub admin_detail: String,
}

impl std::fmt::Display for SsoRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.member_message)
    }
}

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
}

impl Hub {
    /// The org, after checking the caller may manage its settings.
    pub(crate) async fn org_admin(&self, caller: &Caller, name: &OrgName) -> ServiceResult<Org> {
        let view = self.org(caller, name).await?;
        decide(caller.viewer, view.namespace, Action::ManageSettings)?;
        caller.writer()?;
        Ok(view.org)
    }

    pub(crate) async fn audit(
        &self,
        org: &Org,
        actor: Option<UserId>,
        event: &str,
        detail: String,
    ) -> ServiceResult<()> {
        tracing::info!(org = %org.name, event, %detail, "sso audit");
        self.store
            .append_audit(NewAuditEntry {
                org: org.id,
                at: self.clock.now(),
                actor,
                event: event.to_owned(),
                detail,
            })
            .await?;
        Ok(())
    }

    /// The org's SSO state (enabled, options), which anyone may know.
    pub async fn org_sso_state(&self, org: &Org) -> ServiceResult<OrgSso> {
        Ok(self.store.org_sso(org.id).await?)
    }

    pub async fn sso_overview(
        &self,
        caller: &Caller,
        name: &OrgName,
    ) -> ServiceResult<SsoOverview> {
        let org = self.org_admin(caller, name).await?;
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
        Ok(SsoOverview {
            org,
            state,
            latest,
            active,
            audit,
            sessions,
            failed_response_at,
        })
    }

    /// Enables SSO with a configuration that completed a test.
    pub async fn enable_sso(
        &self,
        caller: &Caller,
        name: &OrgName,
        config: SsoConfigId,
    ) -> ServiceResult<()> {
        let org = self.org_admin(caller, name).await?;
        self.store.enable_sso(org.id, config).await.map_err(|e| match e {
            orgsso_store::StoreError::NotFound => {
                ServiceError::Precondition("only a configuration that passed its test can be enabled; run Update and Test first")
            }
            other => other.into(),
        })?;
        self.audit(
            &org,
            caller.viewer.id(),
            "sso.enabled",
            format!("SSO enabled with configuration #{config}"),
        )
        .await
    }

    pub async fn disable_sso(&self, caller: &Caller, name: &OrgName) -> ServiceResult<()> {
        let org = self.org_admin(caller, name).await?;
        self.store.disable_sso(org.id).await?;
        self.audit(
            &org,
            caller.viewer.id(),
            "sso.disabled",
            "SSO disabled".into(),
        )
        .await
    }

    /// Break-glass for the server operator (CLI): no admin session needed.
    pub async fn operator_disable_sso(&self, name: &OrgName) -> ServiceResult<OrgName> {
        let org = self
            .store
            .org_by_name(name)
            .await?
            .ok_or(ServiceError::NotFound("organization"))?;
        self.store.disable_sso(org.id).await?;
        self.audit(
            &org,
            None,
            "sso.disabled",
            "SSO disabled by the server operator (break-glass)".into(),
        )
        .await?;
        Ok(org.name)
    }

    pub async fn set_sso_options(
        &self,
        caller: &Caller,
        name: &OrgName,
        session_ttl_s: i64,
        allow_idp_initiated: bool,
    ) -> ServiceResult<()> {
        let org = self.org_admin(caller, name).await?;
        if !(300..=90 * 24 * 3600).contains(&session_ttl_s) {
            return Err(orgsso_core::FieldError::new(
                "session_timeout",
                "must be between 5 minutes and 90 days",
            )
            .into());
        }
        self.store
            .set_sso_options(org.id, session_ttl_s, allow_idp_initiated)
            .await?;
        let detail = format!(
            "session timeout {session_ttl_s}s, IdP-initiated login {}",
            if allow_idp_initiated {
                "allowed"
            } else {
                "refused"
            }
        );
        self.audit(&org, caller.viewer.id(), "sso.options_changed", detail)
            .await
    }

    /// The live SSO session of the caller for the org, if any.
    pub async fn my_sso_session(
        &self,
        caller: &Caller,
        org: &Org,
    ) -> ServiceResult<Option<SsoSession>> {
        match caller.viewer.id() {
            Some(user) => Ok(self
                .store
                .sso_session(user, org.id, self.clock.now())
                .await?),
            None => Ok(None),
        }
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
        let session = caller.session.as_ref().ok_or(ServiceError::Precondition(
            "signing in through the identity provider needs a browser session (log in to the hub in a browser, not with an access token)",
        ))?;
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
    ) -> ServiceResult<Option<SsoRequest>> {
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
                Ok(Some(request))
            }
            _ => {
                let refusal = SsoRefusal {
                    code: "sso.request_mismatch",
                    member_message: "This sign-in was started in another browser session or for another organization. Start it again from the organization's page.".into(),
                    admin_detail: "the sign-in response belongs to a request started by another hub session or organization".into(),
                };
                // Audited like every other refused sign-in (B5).
                Err(self.refuse_sso(org, caller.viewer.id(), refusal).await)
            }
        }
    }

    /// The identity check shared by both protocols (S9): the asserted email
    /// must be a verified email of the signed-in account.
    pub(crate) async fn check_sso_email(
        &self,
        user: &User,
        asserted: &str,
    ) -> Result<(), SsoRefusal> {
        let emails = self.store.emails_of(user.id).await.unwrap_or_default();
        let asserted_lower = asserted.trim().to_lowercase();
        match emails.iter().find(|e| e.address.as_str() == asserted_lower) {
            Some(e) if e.is_verified() => Ok(()),
            Some(_) => Err(SsoRefusal {
                code: "sso.email_not_verified",
                member_message: format!("Your identity provider says you are {asserted_lower}. That address is on your account but not verified yet: open the link we mailed to it (Settings → Emails → Resend link), then sign in again."),
                admin_detail: format!("the IdP asserted {asserted_lower}, which is not verified on the account {}", user.username),
            }),
            None => Err(SsoRefusal {
                code: "sso.email_mismatch",
                member_message: format!("Your identity provider says you are {asserted_lower}, which is not an email of your account. Add it in Settings → Emails, verify it, then sign in again."),
                admin_detail: format!("the IdP asserted {asserted_lower}, which is not an email of the account {}", user.username),
            }),
        }
    }

    /// Finishes a verified sign-in: a test marks the configuration tested; a
    /// login joins the org if needed and opens the SSO session.
    pub(crate) async fn complete_sso(
        &self,
        user: &User,
        org: &Org,
        config: &SsoConfig,
        purpose: SsoPurpose,
        return_to: &str,
        identity: SsoIdentity,
    ) -> ServiceResult<SsoFinished> {
        let now = self.clock.now();
        match purpose {
            SsoPurpose::Test => {
                // Only an admin's round trip may vouch for a configuration.
                let namespace = self.org_namespace(Viewer::user(user.id), org).await?;
                decide(Viewer::user(user.id), namespace, Action::ManageSettings)?;
                self.store
                    .mark_sso_config_tested(config.id, now, &identity.claims.to_string())
                    .await?;
                self.audit(
                    org,
                    Some(user.id),
                    "sso.test_passed",
                    format!(
                        "configuration #{} passed its test: {} signed in as {}",
                        config.id, user.username, identity.email
                    ),
                )
                .await?;
                Ok(SsoFinished {
                    redirect_to: format!("/organizations/{}/settings/sso?done=tested", org.name),
                    purpose,
                })
            }
            SsoPurpose::Login => {
                let state = self.store.org_sso(org.id).await?;
                if self.store.role_of(org.id, user.id).await?.is_none() {
                    // Just-in-time membership with the org's default role.
                    match self
                        .store
                        .add_member(org.id, user.id, org.default_role, now)
                        .await
                    {
                        Ok(()) | Err(orgsso_store::StoreError::Conflict(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                    self.audit(
                        org,
                        Some(user.id),
                        "sso.member_joined",
                        format!(
                            "{} joined with the default role {}",
                            user.username, org.default_role
                        ),
                    )
                    .await?;
                }
                let mut expires_at = now.plus_seconds(state.session_ttl_s);
                if let Some(idp_limit) = identity.session_not_on_or_after {
                    expires_at = expires_at.min(idp_limit);
                }
                self.store
                    .put_sso_session(SsoSession {
                        user: user.id,
                        org: org.id,
                        config: config.id,
                        subject: identity.subject.clone(),
                        email: identity.email.clone(),
                        created_at: now,
                        expires_at,
                    })
                    .await?;
                self.audit(
                    org,
                    Some(user.id),
                    "sso.login",
                    format!(
                        "{} signed in as {} (subject {})",
                        user.username, identity.email, identity.subject
                    ),
                )
                .await?;
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
        let org = self.org(caller, name).await?.org;
        let state = self.store.org_sso(org.id).await?;
        let config = match (state.enabled, state.active_config) {
            (true, Some(id)) => self.store.sso_config(id).await?,
            _ => None,
        };
        let Some(config) = config else {
            return Err(ServiceError::Precondition(
                "this organization has not enabled single sign-on",
            ));
        };
        self.redirect_to_idp(caller, &org, &config, SsoPurpose::Login, return_to)
            .await
    }

    /// Starts a test of the newest configuration again.
    pub async fn test_latest_config(
        &self,
        caller: &Caller,
        name: &OrgName,
    ) -> ServiceResult<String> {
        let org = self.org_admin(caller, name).await?;
        let config = self
            .store
            .latest_sso_config(org.id)
            .await?
            .ok_or(ServiceError::NotFound("SSO configuration"))?;
        self.redirect_to_idp(caller, &org, &config, SsoPurpose::Test, "")
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
        Err(ServiceError::Precondition(
            "the configuration cannot be read; save it again",
        ))
    }

    /// Whether the caller administers the org's SSO: their refusal pages
    /// then show the exact failed check (as a failed test must).
    pub async fn manages_sso(&self, caller: &Caller, name: &OrgName) -> bool {
        self.org_admin(caller, name).await.is_ok()
    }

    /// Records a refused sign-in in the audit log and turns it into the error the member sees.
    pub(crate) async fn refuse_sso(
        &self,
        org: &Org,
        user: Option<UserId>,
        refusal: SsoRefusal,
    ) -> ServiceError {
        if let Err(err) = self
            .audit(
                org,
                user,
                "sso.login_failed",
                format!("{}: {}", refusal.code, refusal.admin_detail),
            )
            .await
        {
            return err;
        }
        ServiceError::SsoRefused(refusal)
    }
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
