//! OpenID Connect relying party for organization SSO: discovers an organization's IdP, builds
//! the authorization code request (PKCE S256, `state`, `nonce`), and completes the login by
//! exchanging the code and validating the ID token into a [`VerifiedLogin`] or a precise
//! [`Rejection`]. Knows no routing or storage: the caller keeps the pending request (state,
//! nonce, verifier) with the browser session, reads the clock and passes `now`.

mod authorize;
mod client;
mod complete;
mod discovery;
mod keys;
mod network;
mod rejection;
mod settings;
mod verify;

pub use authorize::{
    authorization_request, check_callback_issuer, check_state, AuthorizationRequest,
};
pub use complete::{complete, complete_reading_userinfo, Callback, VerifiedLogin};
pub use discovery::{
    discover, fetch_document, http_client, ClientAuth, DiscoveryError, HttpClient, Provider,
    JWKS_DEFAULT_LIFETIME_S, JWKS_MAX_LIFETIME_S, JWKS_MAX_STALE_S, JWKS_MIN_LIFETIME_S,
    JWKS_REFETCH_INTERVAL_S,
};
pub use network::IdpNetworks;
pub use rejection::{callback_error, Rejection};
pub use settings::{EmailClaim, InvalidRedirectUri, ProviderSettings, RedirectUri};
pub use verify::{verify_token_response, VerifiedIdToken};

/// Clock skew tolerated on `exp`, `iat` and `nbf`, matching the SAML verifier's default.
pub const DEFAULT_MAX_SKEW_S: u32 = 180;
