//! Outgoing mail: SMTP when configured; otherwise the outbox table, which
//! the operator reads with `orgsso outbox` (and which is logged).

use async_trait::async_trait;
use orgsso_core::{Email, Timestamp};
use orgsso_store::{NewMail, Store};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Email,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, thiserror::Error)]
#[error("sending mail failed: {0}")]
pub struct MailError(pub String);

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: Mail, now: Timestamp) -> Result<(), MailError>;
}

pub struct OutboxMailer {
    store: Arc<dyn Store>,
}

impl OutboxMailer {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl Mailer for OutboxMailer {
    async fn send(&self, mail: Mail, now: Timestamp) -> Result<(), MailError> {
        // Without SMTP the operator relays links by hand, so the body is logged too.
        tracing::info!(to = %mail.to, subject = %mail.subject, body = %mail.body, "mail written to the outbox (no SMTP configured)");
        self.store
            .push_mail(NewMail {
                to: mail.to,
                subject: mail.subject,
                body: mail.body,
                now,
            })
            .await
            .map(|_| ())
            .map_err(|e| MailError(e.to_string()))
    }
}

/// Sends through an SMTP server named by a URL: `smtp://host:25` (plain, or
/// STARTTLS when offered), `smtp://user:pass@host:587?tls=required`, or
/// `smtps://host:465`.
pub struct SmtpMailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> Result<Self, MailError> {
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(url)
            .map_err(|e| MailError(format!("the SMTP URL is not valid: {e}")))?
            .build();
        let from = from
            .parse()
            .map_err(|e| MailError(format!("the sender address is not valid: {e}")))?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: Mail, _now: Timestamp) -> Result<(), MailError> {
        use lettre::AsyncTransport as _;
        let to = mail
            .to
            .as_str()
            .parse()
            .map_err(|e| MailError(format!("recipient: {e}")))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| MailError(e.to_string()))?;
        self.transport
            .send(message)
            .await
            .map_err(|e| MailError(e.to_string()))?;
        tracing::info!(to = %mail.to, "mail sent by SMTP");
        Ok(())
    }
}
