//! Server configuration: flags with environment fallbacks and defaults that
//! work on a fresh machine.

use orgsso_service::IdpNetworks;
use std::path::PathBuf;

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
