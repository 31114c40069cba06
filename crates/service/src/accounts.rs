//! Accounts: sign-up, log-in, emails and their verification, passwords.

use crate::{
    Caller, Entity, Hub, Mail, NewSessionCookie, Precondition, ServiceError, ServiceResult,
    MAX_EMAILS,
};
use orgsso_core::{DisplayName, Email, EmailId, Password, UserId, Username};
use orgsso_store::{EmailRecord, NewUser, StoreError, User};

#[derive(Clone, Debug)]
pub struct SignupRequest {
    pub username: Username,
    pub display_name: DisplayName,
    pub email: Email,
    pub password: Password,
}

#[derive(Debug)]
pub struct LoginOutcome {
    pub user: User,
    pub cookie: NewSessionCookie,
}

impl Hub {
    /// Creates the account and mails a verification link to its email.
    pub async fn signup(&self, request: SignupRequest) -> ServiceResult<User> {
        let hash = self.hash_password(request.password).await?;
        let display_name = if request.display_name.as_str().is_empty() {
            request.username.as_str().to_owned()
        } else {
            request.display_name.as_str().to_owned()
        };
        let (user, email) = self
            .store
            .create_user(NewUser {
                username: request.username,
                display_name,
                password_hash: hash,
                email: request.email,
                now: self.clock.now(),
            })
            .await?;
        // The account exists either way; over the address's budget, the user asks for
        // the link again later.
        match self.admit_mail(&user, &email.address) {
            Ok(()) => self.send_verification(&user, &email).await?,
            Err(_) => {
                tracing::warn!(user = %user.username, "verification mail not sent: too many mails to this address lately")
            }
        }
        tracing::info!(user = %user.username, "user signed up");
        Ok(user)
    }

    /// `login` is a username or an email address (any of the user's, verified or not).
    /// Refusals are logged with what was typed as the login (never the password);
    /// the request's span adds its id.
    pub async fn login(&self, login: &str, password: &str) -> ServiceResult<LoginOutcome> {
        if let Some(retry_after_s) = self.login_throttle.wait_for(login, self.clock.now()) {
            tracing::warn!(
                login = %loggable(login),
                reason = %LoginFailure::Throttled,
                retry_after_s,
                "login refused"
            );
            return Err(ServiceError::TooManyAttempts { retry_after_s });
        }
        let user = self.find_login(login).await?;
        let stored = match &user {
            Some(user) => self.store.password_hash(user.id).await?,
            None => None,
        };
        // Runs argon2 even for unknown users, so both answers take as long.
        let ok = self.verify_password(password, stored).await?;
        match user {
            Some(user) if ok => {
                self.login_throttle.succeeded(login);
                let cookie = self.start_session(&user).await?;
                tracing::info!(user = %user.username, "user logged in");
                Ok(LoginOutcome { user, cookie })
            }
            _ => {
                let reason = if user.is_some() {
                    LoginFailure::WrongPassword
                } else {
                    LoginFailure::UnknownLogin
                };
                tracing::info!(login = %loggable(login), %reason, "login failed");
                if self.login_throttle.failed(login, self.clock.now()) {
                    tracing::warn!(
                        login = %loggable(login),
                        failures = crate::login_throttle::MAX_FAILURES,
                        window_s = crate::login_throttle::WINDOW_S,
                        "login name locked out after repeated failures"
                    );
                }
                Err(ServiceError::BadCredentials)
            }
        }
    }

    async fn find_login(&self, login: &str) -> ServiceResult<Option<User>> {
        if login.contains('@') {
            let Ok(email) = Email::parse(login) else {
                return Ok(None);
            };
            return match self.store.email_by_address(&email).await? {
                Some(record) => Ok(self.store.user_by_id(record.user).await?),
                None => Ok(None),
            };
        }
        match Username::parse(login) {
            Ok(username) => Ok(self.store.user_by_username(&username).await?),
            Err(_) => Ok(None),
        }
    }

    pub async fn user(&self, username: &Username) -> ServiceResult<User> {
        self.store
            .user_by_username(username)
            .await?
            .ok_or(ServiceError::NotFound(Entity::User))
    }

    pub async fn emails(&self, user: UserId) -> ServiceResult<Vec<EmailRecord>> {
        Ok(self.store.emails_of(user).await?)
    }

