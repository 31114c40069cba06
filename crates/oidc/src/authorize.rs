//! Starting a login: the authorization request URL with PKCE (S256), `state` and `nonce`.
//! The caller stores state, nonce and verifier with the browser's session and uses them once.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{CoreAuthPrompt, CoreAuthenticationFlow};
use openidconnect::{CsrfToken, Nonce, PkceCodeChallenge, PkceCodeVerifier, Scope};
use orgsso_core::{Entropy, Secret};
use subtle::ConstantTimeEq;

use crate::client::client;
use crate::{Provider, ProviderSettings, RedirectUri, Rejection};

/// Where to send the browser, and what to remember until the callback.
#[derive(Debug)]
pub struct AuthorizationRequest {
    pub url: String,
    /// Sent in the URL; matched against the callback's `state` with [`check_state`].
    pub state: String,
    /// Sent in the URL; the ID token must carry it back.
    pub nonce: String,
    /// Never leaves the hub until the token exchange.
    pub pkce_verifier: Secret<String>,
}

/// 256 bits, base64url: the form used for state, nonce and the PKCE verifier (43 characters,
/// within RFC 7636's 43–128).
fn random_value(entropy: &dyn Entropy) -> String {
    let mut bytes = [0u8; 32];
    entropy.fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Builds the authorization code request for this organization's IdP.
pub fn authorization_request(
    provider: &Provider,
    settings: &ProviderSettings,
    redirect_uri: &RedirectUri,
    entropy: &dyn Entropy,
) -> AuthorizationRequest {
    let state = random_value(entropy);
    let nonce = random_value(entropy);
    let verifier = PkceCodeVerifier::new(random_value(entropy));
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    let client = client(provider, settings, redirect_uri);
    let state_for_url = state.clone();
    let nonce_for_url = nonce.clone();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state_for_url),
            move || Nonce::new(nonce_for_url),
        )
        .set_pkce_challenge(challenge);
    if let Some(max_age) = settings.max_age_s {
        request = request.set_max_age(std::time::Duration::from_secs(u64::from(max_age)));
    }
    if settings.prompt_login {
        request = request.add_prompt(CoreAuthPrompt::Login);
    }
    for scope in &settings.scopes {
        // `openid` is always added by the client; duplicates would only lengthen the URL.
        let scope = scope.trim();
        if !scope.is_empty() && scope != "openid" {
            request = request.add_scope(Scope::new(scope.to_owned()));
        }
    }
    let (url, _, _) = request.url();
    AuthorizationRequest {
        url: url.to_string(),
        state,
        nonce,
        pkce_verifier: Secret::new(verifier.secret().clone()),
    }
}

/// Compares the callback's `state` with the one stored for this browser, in constant time.
pub fn check_state(expected: &str, received: &str) -> Result<(), Rejection> {
    let same = expected.len() == received.len()
        && bool::from(expected.as_bytes().ct_eq(received.as_bytes()));
    if same && !expected.is_empty() {
        Ok(())
    } else {
        Err(Rejection::StateMismatch)
    }
}

