//! The orgsso application: configuration, start-up (store, migrations,
//! secrets key, services, routes) and the server loop. The binary and the
//! test harness both build the app through [`App::build`].

pub mod config;
pub mod server;

pub use config::Config;

use anyhow::Context;
use orgsso_core::{Clock, Entropy, OsEntropy, Secret, SystemClock};
use orgsso_service::{Hub, Mailer, OutboxMailer, ServiceConfig, SmtpMailer};
use orgsso_store::Store;
use orgsso_web::{AppState, WebConfig};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Opens the database named by `url` (`sqlite://…` or `postgres://…`).
pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = orgsso_store_postgres::PostgresStore::connect(url)
            .await
            .context("connecting to PostgreSQL")?;
        Ok(Arc::new(store))
    } else if url.starts_with("sqlite:") {
        let store = orgsso_store_sqlite::SqliteStore::connect(url)
            .await
            .context("opening the SQLite database")?;
        Ok(Arc::new(store))
    } else {
        anyhow::bail!("--database-url must start with sqlite:// or postgres://")
    }
}

/// Runs the migrations of whichever backend `url` names.
pub async fn migrate(url: &str) -> anyhow::Result<()> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = orgsso_store_postgres::PostgresStore::connect(url)
            .await
            .context("connecting to PostgreSQL")?;
        store.migrate().await.context("migrating PostgreSQL")?;
    } else {
        let store = orgsso_store_sqlite::SqliteStore::connect(url)
            .await
            .context("opening the SQLite database")?;
        store.migrate().await.context("migrating SQLite")?;
    }
    Ok(())
}

pub struct App {
    pub hub: Hub,
    pub state: AppState,
    pub config: Config,
}

impl App {
    /// Prepares the data directory, opens and migrates the database, and wires the services.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("creating the data directory {}", config.data_dir.display())
        })?;
        let url = config.effective_database_url();
        migrate(&url).await?;
        let store = open_store(&url).await?;
        Self::with_store(config, store, Arc::new(SystemClock))
    }

    /// Builds the app on an already migrated store (tests use this with a fixed clock).
    pub fn with_store(
        config: Config,
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<App> {
        let secrets_key = load_secrets_key(&config)?;
        let entropy: Arc<dyn Entropy> = Arc::new(OsEntropy);
        let mailer: Arc<dyn Mailer> = match &config.smtp_url {
            Some(url) => Arc::new(
                SmtpMailer::new(url, &config.mail_from)
                    .map_err(|e| anyhow::anyhow!("--smtp-url: {e}"))?,
            ),
            None => Arc::new(OutboxMailer::new(store.clone())),
        };
        let hub = Hub::new(
            store,
            clock,
            entropy,
            mailer,
            ServiceConfig {
                idp_networks: config.idp_networks(),
                password_hashing: config.password_hashing(),
                ..ServiceConfig::new(&config.base_url, secrets_key)
            },
        );
        let state = AppState::new(hub.clone(), WebConfig::new(&config.base_url));
        Ok(App { hub, state, config })
    }

    pub fn router(&self) -> axum::Router {
        orgsso_web::router(self.state.clone())
    }

    /// The connection limits and timeouts of [`App::serve`], from the configuration.
    pub fn server_limits(&self) -> server::ServerLimits {
        server::ServerLimits {
            header_read_timeout: self.config.header_read_timeout,
            request_body_timeout: self.config.request_body_timeout,
            idle_timeout: self.config.idle_timeout,
            max_connections: usize::try_from(self.config.max_connections).unwrap_or(usize::MAX),
            shutdown_timeout: self.config.shutdown_timeout,
        }
    }

    /// Serves until `shutdown` resolves, then finishes in-flight requests for up to the
    /// shutdown timeout and cuts the rest.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = self.router();
        let hub = self.hub.clone();
        // Expired rows are refused when read; this only keeps the tables small.
        let purger = tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
            loop {
                every.tick().await;
                match hub.purge_expired().await {
                    Ok(n) if n > 0 => {
                        tracing::info!(rows = n, "purged expired sessions and sign-ins")
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = ?err, "purging expired rows failed"),
                }
            }
        });
        let limits = self.server_limits();
        tracing::info!(
            header_read_timeout_s = limits.header_read_timeout.as_secs_f64(),
            request_body_timeout_s = limits.request_body_timeout.as_secs_f64(),
            idle_timeout_s = limits.idle_timeout.as_secs_f64(),
            max_connections = limits.max_connections,
            shutdown_timeout_s = limits.shutdown_timeout.as_secs_f64(),
            password_hashing = ?self.hub.config().password_hashing,
            "connection limits"
        );
        server::serve(listener, router, limits, shutdown).await;
        purger.abort();
        Ok(())
    }
}

/// The key that seals secrets at rest: `--secrets-key` (64 hex characters;
/// give every instance the same one), else `secrets.key` in the data
/// directory, generated on first start and readable only by its owner.
pub fn load_secrets_key(config: &Config) -> anyhow::Result<Secret<[u8; 32]>> {
    if let Some(hex) = &config.secrets_key {
        return parse_key(hex.expose()).context("--secrets-key must be 64 hexadecimal characters");
    }
    ensure_secrets_key(&config.data_dir)?;
    let path = config.data_dir.join("secrets.key");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    parse_key(text.trim())
        .with_context(|| format!("{} must hold 64 hexadecimal characters", path.display()))
}

fn parse_key(hex: &str) -> Option<Secret<[u8; 32]>> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(Secret::new(key))
}

fn ensure_secrets_key(data_dir: &Path) -> anyhow::Result<()> {
    let path = data_dir.join("secrets.key");
    if path.exists() {
        return Ok(());
    }
    let mut key = [0u8; 32];
    OsEntropy.fill(&mut key);
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, hex.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a new secrets key");
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}