    // Emails, like the password, are how the account is recovered and matched to IdP
    // assertions: only a browser session changes them (`Caller::browser`).
    pub async fn add_email(&self, caller: &Caller, address: Email) -> ServiceResult<EmailRecord> {
        let user = caller.browser()?;
        if self.store.emails_of(user.id).await?.len() >= MAX_EMAILS {
            return Err(Precondition::TooManyEmails.into());
        }
        // Refused before the address is added, so the user can simply try again later.
        self.admit_mail(user, &address)?;
        let email = self
            .store
            .add_email(user.id, &address, self.clock.now())
            .await?;
        self.send_verification(user, &email).await?;
        Ok(email)
    }

    pub async fn remove_email(&self, caller: &Caller, email: EmailId) -> ServiceResult<()> {
        let user = caller.browser()?;
        let record = self.own_email(user, email).await?;
        if record.primary {
            return Err(Precondition::PrimaryEmailKept.into());
        }
        Ok(self.store.remove_email(user.id, email).await?)
    }

    pub async fn set_primary_email(&self, caller: &Caller, email: EmailId) -> ServiceResult<()> {
        let user = caller.browser()?;
        let record = self.own_email(user, email).await?;
        if !record.is_verified() {
            return Err(Precondition::UnverifiedPrimary.into());
        }
        Ok(self.store.set_primary_email(user.id, email).await?)
    }

    pub async fn resend_verification(&self, caller: &Caller, email: EmailId) -> ServiceResult<()> {
        let user = caller.browser()?;
        let record = self.own_email(user, email).await?;
        if record.is_verified() {
            return Err(Precondition::AlreadyVerified.into());
        }
        self.admit_mail(user, &record.address)?;
        self.send_verification(user, &record).await
    }

    async fn own_email(&self, user: &User, email: EmailId) -> ServiceResult<EmailRecord> {
        self.store
            .emails_of(user.id)
            .await?
            .into_iter()
            .find(|e| e.id == email)
            .ok_or(ServiceError::NotFound(Entity::Email))
    }

    /// Consumes a verification link's token and marks its email verified.
    pub async fn verify_email(&self, token: &str) -> ServiceResult<()> {
        if token.len() != 64 {
            return Err(ServiceError::InvalidLink);
        }
        let now = self.clock.now();
        let hash = orgsso_core::entropy::sha256_hex(token);
        let email_id = self
            .store
            .take_email_verification(&hash, now)
            .await?
            .ok_or(ServiceError::InvalidLink)?;
        self.store
            .mark_email_verified(email_id, now)
            .await
            .map_err(|e| match e {
                StoreError::NotFound => ServiceError::InvalidLink,
                other => other.into(),
            })?;
        tracing::info!(email = %email_id, "email verified");
        Ok(())
    }

    /// Counts a mail from `user` to `to` against both budgets, or refuses it.
    fn admit_mail(&self, user: &User, to: &Email) -> ServiceResult<()> {
        self.mail_throttle
            .admit(user.id, to, self.clock.now())
            .map_err(|retry_after_s| ServiceError::TooManyMails { retry_after_s })
    }

    /// Mails a fresh link; callers have counted it with [`Self::admit_mail`].
    async fn send_verification(&self, user: &User, email: &EmailRecord) -> ServiceResult<()> {
        let now = self.clock.now();
        let token = self.entropy.token();
        let expires_at = now.plus_seconds(self.config.email_verification_ttl_s);
        self.store
            .create_email_verification(email.id, &token.digest(), expires_at)
            .await?;
        let link = format!(
            "{}/verify-email?token={}",
            self.config.base_url,
            token.expose()
        );
        let body = format!(
            "Hello {},\n\nconfirm that {} is your address by opening this link within 24 hours:\n\n{}\n\nIf you did not ask for this, ignore this message.\n",
            user.display_name, email.address, link
        );
        let mail = Mail {
            to: email.address.clone(),
            subject: "Verify your email address".into(),
            body,
        };
        if let Err(err) = self.mailer.send(mail, now).await {
            // The account exists; the user can ask for another link.
            tracing::warn!(error = %err, "verification mail not sent");
        }
        Ok(())
    }

