//! The openidconnect client for one organization's IdP, built per request from the discovered
//! [`Provider`] (which owns the cached keys) and the admin's [`ProviderSettings`].

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreErrorResponseType, CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenResponse,
};
use openidconnect::{
    AuthType, Client, ClientId, ClientSecret, EmptyAdditionalClaims, EndpointNotSet, EndpointSet,
    StandardErrorResponse,
};

use crate::keys::RingJwk;

use crate::discovery::ClientAuth;
use crate::{Provider, ProviderSettings, RedirectUri};

/// openidconnect's `CoreClient` with ring-verified keys.
type BaseClient<
    HasAuthUrl = EndpointNotSet,
    HasTokenUrl = EndpointNotSet,
    HasUserInfoUrl = EndpointNotSet,
> = Client<
    EmptyAdditionalClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    RingJwk,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    CoreTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    HasAuthUrl,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    HasTokenUrl,
    HasUserInfoUrl,
>;

pub(crate) type OidcClient = BaseClient<EndpointSet, EndpointSet>;

pub(crate) fn client(
    provider: &Provider,
    settings: &ProviderSettings,
    redirect_uri: &RedirectUri,
) -> OidcClient {
    let metadata = provider.metadata();
    BaseClient::new(
        ClientId::new(settings.client_id.clone()),
        metadata.issuer().clone(),
        (*provider.keys()).clone(),
    )
    .set_client_secret(ClientSecret::new(settings.client_secret.expose().clone()))
    .set_auth_uri(metadata.authorization_endpoint().clone())
    .set_token_uri(provider.token_url().clone())
    .set_redirect_uri(redirect_uri.inner().clone())
    .set_auth_type(match provider.client_auth() {
        ClientAuth::SecretBasic => AuthType::BasicAuth,
        ClientAuth::SecretPost => AuthType::RequestBody,
    })
}
