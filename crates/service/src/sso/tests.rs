//! The SSO use cases against the real SQLite store: refusals, the admin
//! proof, enabling, the rules that end SSO sessions, and the audit log.

use super::oidc::OidcSettings;
use super::*;
use crate::{Entity, OutboxMailer, Precondition, ServiceConfig, SignupRequest};
use audit::AuditFilter;
use orgsso_core::{
    Clock, Denied, DisplayName, Email, FixedClock, OsEntropy, Password, Role, Secret, SsoMode,
    Timestamp,
};
use orgsso_store::{ActorKind, AuditOutcome, NewSsoConfig, SsoProtocol, Store, StoreError};
use orgsso_store_sqlite::SqliteStore;
use std::collections::HashSet;
use std::sync::Arc;

const T0: Timestamp = Timestamp::from_unix(1_800_000_000);
const PASSWORD: &str = "a long enough passphrase 42";

struct Fixture {
    hub: Hub,
    clock: Arc<FixedClock>,
    org: Org,
    /// The org's admin (its creator) and a member with the read role.
    alice: Caller,
    bob: Caller,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("orgsso.db").display());
    let store = SqliteStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    let clock = Arc::new(FixedClock::new(T0));
    let hub = Hub::new(
        store.clone(),
        clock.clone(),
        Arc::new(OsEntropy),
        Arc::new(OutboxMailer::new(store)),
        ServiceConfig::new("http://hub.test", Secret::new([7; 32])),
    );
    let alice = signed_in(&hub, "alice").await;
    let bob = signed_in(&hub, "bob").await;
    let org = hub
        .create_org(
            &alice,
            OrgName::parse("acme").unwrap(),
            DisplayName::parse("display_name", "").unwrap(),
        )
        .await
        .unwrap();
    let bob_id = bob.viewer.id().unwrap();
    hub.store
        .add_member(org.id, bob_id, Role::Read, T0)
        .await
        .unwrap();
    Fixture {
        hub,
        clock,
        org,
        alice,
        bob,
        _dir: dir,
    }
}

/// A user with a verified `<name>@acme.test`, signed in in a browser.
async fn signed_in(hub: &Hub, name: &str) -> Caller {
    let request = SignupRequest {
        username: Username::parse(name).unwrap(),
        display_name: DisplayName::parse("display_name", "").unwrap(),
        email: Email::parse(&format!("{name}@acme.test")).unwrap(),
        password: Password::parse(PASSWORD).unwrap(),
    };
    hub.operator_create_user(request, true).await.unwrap();
    let login = hub.login(name, PASSWORD).await.unwrap();
    hub.caller_from_session(login.cookie.value.expose())
        .await
        .unwrap()
        .unwrap()
}

fn user(caller: &Caller) -> &User {
    caller.user.as_ref().unwrap()
}

/// A SAML configuration saved by `by`, untested.
async fn saml_config(f: &Fixture, by: UserId) -> SsoConfig {
    let settings = serde_json::json!({
        "idp_sso_url": "https://idp.test/sso",
        "idp_entity_id": "https://idp.test",
        "certificates": [],
    });
    f.hub
        .store
        .create_sso_config(NewSsoConfig {
            org: f.org.id,
            protocol: SsoProtocol::Saml,
            settings: settings.to_string(),
            secret_ciphertext: None,
            created_by: by,
            now: f.clock.now(),
        })
        .await
        .unwrap()
}

async fn mark_tested(f: &Fixture, config: SsoConfigId, by: UserId, at: Timestamp) {
    f.hub
        .store
        .mark_sso_config_tested(
            config,
            SsoTestOutcome {
                by,
                at,
                result: "{}".into(),
                identity_matches: true,
            },
        )
        .await
        .unwrap();
}

/// SSO on (optional) with a configuration Alice just tested; her proof.
async fn sso_enabled(f: &Fixture) -> (OrgAdmin, SsoConfig) {
    let admin = f.hub.org_admin(&f.alice, &f.org.name).await.unwrap();
    let config = saml_config(f, admin.admin()).await;
    mark_tested(f, config.id, admin.admin(), f.clock.now()).await;
    f.hub
        .enable_sso(&admin, config.id, SsoMode::Optional)
        .await
        .unwrap();
    (admin, config)
}

