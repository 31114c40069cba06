//! Use cases of the hub: accounts, sessions, tokens, organizations and
//! repositories. Each public method parses nothing (callers pass parsed
//! types), asks the policy, and calls the store; the web layer and the CLI
//! call only this crate.

mod accounts;
mod error;
mod login_throttle;
mod mail;
mod mail_throttle;
mod operator;
mod orgs;
mod password_hash;
mod repos;
mod secrets;
mod sessions;
pub mod sso;
mod tokens;

pub use accounts::{LoginOutcome, SignupRequest};
pub use error::{Entity, Precondition, ServiceError, ServiceResult, MAX_EMAILS, MAX_TOKENS};
pub use mail::{Mail, MailError, Mailer, OutboxMailer, SmtpMailer};
pub use orgs::{OrgView, SsoRequired};
pub use password_hash::{HashingLimits, HashingStats, DEFAULT_QUEUE as DEFAULT_HASH_QUEUE};
pub use repos::{RepoUpdate, RepoView};
pub use secrets::SecretBox;
pub use sessions::{Caller, NewSessionCookie};
pub use tokens::CreatedToken;

pub use orgsso_oidc::IdpNetworks;

use orgsso_core::{Clock, Entropy};
use orgsso_store::Store;
use std::sync::Arc;

/// Settings the use cases need; the CLI builds them from its configuration.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// The public URL of the hub, without a trailing slash (`https://hub.example.com`).
    pub base_url: String,
    pub session_ttl_s: i64,
    pub email_verification_ttl_s: i64,
    /// Seals secrets at rest (OIDC client secrets).
    pub secrets_key: orgsso_core::Secret<[u8; 32]>,
    /// Where OIDC identity providers may live.
    pub idp_networks: IdpNetworks,
    /// How many password hashes may run and wait at once.
    pub password_hashing: HashingLimits,
}

impl ServiceConfig {
    pub fn new(base_url: &str, secrets_key: orgsso_core::Secret<[u8; 32]>) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            session_ttl_s: 14 * 24 * 3600,
            email_verification_ttl_s: 24 * 3600,
            secrets_key,
            idp_networks: IdpNetworks::default(),
            password_hashing: HashingLimits::default(),
        }
    }
}

/// The hub's use cases, cheap to clone (everything behind `Arc`).
#[derive(Clone)]
pub struct Hub {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    mailer: Arc<dyn Mailer>,
    config: Arc<ServiceConfig>,
    passwords: Arc<password_hash::Passwords>,
    secrets: Arc<SecretBox>,
    providers: Arc<sso::oidc::ProviderCache>,
    login_throttle: Arc<login_throttle::LoginThrottle>,
    mail_throttle: Arc<mail_throttle::MailThrottle>,
}

impl Hub {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
        mailer: Arc<dyn Mailer>,
        config: ServiceConfig,
    ) -> Self {
        Self {
            store,
            clock,
            entropy,
            mailer,
            secrets: Arc::new(SecretBox::new(&config.secrets_key)),
            passwords: Arc::new(password_hash::Passwords::new(config.password_hashing)),
            config: Arc::new(config),
            providers: Arc::default(),
            login_throttle: Arc::default(),
            mail_throttle: Arc::default(),
        }
    }

    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Password hashing load, for `/metrics`.
    pub fn password_hashing(&self) -> HashingStats {
        self.passwords.stats()
    }

    pub fn now(&self) -> orgsso_core::Timestamp {
        self.clock.now()
    }

    /// Deletes expired hub sessions, SSO sessions, pending sign-ins and
    /// replay-cache records. Idempotent; safe on any number of instances.
    pub async fn purge_expired(&self) -> ServiceResult<u64> {
        let now = self.clock.now();
        let sessions = self.store.delete_expired_sessions(now).await?;
        let sso = self.store.purge_expired_sso(now).await?;
        Ok(sessions + sso)
    }

    /// Readiness: the database answers.
    pub async fn ready(&self) -> ServiceResult<()> {
        Ok(self.store.ping().await?)
    }
}
