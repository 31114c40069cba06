//! Hub sessions (server-side, cookie holds a random id whose SHA-256 is the
//! key) and access-token authentication.

use crate::{Hub, ServiceError, ServiceResult};
use orgsso_core::entropy::sha256_hex;
use orgsso_core::{Denied, Timestamp, TokenScope, Viewer};
use orgsso_store::{NewSession, SessionRecord, User};

/// Who is making a request, as established by the web layer.
#[derive(Clone, Debug)]
pub struct Caller {
    pub viewer: Viewer,
    pub user: Option<User>,
    /// Present for cookie sessions; `None` for tokens and anonymous callers.
    pub session: Option<SessionRecord>,
}

impl Caller {
    pub fn anonymous() -> Self {
        Self {
            viewer: Viewer::Anonymous,
            user: None,
            session: None,
        }
    }

    /// The user behind a request that changes their own things: logged in,
    /// and not through a read-only token.
    pub fn writer(&self) -> Result<&User, Denied> {
        match (&self.user, self.viewer) {
            (None, _) => Err(Denied::LoginRequired),
            (
                Some(_),
                Viewer::User {
                    scope: Some(TokenScope::Read),
                    ..
                },
            ) => Err(Denied::TokenReadOnly),
            (Some(user), _) => Ok(user),
        }
    }

    /// The user behind a logged-in browser session, for what only such a session may
    /// do: mint tokens, add or change emails, change the password. An access token
    /// is refused, so a leaked one cannot outlive its own revocation by minting a
    /// successor or taking over the account's mail.
    pub fn browser(&self) -> ServiceResult<&User> {
        match (&self.user, &self.session) {
            (None, _) => Err(Denied::LoginRequired.into()),
            (Some(_), None) => Err(ServiceError::SessionRequired),
            (Some(user), Some(_)) => Ok(user),
        }
    }
}

/// The cookie to hand the browser after a login. `value` is shown once.
#[derive(Clone, Debug)]
pub struct NewSessionCookie {
    pub value: orgsso_core::Secret<String>,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

/// Access tokens carry this prefix so secret scanners can recognize them.
/// Never change it: issued tokens would stop being recognized.
pub const TOKEN_PREFIX: &str = "osso_";

impl Hub {
    pub(crate) async fn start_session(&self, user: &User) -> ServiceResult<NewSessionCookie> {
        let now = self.clock.now();
        let value = self.entropy.token();
        let csrf_token = self.entropy.token().expose().to_owned();
        let expires_at = now.plus_seconds(self.config.session_ttl_s);
        self.store
            .create_session(NewSession {
                id_hash: value.digest(),
                user: user.id,
                csrf_token: csrf_token.clone(),
                created_at: now,
                expires_at,
            })
            .await?;
        Ok(NewSessionCookie {
            value: orgsso_core::Secret::new(value.expose().to_owned()),
            csrf_token,
            expires_at,
        })
    }

    /// The caller behind a session cookie, if the session is live.
    pub async fn caller_from_session(&self, cookie_value: &str) -> ServiceResult<Option<Caller>> {
        if cookie_value.len() != 64 {
            return Ok(None);
        }
        let now = self.clock.now();
        let Some(session) = self.store.session(&sha256_hex(cookie_value), now).await? else {
            return Ok(None);
        };
        let Some(user) = self.store.user_by_id(session.user).await? else {
            return Ok(None);
        };
        Ok(Some(Caller {
            viewer: Viewer::user(user.id),
            user: Some(user),
            session: Some(session),
        }))
    }

    /// The caller behind `Authorization: Bearer osso_…`, if the token exists.
    pub async fn caller_from_token(&self, token: &str) -> ServiceResult<Option<Caller>> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
            return Ok(None);
        }
        let Some(record) = self.store.token_by_hash(&sha256_hex(token)).await? else {
            return Ok(None);
        };
        let Some(user) = self.store.user_by_id(record.user).await? else {
            return Ok(None);
        };
        // "Last used" is shown to the minute; writing it on every request would make reads cost a write.
        let now = self.clock.now();
        if record
            .last_used_at
            .is_none_or(|t| now.unix() - t.unix() >= 60)
        {
            match self.store.touch_token(record.id, now).await {
                Ok(()) => {}
                // Revoked between the lookup and now: the token no longer authenticates.
                Err(orgsso_store::StoreError::NotFound) => return Ok(None),
                Err(other) => return Err(other.into()),
            }
        }
        let scope: TokenScope = record.scope;
        Ok(Some(Caller {
            viewer: Viewer::User {
                id: user.id,
                scope: Some(scope),
            },
            user: Some(user),
            session: None,
        }))
    }

    pub async fn logout(&self, cookie_value: &str) -> ServiceResult<()> {
        self.store.delete_session(&sha256_hex(cookie_value)).await?;
        Ok(())
    }
}
