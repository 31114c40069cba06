//! Access tokens: created with a scope, shown once, stored as SHA-256.

use crate::sessions::TOKEN_PREFIX;
use crate::{Caller, Entity, Hub, Precondition, ServiceError, ServiceResult, MAX_TOKENS};
use orgsso_core::{FieldError, Secret, TokenId, TokenScope};
use orgsso_store::{AccessToken, NewToken, User};

#[derive(Debug)]
pub struct CreatedToken {
    pub token: AccessToken,
    /// The only time the token is available in clear.
    pub secret: Secret<String>,
}

impl Hub {
    /// Only a browser session mints tokens: a token that could mint its successor
    /// would survive its own revocation.
    pub async fn create_token(
        &self,
        caller: &Caller,
        name: &str,
        scope: TokenScope,
    ) -> ServiceResult<CreatedToken> {
        let user = caller.browser()?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(FieldError::new("name", "must be 1 to 64 printable characters").into());
        }
        if self.store.tokens_of(user.id).await?.len() >= MAX_TOKENS {
            return Err(Precondition::TooManyTokens.into());
        }
        let secret = format!("{TOKEN_PREFIX}{}", self.entropy.token().expose());
        let token = self
            .store
            .create_token(NewToken {
                user: user.id,
                name: name.to_owned(),
                scope,
                token_hash: orgsso_core::entropy::sha256_hex(&secret),
                now: self.clock.now(),
            })
            .await?;
        tracing::info!(user = %user.username, token = %token.id, "access token created");
        Ok(CreatedToken {
            token,
            secret: Secret::new(secret),
        })
    }

    pub async fn tokens(&self, user: &User) -> ServiceResult<Vec<AccessToken>> {
        Ok(self.store.tokens_of(user.id).await?)
    }

    pub async fn revoke_token(&self, user: &User, token: TokenId) -> ServiceResult<()> {
        self.store
            .revoke_token(user.id, token)
            .await
            .map_err(|e| match e {
                orgsso_store::StoreError::NotFound => ServiceError::NotFound(Entity::Token),
                other => other.into(),
            })
    }
}