    /// Changes the password from a browser session, which alone stays logged in.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: Password,
    ) -> ServiceResult<()> {
        let user = caller.browser()?;
        let keep_session = caller.session.as_ref().map(|s| s.id_hash.as_str());
        // Guessing the current password from a taken-over session counts against the same
        // budget as guessing it at the login form.
        let name = user.username.as_str();
        if let Some(retry_after_s) = self.login_throttle.wait_for(name, self.clock.now()) {
            tracing::warn!(user = %user.username, reason = %LoginFailure::Throttled, retry_after_s, "password change refused");
            return Err(ServiceError::TooManyAttempts { retry_after_s });
        }
        let stored = self.store.password_hash(user.id).await?;
        if !self.verify_password(current, stored).await? {
            tracing::info!(user = %user.username, "password change refused: wrong current password");
            self.login_throttle.failed(name, self.clock.now());
            return Err(ServiceError::WrongCurrentPassword);
        }
        self.login_throttle.succeeded(name);
        let hash = self.hash_password(new).await?;
        self.store.set_password_hash(user.id, &hash).await?;
        // Other browsers lose their session: a changed password should lock out whoever else had it.
        self.store
            .delete_sessions_of_user(user.id, keep_session)
            .await?;
        // Every organization's SSO session ends too, this browser's included:
        // the IdP vouched for the account as it was before the change.
        self.store.delete_sso_sessions_of_user(user.id).await?;
        Ok(())
    }

    /// An empty display name falls back to the username, as at sign-up.
    pub async fn set_display_name(
        &self,
        user: &User,
        display_name: DisplayName,
    ) -> ServiceResult<()> {
        let shown = if display_name.is_empty() {
            user.username.as_str()
        } else {
            display_name.as_str()
        };
        Ok(self.store.set_display_name(user.id, shown).await?)
    }
}

/// Why a login was refused, as the log says it.
#[derive(Clone, Copy, Debug)]
enum LoginFailure {
    UnknownLogin,
    WrongPassword,
    Throttled,
}

impl std::fmt::Display for LoginFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::UnknownLogin => "unknown",
            Self::WrongPassword => "wrong_password",
            Self::Throttled => "throttled",
        })
    }
}

/// Longest part of a typed login name that is logged.
const LOGGED_LOGIN_CHARS: usize = 100;

/// A typed login name fit for one log line: at most [`LOGGED_LOGIN_CHARS`]
/// characters, with control, invisible and bidirectional characters written as
/// escapes so they can neither forge a line nor hide in one.
fn loggable(login: &str) -> String {
    let mut out = String::new();
    for (i, c) in login.chars().enumerate() {
        if i == LOGGED_LOGIN_CHARS {
            out.push('…');
            break;
        }
        if orgsso_core::unicode::is_invisible(c) || c == '\\' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The canonical form of an address an IdP asserted, as [`Email::parse`] gives it;
/// one that is no valid address is only trimmed and lower-cased, and then matches
/// no stored email.
pub(crate) fn canonical_email(raw: &str) -> String {
    match Email::parse(raw) {
        Ok(email) => email.as_str().to_owned(),
        Err(_) => raw.trim().to_lowercase(),
    }
}

impl Hub {
    // argon2 runs on the bounded hashing pool, never on the async workers.
    async fn hash_password(&self, password: Password) -> ServiceResult<String> {
        self.passwords
            .hash(password, self.entropy.as_ref())
            .await
            .map_err(busy)?
            .ok_or(ServiceError::Hashing)
    }

    async fn verify_password(
        &self,
        candidate: &str,
        stored: Option<String>,
    ) -> ServiceResult<bool> {
        self.passwords.verify(candidate, stored).await.map_err(busy)
    }
}

fn busy(_: crate::password_hash::Busy) -> ServiceError {
    ServiceError::Busy {
        retry_after_s: crate::password_hash::BUSY_RETRY_AFTER_S,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_login_names_are_escaped_and_bounded() {
        for (typed, logged) in [
            ("alice", "alice".to_owned()),
            ("Alice@Example.com", "Alice@Example.com".to_owned()),
            (
                "bob\nlevel=ERROR forged",
                "bob\\nlevel=ERROR forged".to_owned(),
            ),
            ("e\u{202e}vil", "e\\u{202e}vil".to_owned()),
            ("a\\b", "a\\\\b".to_owned()),
            (&"x".repeat(150), format!("{}…", "x".repeat(100))),
        ] {
            assert_eq!(loggable(typed), logged, "{typed:?}");
        }
    }

    #[test]
    fn asserted_emails_are_compared_in_canonical_form() {
        for (asserted, canonical) in [
            ("Üser@Exämple.com", "üser@xn--exmple-cua.com"),
            (" alice@EXAMPLE.com ", "alice@example.com"),
            ("not an address", "not an address"),
        ] {
            assert_eq!(canonical_email(asserted), canonical, "{asserted:?}");
        }
    }
}