/// Bob's SSO session in his browser, as a finished sign-in opens it.
async fn open_sso_session(f: &Fixture, config: &SsoConfig) {
    let now = f.clock.now();
    f.hub
        .store
        .put_sso_session(SsoSession {
            hub_session_hash: f.bob.session.as_ref().unwrap().id_hash.clone(),
            user: user(&f.bob).id,
            org: f.org.id,
            config: config.id,
            subject: "bob-at-idp".into(),
            email: "bob@acme.test".into(),
            created_at: now,
            expires_at: now.plus_seconds(*OrgSso::SESSION_TTL_RANGE_S.end()),
        })
        .await
        .unwrap();
}

async fn live_sessions(f: &Fixture) -> usize {
    f.hub
        .operator_sso_status(&f.org.name)
        .await
        .unwrap()
        .live_sessions
}

async fn audit(f: &Fixture) -> Vec<(String, String)> {
    let mut entries: Vec<_> = f
        .hub
        .store
        .audit_log(f.org.id, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.event, e.detail))
        .collect();
    entries.reverse();
    entries
}

fn every_refusal() -> Vec<(SsoRefusal, &'static str)> {
    let org = OrgName::parse("acme").unwrap();
    let account = Username::parse("bob").unwrap();
    let asserted = || {
        Box::new(AssertedSubject {
            account: account.clone(),
            subject: "s-2".into(),
            issuer: "https://idp.test".into(),
            email: "bob@acme.test".into(),
        })
    };
    vec![
        (SsoRefusal::StateMismatch, "oidc.state_mismatch"),
        (SsoRefusal::RequestMismatch, "sso.request_mismatch"),
        (
            SsoRefusal::ChangedDuringSignIn {
                config: SsoConfigId(3),
            },
            "sso.changed_during_sign_in",
        ),
        (SsoRefusal::NotEnabled, "sso.not_enabled"),
        (
            SsoRefusal::IdpInitiatedDisabled { org: org.clone() },
            "saml.idp_initiated_disabled",
        ),
        (
            SsoRefusal::EmailNotVerified {
                asserted: "bob@acme.test".into(),
                account: account.clone(),
            },
            "sso.email_not_verified",
        ),
        (
            SsoRefusal::EmailMismatch {
                asserted: "eve@acme.test".into(),
                account: account.clone(),
            },
            "sso.email_mismatch",
        ),
        (
            SsoRefusal::NotAMember {
                org: org.clone(),
                account: account.clone(),
                email: "bob@acme.test".into(),
            },
            "sso.not_a_member",
        ),
        (
            SsoRefusal::JitDomainNotAllowed {
                org: org.clone(),
                email: "bob@other.test".into(),
                allowed: vec!["acme.test".into()],
                own_list: false,
            },
            "sso.jit_domain_not_allowed",
        ),
        (
            SsoRefusal::SubjectChanged {
                asserted: asserted(),
                linked: Some(("s-1".into(), "https://idp.test".into())),
            },
            "sso.subject_changed",
        ),
        (
            SsoRefusal::SubjectLinkedElsewhere {
                asserted: asserted(),
                owner: Some("carol".into()),
            },
            "sso.subject_linked_elsewhere",
        ),
        (
            SsoRefusal::RequiredClaimMissing {
                name: "hd".into(),
                value: "acme.test".into(),
                found: "the claim is absent".into(),
            },
            "oidc.required_claim_missing",
        ),
        (SsoRefusal::MissingCode, "oidc.missing_code"),
        (SsoRefusal::SecretUnreadable, "oidc.secret_unreadable"),
        (
            SsoRefusal::IdpUnreachable(orgsso_oidc::DiscoveryError::Unreachable {
                url: "https://idp.test".into(),
                reason: String::new(),
            }),
            "oidc.discovery_unreachable",
        ),
        (
            SsoRefusal::OidcRejected(orgsso_oidc::Rejection::IdpError {
                error: "access_denied".into(),
                description: String::new(),
            }),
            "oidc.idp_error",
        ),
        (
            SsoRefusal::BadSamlConfiguration {
                problem: "not a certificate".into(),
            },
            "saml.bad_configuration",
        ),
        (
            SsoRefusal::SamlRejected {
                rejection: orgsso_saml::Rejection::EncryptedAssertion,
                key_problem: Some("the SP keys cannot be opened".into()),
            },
            "saml.encrypted_assertion",
        ),
        (
            SsoRefusal::UnknownSamlRequest {
                in_response_to: "_abc".into(),
            },
            "saml.unknown_request",
        ),
        (
            SsoRefusal::Replayed {
                assertion_id: "_a1".into(),
                issuer: "https://idp.test".into(),
            },
            "saml.replayed",
        ),
        (
            SsoRefusal::VerifierUnavailable {
                reason: "server busy".into(),
            },
            "saml.verification_unavailable",
        ),
    ]
}

