//! `orgsso`: the server and the operator's command line.

use anyhow::Context;
use clap::{Parser, Subcommand};
use orgsso::config::LogFormat;
use orgsso::{App, Config};
use orgsso_core::{DisplayName, Email, OrgName, Password, Username};
use orgsso_service::SignupRequest;
use std::process::ExitCode;

mod saml_verify;

#[derive(Parser)]
#[command(
    name = "orgsso",
    version,
    about = "Organizations with mandatory single sign-on"
)]
struct Cli {
    /// Log format: `text` for people, `json` for log collectors.
    #[arg(
        long,
        env = "ORGSSO_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (migrations run first).
    Serve(Config),
    /// Run the database migrations and exit.
    Migrate(Config),
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Read mail written to the local outbox (when no SMTP server is configured).
    Outbox {
        #[command(flatten)]
        config: Config,
        /// How many of the newest messages to show.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// SAML diagnostics.
    #[command(subcommand)]
    Saml(SamlCommand),
    /// Organization SSO, for operators.
    #[command(subcommand)]
    Sso(SsoCommand),
}

#[derive(Subcommand)]
enum SsoCommand {
    /// Break-glass: turn an organization's SSO off and end its SSO sessions
    /// (recorded in its audit log with the reason).
    Disable {
        #[command(flatten)]
        config: Config,
        /// The organization's name.
        #[arg(long)]
        org: String,
        /// Why, for the organization's audit log.
        #[arg(long)]
        reason: String,
    },
    /// Show an organization's SSO mode, domains, timeout and live sessions.
    Status {
        #[command(flatten)]
        config: Config,
        #[arg(long)]
        org: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// List all users.
    List(Config),
    /// Create a user; the password is read from ORGSSO_NEW_PASSWORD or standard input.
    Create {
        #[command(flatten)]
        config: Config,
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Mark the email verified right away instead of mailing a link.
        #[arg(long)]
        verified: bool,
    },
    /// Mark an email address verified.
    VerifyEmail {
        #[command(flatten)]
        config: Config,
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// List all organizations.
    List(Config),
    /// Create an organization with an existing user as its admin.
    Create {
        #[command(flatten)]
        config: Config,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin: String,
    },
    /// List the members of an organization.
    Members {
        #[command(flatten)]
        config: Config,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum SamlCommand {
    /// Validate one SAML Response offline, exactly as the ACS endpoint would.
    Verify(saml_verify::SamlVerifyArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if let Command::Saml(SamlCommand::Verify(args)) = cli.command {
        return saml_verify::run(args);
    }
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: starting the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ORGSSO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(config) => serve(config).await,
        Command::Migrate(config) => {
            orgsso::migrate(&config.effective_database_url()).await?;
            println!("migrations applied to {}", config.redacted_database_url());
            Ok(())
        }
        Command::User(cmd) => user_command(cmd).await,
        Command::Org(cmd) => org_command(cmd).await,
        Command::Outbox { config, limit } => {
            let app = App::build(config).await?;
            for mail in app.hub.operator_outbox(limit).await? {
                println!(
                    "--- #{} {} to {}\nSubject: {}\n\n{}",
                    mail.id, mail.created_at, mail.to, mail.subject, mail.body
                );
            }
            Ok(())
        }
        Command::Saml(_) => Ok(()),
        Command::Sso(cmd) => sso_command(cmd).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    tracing::info!(
        listen = %config.listen,
        base_url = %config.base_url,
        data_dir = %config.data_dir.display(),
        database_url = %config.redacted_database_url(),
        smtp_url = %config.redacted_smtp_url(),
        idp_networks = ?config.idp_networks(),
        "starting orgsso"
    );
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let app = App::build(config).await?;
    tracing::info!(backend = app.hub.backend(), address = %listener.local_addr()?, "ready");
    app.serve(listener, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown requested; finishing in-flight requests");
}

fn read_new_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("ORGSSO_NEW_PASSWORD") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

async fn user_command(cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::List(config) => {
            let app = App::build(config).await?;
            for (user, emails) in app.hub.operator_users().await? {
                let emails: Vec<String> = emails
                    .iter()
                    .map(|e| {
                        format!(
                            "{}{}",
                            e.address,
                            if e.is_verified() { "" } else { " (unverified)" }
                        )
                    })
                    .collect();
                println!(
                    "{}\t{}\t{}",
                    user.username,
                    user.display_name,
                    emails.join(", ")
                );
            }
            Ok(())
        }
        UserCommand::Create {
            config,
            username,
            email,
            verified,
        } => {
            let app = App::build(config).await?;
            let request = SignupRequest {
                username: Username::parse(&username)?,
                display_name: DisplayName::parse("display_name", "")?,
                email: Email::parse(&email)?,
                password: Password::parse(&read_new_password()?)?,
            };
            let user = app.hub.operator_create_user(request, verified).await?;
            println!("created user {}", user.username);
            Ok(())
        }
        UserCommand::VerifyEmail { config, email } => {
            let app = App::build(config).await?;
            if !app
                .hub
                .operator_verify_email(&Email::parse(&email)?)
                .await?
            {
                anyhow::bail!("no account has this email");
            }
            println!("{email} is verified");
            Ok(())
        }
    }
}

async fn org_command(cmd: OrgCommand) -> anyhow::Result<()> {
    match cmd {
        OrgCommand::List(config) => {
            let app = App::build(config).await?;
            for org in app.hub.operator_orgs().await? {
                println!(
                    "{}\t{}\tdefault role {}",
                    org.name, org.display_name, org.default_role
                );
            }
            Ok(())
        }
        OrgCommand::Create {
            config,
            name,
            admin,
        } => {
            let app = App::build(config).await?;
            let admin = Username::parse(&admin)?;
            let (org, admin) = app
                .hub
                .operator_create_org(OrgName::parse(&name)?, &name, &admin)
                .await?
                .context("no such user")?;
            println!(
                "created organization {} with admin {}",
                org.name, admin.username
            );
            Ok(())
        }
        OrgCommand::Members { config, name } => {
            let app = App::build(config).await?;
            let members = app
                .hub
                .operator_members(&OrgName::parse(&name)?)
                .await?
                .context("no such organization")?;
            for m in members {
                println!("{}\t{}", m.username, m.role);
            }
            Ok(())
        }
    }
}

async fn sso_command(cmd: SsoCommand) -> anyhow::Result<()> {
    match cmd {
        SsoCommand::Disable {
            config,
            org,
            reason,
        } => {
            let app = App::build(config).await?;
            let (org, ended) = app
                .hub
                .operator_disable_sso(&OrgName::parse(&org)?, &reason)
                .await?;
            match ended {
                Some(ended) => println!("SSO of {org} is disabled and {ended} SSO session(s) ended; members sign in with their hub account only until an admin enables it again"),
                None => println!("SSO of {org} was already off; nothing changed"),
            }
            Ok(())
        }
        SsoCommand::Status { config, org } => {
            let app = App::build(config).await?;
            let status = app.hub.operator_sso_status(&OrgName::parse(&org)?).await?;
            let state = &status.state;
            let active = state
                .active_config
                .map(|c| format!(" with configuration #{c}"))
                .unwrap_or_default();
            let on_off = |on: bool| if on { "on" } else { "off" };
            println!("organization: {}", status.org.name);
            println!("mode: {}{active}", state.mode);
            let domains: Vec<String> = status
                .domains
                .iter()
                .map(|d| format!("{} ({} verified account(s))", d.domain, d.verified_accounts))
                .collect();
            println!(
                "domains: {}",
                if domains.is_empty() {
                    "none".to_owned()
                } else {
                    domains.join(", ")
                }
            );
            println!("session timeout: {}s", state.session_ttl_s);
            println!("live SSO sessions: {}", status.live_sessions);
            println!("IdP-initiated login: {}", on_off(state.allow_idp_initiated));
            println!("just-in-time membership: {}", on_off(state.jit_membership));
            Ok(())
        }
    }
}
