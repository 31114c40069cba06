//! Server configuration: flags with environment fallbacks and defaults that
//! work on a fresh machine.

use orgsso_service::{HashingLimits, IdpNetworks};
use std::path::PathBuf;
use std::time::Duration;

/// How log lines are written: `text` for people, `json` (one object a line,
/// with the request span's fields) for log collectors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "ORGSSO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Public URL of the hub, used in links and IdP callback URLs.
    #[arg(long, env = "ORGSSO_BASE_URL", default_value = "http://127.0.0.1:8080")]
    pub base_url: String,
    /// Holds the SQLite database (by default), the secrets key and other local state.
    #[arg(long, env = "ORGSSO_DATA_DIR", default_value = "./orgsso-data")]
    pub data_dir: PathBuf,
    /// `sqlite:///path/orgsso.db` or `postgres://user@host/db`; defaults to SQLite in the data directory.
    #[arg(long, env = "ORGSSO_DATABASE_URL")]
    pub database_url: Option<String>,
    /// SMTP server for outgoing mail (`smtp://user:pass@host:587?tls=required`); without it, mail goes to the outbox.
    #[arg(long, env = "ORGSSO_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// Key sealing secrets at rest (64 hex characters); defaults to `secrets.key` in the data directory.
    /// Instances sharing one database must share it.
    #[arg(long, env = "ORGSSO_SECRETS_KEY", value_parser = parse_secret, hide_env_values = true)]
    pub secrets_key: Option<orgsso_core::Secret<String>>,
    /// Sender address of outgoing mail.
    #[arg(
        long,
        env = "ORGSSO_MAIL_FROM",
        default_value = "orgsso <noreply@localhost>"
    )]
    pub mail_from: String,
    /// Refuse OIDC identity providers on loopback and private networks, so that organization
    /// admins cannot make the server reach the operator's own network. Link-local addresses
    /// (cloud metadata services) are refused in any case.
    #[arg(long, env = "ORGSSO_SSO_BLOCK_PRIVATE_NETWORKS")]
    pub sso_block_private_networks: bool,
    /// Password hashes computed at once (each holds 19 MiB); defaults to the number of cores.
    #[arg(long, env = "ORGSSO_PASSWORD_HASH_WORKERS", value_parser = clap::value_parser!(u16).range(1..))]
    pub password_hash_workers: Option<u16>,
    /// Password hashes waiting for a worker; beyond it, logins, sign-ups and password
    /// changes are answered 503 with `Retry-After`.
    #[arg(long, env = "ORGSSO_PASSWORD_HASH_QUEUE", default_value_t = orgsso_service::DEFAULT_HASH_QUEUE as u16)]
    pub password_hash_queue: u16,
    /// Time a client has to send a request's headers, from connecting or from the end of
    /// the previous response (so also how long an idle keep-alive connection stays open).
    #[arg(long, env = "ORGSSO_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,
    /// Time a client has to send a request's body, from the end of its headers; then 408.
    #[arg(long, env = "ORGSSO_REQUEST_BODY_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_body_timeout: Duration,
    /// A connection on which nothing is read or written for this long is asked to close,
    /// and cut after as long again (a client that stopped reading its response).
    #[arg(long, env = "ORGSSO_IDLE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// Connections served at once; further clients wait in the listen backlog.
    /// Keep it below the process's open-file limit.
    #[arg(long, env = "ORGSSO_MAX_CONNECTIONS", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// On SIGTERM, in-flight requests get this long to finish; then they are cut.
    #[arg(long, env = "ORGSSO_SHUTDOWN_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub shutdown_timeout: Duration,
}

/// `250ms`, `10s`, `2m`, or a bare number of seconds.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{raw}` is not a duration such as 250ms, 10s or 2m"))?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" => number * 60.0,
        other => return Err(format!("unknown unit `{other}`: use ms, s or m")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("`{raw}`: {e}"))
}

fn parse_secret(raw: &str) -> Result<orgsso_core::Secret<String>, String> {
    Ok(orgsso_core::Secret::new(raw.to_owned()))
}

impl Config {
    pub fn idp_networks(&self) -> IdpNetworks {
        if self.sso_block_private_networks {
            IdpNetworks::PublicOnly
        } else {
            IdpNetworks::PublicAndPrivate
        }
    }

    pub fn password_hashing(&self) -> HashingLimits {
        let default = HashingLimits::default();
        HashingLimits {
            workers: self
                .password_hash_workers
                .map_or(default.workers, usize::from),
            queue: usize::from(self.password_hash_queue),
        }
    }

    pub fn effective_database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("orgsso.db").display()))
    }

    /// The SMTP URL with any password replaced, for logs.
    pub fn redacted_smtp_url(&self) -> String {
        self.smtp_url
            .as_deref()
            .map(redact_url_password)
            .unwrap_or_else(|| "none (mail goes to the outbox)".into())
    }

    /// The database URL with any password replaced, for logs.
    pub fn redacted_database_url(&self) -> String {
        redact_url_password(&self.effective_database_url())
    }
}

pub fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest
        .split_once('/')
        .map(|(a, p)| (a, format!("/{p}")))
        .unwrap_or((rest, String::new()));
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo
                .split_once(':')
                .map(|(u, _)| format!("{u}:***"))
                .unwrap_or_else(|| userinfo.to_owned());
            format!("{scheme}://{user}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    #[test]
    fn private_networks_stay_open_to_idps_unless_the_operator_blocks_them() {
        use clap::Parser;
        let default = Cli::try_parse_from(["orgsso"]).unwrap().config;
        assert_eq!(default.idp_networks(), IdpNetworks::PublicAndPrivate);
        let blocked = Cli::try_parse_from(["orgsso", "--sso-block-private-networks"])
            .unwrap()
            .config;
        assert_eq!(blocked.idp_networks(), IdpNetworks::PublicOnly);
    }

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn limits_default_to_safe_values() {
        use clap::Parser;
        let config = Cli::try_parse_from(["orgsso"]).unwrap().config;
        assert_eq!(config.shutdown_timeout, Duration::from_secs(30));
        assert_eq!(config.header_read_timeout, Duration::from_secs(10));
        assert_eq!(config.max_connections, 512);
        assert!(config.password_hashing().workers >= 1);
        let config = Cli::try_parse_from([
            "orgsso",
            "--password-hash-workers",
            "2",
            "--shutdown-timeout",
            "500ms",
        ])
        .unwrap()
        .config;
        assert_eq!(config.password_hashing().workers, 2);
        assert_eq!(config.shutdown_timeout, Duration::from_millis(500));
        assert!(Cli::try_parse_from(["orgsso", "--max-connections", "0"]).is_err());
    }

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        assert_eq!(
            redact_url_password("postgres://app:s3cret@db:5432/orgsso"),
            "postgres://app:***@db:5432/orgsso"
        );
        assert_eq!(
            redact_url_password("postgres://app@db/orgsso"),
            "postgres://app@db/orgsso"
        );
        assert_eq!(
            redact_url_password("sqlite:///var/lib/orgsso/orgsso.db"),
            "sqlite:///var/lib/orgsso/orgsso.db"
        );
    }
}