#[test]
fn every_refusal_keeps_its_code_and_the_codes_are_distinct() {
    let refusals = every_refusal();
    let mut codes = HashSet::new();
    for (refusal, code) in &refusals {
        assert_eq!(refusal.code(), *code, "{refusal:?}");
        assert!(codes.insert(refusal.code()), "{code} is used twice");
    }
    assert_eq!(codes.len(), refusals.len());
}

#[test]
fn each_refusal_tells_the_member_what_to_do_and_the_admin_what_failed() {
    for (refusal, code) in every_refusal() {
        let (member, admin) = (refusal.member_message(), refusal.admin_detail());
        assert!(!member.is_empty() && !admin.is_empty(), "{code}");
        assert_ne!(member, admin, "{code}");
        assert_eq!(refusal.to_string(), member, "{code}");
    }
}

#[test]
fn the_failed_check_stays_in_the_admin_detail() {
    let refusal = SsoRefusal::SamlRejected {
        rejection: orgsso_saml::Rejection::EncryptedAssertion,
        key_problem: Some("the SP keys cannot be opened".into()),
    };
    assert!(refusal
        .admin_detail()
        .ends_with(": the SP keys cannot be opened"));
    assert!(!refusal.member_message().contains("SP keys"));
    let mismatch = SsoRefusal::EmailMismatch {
        asserted: "eve@acme.test".into(),
        account: Username::parse("bob").unwrap(),
    };
    assert_eq!(
        mismatch.admin_detail(),
        "the IdP asserted eve@acme.test, which is not an email of the account bob"
    );
}

#[tokio::test]
async fn an_asserted_email_must_be_a_verified_email_of_the_account() {
    let f = fixture().await;
    let bob = user(&f.bob);
    assert_eq!(
        f.hub.check_sso_email(bob, "Bob@ACME.test").await.unwrap(),
        Ok(())
    );
    let refused = f.hub.check_sso_email(bob, "eve@acme.test").await.unwrap();
    assert_eq!(refused.unwrap_err().code(), "sso.email_mismatch");
    f.hub
        .add_email(&f.bob, Email::parse("bob@other.test").unwrap())
        .await
        .unwrap();
    let refused = f.hub.check_sso_email(bob, "bob@other.test").await.unwrap();
    assert_eq!(
        refused.unwrap_err(),
        SsoRefusal::EmailNotVerified {
            asserted: "bob@other.test".into(),
            account: bob.username.clone(),
        }
    );
}

#[tokio::test]
async fn just_in_time_membership_admits_only_the_orgs_sso_domains() {
    let f = fixture().await;
    f.hub
        .store
        .add_sso_domain(f.org.id, "acme.test", T0)
        .await
        .unwrap();
    let config = saml_config(&f, user(&f.alice).id).await;
    assert!(f
        .hub
        .check_jit_domain(&f.org, &config, "carol@acme.test")
        .await
        .is_ok());
    let Err(SignInError::Refused(refusal)) = f
        .hub
        .check_jit_domain(&f.org, &config, "carol@other.test")
        .await
    else {
        panic!("an email outside the SSO domains was admitted");
    };
    assert_eq!(refusal.code(), "sso.jit_domain_not_allowed");
    assert!(refusal
        .admin_detail()
        .contains("the organization's SSO email domains (acme.test)"));
}