/// Checks the callback's `iss` parameter (RFC 9207) against the provider, so a code issued
/// by another IdP the browser also talks to cannot be replayed here. Required when the
/// provider advertises it; checked whenever present.
pub fn check_callback_issuer(provider: &Provider, iss: Option<&str>) -> Result<(), Rejection> {
    match iss {
        Some(found) if found != provider.issuer() => Err(Rejection::CallbackIssuerMismatch {
            expected: provider.issuer().to_owned(),
            found: crate::rejection::truncate(found, 200),
        }),
        None if provider.sends_callback_issuer() => Err(Rejection::CallbackIssuerMismatch {
            expected: provider.issuer().to_owned(),
            found: "(none)".to_owned(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orgsso_core::{OsEntropy, Timestamp};

    fn provider() -> Provider {
        let doc = br#"{"issuer":"https://idp.example","authorization_endpoint":"https://idp.example/auth?tenant=1",
            "token_endpoint":"https://idp.example/token","jwks_uri":"https://idp.example/jwks",
            "response_types_supported":["code"],"subject_types_supported":["public"],
            "id_token_signing_alg_values_supported":["RS256"]}"#;
        let jwks = br#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1",
            "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;
        Provider::from_documents("https://idp.example", doc, jwks, Timestamp::from_unix(0)).unwrap()
    }

    fn settings() -> ProviderSettings {
        ProviderSettings {
            issuer_url: "https://idp.example".into(),
            client_id: "hub client".into(),
            client_secret: Secret::new("secret".into()),
            scopes: vec!["openid".into(), "email".into(), "groups".into()],
            email_claim: Default::default(),
            max_age_s: None,
            prompt_login: false,
        }
    }

    fn query(url: &str) -> Vec<(String, String)> {
        openidconnect::url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    #[test]
    fn request_uses_code_flow_with_s256_pkce_state_and_nonce() {
        let redirect =
            RedirectUri::parse("https://hub.example/organizations/acme/oidc/callback").unwrap();
        let req = authorization_request(&provider(), &settings(), &redirect, &OsEntropy);
        assert!(
            req.url.starts_with("https://idp.example/auth?tenant=1&"),
            "{}",
            req.url
        );
        let q = query(&req.url);
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("response_type"), Some("code"));
        assert_eq!(get("client_id"), Some("hub client"));
        assert_eq!(get("redirect_uri"), Some(redirect.as_str()));
        assert_eq!(get("scope"), Some("openid email groups"));
        assert_eq!(get("code_challenge_method"), Some("S256"));
        assert_eq!(get("state"), Some(req.state.as_str()));
        assert_eq!(get("nonce"), Some(req.nonce.as_str()));
        let expected_challenge = PkceCodeChallenge::from_code_verifier_sha256(
            &PkceCodeVerifier::new(req.pkce_verifier.expose().clone()),
        );
        assert_eq!(get("code_challenge"), Some(expected_challenge.as_str()));
        assert!(!req.url.contains(req.pkce_verifier.expose().as_str()));
    }

    #[test]
    fn max_age_and_prompt_login_are_sent_when_configured() {
        let redirect = RedirectUri::parse("https://hub.example/cb").unwrap();
        let plain = authorization_request(&provider(), &settings(), &redirect, &OsEntropy);
        let q = query(&plain.url);
        assert!(
            !q.iter().any(|(k, _)| k == "max_age" || k == "prompt"),
            "{q:?}"
        );
        let strict = ProviderSettings {
            max_age_s: Some(900),
            prompt_login: true,
            ..settings()
        };
        let req = authorization_request(&provider(), &strict, &redirect, &OsEntropy);
        let q = query(&req.url);
        let get = |k: &str| q.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("max_age"), Some("900"));
        assert_eq!(get("prompt"), Some("login"));
    }

    #[test]
    fn state_nonce_and_verifier_are_256_bit_and_distinct() {
        let redirect = RedirectUri::parse("https://hub.example/cb").unwrap();
        let a = authorization_request(&provider(), &settings(), &redirect, &OsEntropy);
        let b = authorization_request(&provider(), &settings(), &redirect, &OsEntropy);
        for value in [&a.state, &a.nonce, a.pkce_verifier.expose()] {
            assert_eq!(URL_SAFE_NO_PAD.decode(value).unwrap().len(), 32);
        }
        assert_ne!(a.state, a.nonce);
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, b.nonce);
    }

    #[test]
    fn callback_issuer_must_match_when_present() {
        let p = provider();
        assert!(check_callback_issuer(&p, Some("https://idp.example")).is_ok());
        assert!(
            check_callback_issuer(&p, None).is_ok(),
            "not advertised, so optional"
        );
        assert_eq!(
            check_callback_issuer(&p, Some("https://other.example"))
                .unwrap_err()
                .code(),
            "oidc.callback_issuer_mismatch"
        );
    }

    #[test]
    fn state_check_requires_an_exact_match() {
        assert!(check_state("abc", "abc").is_ok());
        assert_eq!(check_state("abc", "abd"), Err(Rejection::StateMismatch));
        assert_eq!(check_state("abc", "ab"), Err(Rejection::StateMismatch));
        assert_eq!(check_state("", ""), Err(Rejection::StateMismatch));
    }
}