#[tokio::test]
async fn a_response_while_sso_is_off_is_refused_and_audited_once() {
    let f = fixture().await;
    let err = f
        .hub
        .consume_saml(&f.bob, &f.org.name, "PFJlc3BvbnNlLz4=", "")
        .await
        .unwrap_err();
    let ServiceError::SsoRefused(refusal) = err else {
        panic!("not a refusal: {err:?}");
    };
    assert_eq!(refusal, SsoRefusal::NotEnabled);
    let failed: Vec<_> = audit(&f)
        .await
        .into_iter()
        .filter(|(event, _)| event == "sso.login_failed")
        .collect();
    assert_eq!(
        failed,
        [(
            "sso.login_failed".to_owned(),
            "sso.not_enabled: an IdP-initiated response arrived while SSO is disabled".to_owned()
        )]
    );
}

#[tokio::test]
async fn starting_a_sign_in_needs_sso_enabled() {
    let f = fixture().await;
    let err = f
        .hub
        .start_sso_login(&f.bob, &f.org.name, "")
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ServiceError::Precondition(Precondition::SsoNotEnabled)
    ));
    assert_eq!(
        err.to_string(),
        "this organization has not enabled single sign-on"
    );
}

#[tokio::test]
async fn a_store_failure_while_signing_in_is_an_error_not_a_refusal() {
    let f = fixture().await;
    let outage = StoreError::Unavailable("the database is down".into());
    let err = f
        .hub
        .end_sign_in(&f.org, user(&f.bob), Err(SignInError::from(outage)))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        ServiceError::Store(StoreError::Unavailable(_))
    ));
    assert!(audit(&f)
        .await
        .iter()
        .all(|(event, _)| event != "sso.login_failed"));
}

#[tokio::test]
async fn only_an_admin_gets_the_proof() {
    let f = fixture().await;
    let admin = f.hub.org_admin(&f.alice, &f.org.name).await.unwrap();
    assert_eq!(admin.org().id, f.org.id);
    assert_eq!(admin.admin(), user(&f.alice).id);
    let err = f.hub.org_admin(&f.bob, &f.org.name).await.unwrap_err();
    assert!(
        matches!(err, ServiceError::Denied(Denied::InsufficientRole { .. })),
        "{err:?}"
    );
    assert_eq!(err.code(), "forbidden");
    assert!(f
        .hub
        .org_admin(&Caller::anonymous(), &f.org.name)
        .await
        .is_err());
    assert!(!f.hub.manages_sso(&f.bob, &f.org.name).await);
    let missing = OrgName::parse("nowhere").unwrap();
    assert!(matches!(
        f.hub.org_admin(&f.alice, &missing).await.unwrap_err(),
        ServiceError::NotFound(Entity::Organization)
    ));
}

/// Why enabling was refused, when it was for want of a good test.
fn blocked(err: ServiceError) -> Option<EnableBlocked> {
    match err {
        ServiceError::Precondition(Precondition::CannotEnable(why)) => Some(why),
        _ => None,
    }
}

#[tokio::test]
async fn enabling_needs_the_admins_own_recent_test() {
    let f = fixture().await;
    let admin = f.hub.org_admin(&f.alice, &f.org.name).await.unwrap();
    let overview = f.hub.sso_overview(&admin).await.unwrap();
    assert_eq!(overview.can_enable, Err(EnableBlocked::NothingSaved));
    let config = saml_config(&f, admin.admin()).await;
    let enable = || f.hub.enable_sso(&admin, config.id, SsoMode::Enforced);
    assert_eq!(
        blocked(enable().await.unwrap_err()),
        Some(EnableBlocked::NotTested)
    );
    mark_tested(&f, config.id, user(&f.bob).id, T0).await;
    assert_eq!(
        blocked(enable().await.unwrap_err()),
        Some(EnableBlocked::TestedByAnother)
    );
    mark_tested(&f, config.id, admin.admin(), T0).await;
    f.clock.advance(ENABLE_AFTER_TEST_WITHIN_S + 1);
    let err = enable().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "your test of this configuration is more than an hour old; test it again, then enable"
    );
    mark_tested(&f, config.id, admin.admin(), f.clock.now()).await;
    enable().await.unwrap();
    assert_eq!(
        f.hub.org_sso_state(&f.org).await.unwrap().mode,
        SsoMode::Enforced
    );
}

#[tokio::test]
async fn revoking_sso_sessions_ends_them_and_says_so() {
    let f = fixture().await;
    let (admin, config) = sso_enabled(&f).await;
    open_sso_session(&f, &config).await;
    assert_eq!(live_sessions(&f).await, 1);
    let bob = user(&f.bob).username.clone();
    assert_eq!(
        f.hub.revoke_sso_sessions(&admin, Some(&bob)).await.unwrap(),
        1
    );
    assert_eq!(live_sessions(&f).await, 0);
    assert_eq!(
        audit(&f).await.last().unwrap(),
        &(
            "sso.sessions_revoked".to_owned(),
            "SSO sessions of bob revoked: 1 ended".to_owned()
        )
    );
}

#[tokio::test]
async fn an_sso_session_ends_with_the_orgs_timeout() {
    let f = fixture().await;
    let (admin, config) = sso_enabled(&f).await;
    let shortest = *OrgSso::SESSION_TTL_RANGE_S.start();
    f.hub
        .set_sso_options(
            &admin,
            SsoOptionsUpdate {
                session_ttl_s: Some(shortest),
                ..SsoOptionsUpdate::default()
            },
        )
        .await
        .unwrap();
    open_sso_session(&f, &config).await;
    f.clock.advance(shortest - 1);
    assert_eq!(live_sessions(&f).await, 1);
    f.clock.advance(1);
    assert_eq!(live_sessions(&f).await, 0);
    let too_short = SsoOptionsUpdate {
        session_ttl_s: Some(shortest - 1),
        ..SsoOptionsUpdate::default()
    };
    let err = f.hub.set_sso_options(&admin, too_short).await.unwrap_err();
    assert!(matches!(err, ServiceError::Invalid(e) if e.field == "session_timeout"));
}

#[test]
fn a_stored_email_claim_is_one_the_hub_knows() {
    let config = |claim: &str| SsoConfig {
        settings: serde_json::json!({
            "issuer_url": "https://idp.test",
            "client_id": "hub",
            "scopes": ["email"],
            "email_claim": claim,
        })
        .to_string(),
        ..oidc_config_stub()
    };
    let settings = OidcSettings::from_config(&config("upn")).unwrap();
    assert_eq!(settings.email_claim, orgsso_oidc::EmailClaim::Upn);
    assert!(serde_json::to_string(&settings)
        .unwrap()
        .contains(r#""email_claim":"upn""#));
    // Once it quietly became `email`; now the configuration must be saved again.
    assert!(OidcSettings::from_config(&config("mail")).is_none());
}

#[test]
fn not_found_and_precondition_messages_read_as_before() {
    assert_eq!(
        ServiceError::NotFound(Entity::SsoConfiguration).to_string(),
        "SSO configuration not found"
    );
    assert_eq!(
        ServiceError::from(Precondition::TooManyTokens).to_string(),
        "an account can have at most 100 access tokens"
    );
    assert_eq!(
        ServiceError::from(Precondition::CannotEnable(EnableBlocked::NotTested)).to_string(),
        "only a configuration that passed its test can be enabled; run Update and Test first"
    );
}

fn oidc_config_stub() -> SsoConfig {
    SsoConfig {
        id: SsoConfigId(1),
        org: orgsso_core::OrgId(1),
        protocol: SsoProtocol::Oidc,
        settings: String::new(),
        secret_ciphertext: None,
        created_by: None,
        created_at: T0,
        tested_at: None,
        tested_by: None,
        test_result: None,
        tested_identity_matches: false,
    }
}

#[tokio::test]
async fn a_refused_sign_in_is_audited_with_its_actor_target_and_failed_check() {
    let f = fixture().await;
    f.hub
        .consume_saml(&f.bob, &f.org.name, "PFJlc3BvbnNlLz4=", "")
        .await
        .unwrap_err();
    let entry = f.hub.store.audit_log(f.org.id, 1).await.unwrap().remove(0);
    assert_eq!(entry.event, "sso.login_failed");
    assert_eq!(entry.actor_kind, ActorKind::SignIn);
    assert_eq!(entry.actor, Some(user(&f.bob).id));
    assert_eq!(entry.target.as_deref(), Some("bob"));
    assert_eq!(entry.outcome, AuditOutcome::Failure);
    let details: serde_json::Value = serde_json::from_str(&entry.details).unwrap();
    assert_eq!(details["code"], "sso.not_enabled");
    assert_eq!(
        details["check"],
        "an IdP-initiated response arrived while SSO is disabled"
    );
}

#[tokio::test]
async fn break_glass_is_the_operators_with_its_reason() {
    let f = fixture().await;
    sso_enabled(&f).await;
    f.hub
        .operator_disable_sso(&f.org.name, "IdP outage, ticket 42")
        .await
        .unwrap();
    let entry = f.hub.store.audit_log(f.org.id, 1).await.unwrap().remove(0);
    assert_eq!(entry.event, "sso.disabled");
    assert_eq!(entry.actor_kind, ActorKind::Operator);
    assert_eq!(entry.actor, None);
    let details: serde_json::Value = serde_json::from_str(&entry.details).unwrap();
    assert_eq!(details["break_glass"], true);
    assert_eq!(details["reason"], "IdP outage, ticket 42");
}

#[tokio::test]
async fn the_log_is_read_by_filter_with_the_actors_name() {
    let f = fixture().await;
    let (admin, config) = sso_enabled(&f).await;
    open_sso_session(&f, &config).await;
    f.hub
        .revoke_sso_sessions(&admin, Some(&Username::parse("bob").unwrap()))
        .await
        .unwrap();
    f.hub
        .consume_saml(&f.bob, &f.org.name, "PFJlc3BvbnNlLz4=", "")
        .await
        .unwrap_err();
    let read = |filter: AuditFilter| {
        let (hub, admin) = (&f.hub, &admin);
        async move {
            hub.sso_audit_page(admin, &filter, None, false, 100)
                .await
                .unwrap()
                .into_iter()
                .map(|r| {
                    (
                        r.entry.event,
                        r.actor_name.map(|n| n.to_string()).unwrap_or_default(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let all = read(AuditFilter::default()).await;
    assert_eq!(all[0], ("sso.enabled".to_owned(), "alice".to_owned()));
    let about_bob = read(AuditFilter {
        user: Some(Username::parse("bob").unwrap()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(
        about_bob,
        [
            ("sso.sessions_revoked".to_owned(), "alice".to_owned()),
            ("sso.login_failed".to_owned(), "bob".to_owned()),
        ]
    );
    let failures = read(AuditFilter {
        outcome: Some(AuditOutcome::Failure),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(
        failures,
        [("sso.login_failed".to_owned(), "bob".to_owned())]
    );
    let bad = |key: &'static str, value: &'static str| {
        AuditFilter::parse(move |k| (k == key).then_some(value))
            .unwrap_err()
            .field
    };
    assert_eq!(bad("event", "DROP TABLE"), "event");
    assert_eq!(bad("user", "no such name!"), "user");
    assert_eq!(bad("outcome", "maybe"), "outcome");
    assert_eq!(bad("since", "yesterday"), "since");
    assert_eq!(bad("until", "2026-13-01"), "until");
}
