//! Finishing a login: exchanges the code (with the PKCE verifier), validates the ID token
//! with the provider's current keys (refreshed when their cache lifetime is over, refetched
//! on an unknown key within the rate limit), reads userinfo when the ID token lacks the
//! email claim (or always, for role mapping), and checks the email.

use openidconnect::core::{CoreGenderClaim, CoreTokenResponse};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, HttpClientError, PkceCodeVerifier, RequestTokenError,
    UserInfoClaims, UserInfoError,
};
use orgsso_core::{Email, Secret, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::client::client;
use crate::discovery::{network_failure, operator_log, parse_failure, HttpClient, Refetch};
use crate::rejection::truncate;
use crate::verify::{missing_required_claim, verify_id_token, VerifiedIdToken};
use crate::{EmailClaim, Provider, ProviderSettings, RedirectUri, Rejection};

/// What the callback brought and what was stored when the login started.
pub struct Callback<'a> {
    pub redirect_uri: &'a RedirectUri,
    pub code: &'a str,
    pub pkce_verifier: &'a Secret<String>,
    pub nonce: &'a str,
}

impl std::fmt::Debug for Callback<'_> {
    // The code is a one-time credential until redeemed; keep it out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("redirect_uri", &self.redirect_uri.as_str())
            .finish_non_exhaustive()
    }
}

/// A login the IdP vouched for. `email` is the address matched against the hub account.
#[derive(Clone, Debug, PartialEq)]
pub struct VerifiedLogin {
    pub subject: String,
    pub email: Email,
    /// The IdP's `email_verified`, when it sent one for the `email` claim; `false` never
    /// gets here. Always `None` when another claim carries the address.
    pub email_verified: Option<bool>,
    /// Every ID token claim, plus userinfo claims the ID token did not carry: for the
    /// admin's test page and role mapping.
    pub claims: Value,
}

/// Completes the authorization code flow. `now` drives the `exp`/`iat` checks and the JWKS
/// refetch rate limit.
pub async fn complete(
    http: &HttpClient,
    provider: &Provider,
    settings: &ProviderSettings,
    callback: Callback<'_>,
    now: Timestamp,
    max_skew_s: u32,
) -> Result<VerifiedLogin, Rejection> {
    finish(http, provider, settings, callback, now, max_skew_s, false).await
}

/// [`complete`]; with `always_userinfo`, reads userinfo whenever the IdP offers it (not
/// only when the ID token lacks the email claim): for role mapping, whose claims
/// (`groups`) some IdPs send only there. A failing userinfo endpoint then refuses the login.
pub async fn complete_reading_userinfo(
    http: &HttpClient,
    provider: &Provider,
    settings: &ProviderSettings,
    callback: Callback<'_>,
    now: Timestamp,
    max_skew_s: u32,
    always_userinfo: bool,
) -> Result<VerifiedLogin, Rejection> {
    finish(
        http,
        provider,
        settings,
        callback,
        now,
        max_skew_s,
        always_userinfo,
    )
    .await
}

async fn finish(
    http: &HttpClient,
    provider: &Provider,
    settings: &ProviderSettings,
    callback: Callback<'_>,
    now: Timestamp,
    max_skew_s: u32,
    always_userinfo: bool,
) -> Result<VerifiedLogin, Rejection> {
    let response = exchange(http, provider, settings, &callback).await?;
    let verified = verify_with_refetch(
        http,
        provider,
        settings,
        &response,
        callback.nonce,
        now,
        max_skew_s,
    )
    .await?;
    let mut claims = verified.claims.clone();
    let claim = settings.email_claim.as_str();
    if always_userinfo || !claims.contains_key(claim) {
        if let Some(userinfo) =
            userinfo(http, provider, settings, callback.redirect_uri, &verified).await?
        {
            // The signed ID token wins where both carry a claim.
            for (name, value) in userinfo {
                claims.entry(name).or_insert(value);
            }
        }
    }
    let (email, email_verified) = email_of(&claims, settings.email_claim)?;
    Ok(VerifiedLogin {
        subject: verified.subject,
        email,
        email_verified,
        claims: Value::Object(claims),
    })
}

async fn exchange(
    http: &HttpClient,
    provider: &Provider,
    settings: &ProviderSettings,
    callback: &Callback<'_>,
) -> Result<CoreTokenResponse, Rejection> {
    let client = client(provider, settings, callback.redirect_uri);
    let url = provider.token_url().as_str();
    client
        .exchange_code(AuthorizationCode::new(callback.code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(
            callback.pkce_verifier.expose().clone(),
        ))
        .request_async(&http.reqwest)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(err) => Rejection::TokenExchangeFailed {
                error: truncate(err.error().as_ref(), 100),
                description: truncate(
                    err.error_description()
                        .map(String::as_str)
                        .unwrap_or_default(),
                    300,
                ),
            },
            RequestTokenError::Request(HttpClientError::Reqwest(e)) => Rejection::IdpUnreachable {
                endpoint: "token",
                reason: network_failure(url, &e),
            },
            RequestTokenError::Request(other) => {
                operator_log(url, &error_chain(&other));
                Rejection::IdpUnreachable {
                    endpoint: "token",
                    reason: String::new(),
                }
            }
            // A body that names an access token came from an IdP, so the parse error says
            // what to fix; any other body (an error page, another service) is not quoted.
            RequestTokenError::Parse(err, body) => {
                let reason = parse_failure(
                    url,
                    &body,
                    "access_token",
                    &format!("{} (at {})", err.inner(), err.path()),
                );
                // An ID token without `sub` (or another required claim) is named plainly.
                match missing_required_claim(&body) {
                    Some(rejection) if !reason.is_empty() => rejection,
                    _ => Rejection::TokenResponseInvalid {
                        reason: if reason.is_empty() {
                            NOT_A_TOKEN_RESPONSE.to_owned()
                        } else {
                            reason
                        },
                    },
                }
            }
            RequestTokenError::Other(detail) => {
                operator_log(url, &detail);
                Rejection::TokenResponseInvalid {
                    reason: NOT_A_TOKEN_RESPONSE.to_owned(),
                }
            }
        })
}

const NOT_A_TOKEN_RESPONSE: &str =
    "the token endpoint answered with neither a token response nor an OAuth error (the server's log has the details)";

async fn verify_with_refetch(
    http: &HttpClient,
    provider: &Provider,
    settings: &ProviderSettings,
    response: &CoreTokenResponse,
    nonce: &str,
    now: Timestamp,
    max_skew_s: u32,
) -> Result<VerifiedIdToken, Rejection> {
    let verify = |keys: &crate::keys::JwkSet| {
        verify_id_token(
            keys,
            provider.issuer(),
            settings,
            response,
            nonce,
            now,
            max_skew_s,
        )
    };
    let snapshot = provider.current_keys(http, now).await;
    match verify(&snapshot.keys) {
        Err(Rejection::UnknownKey { kid, .. }) => {
            match provider.refetch_on_miss(http, &snapshot, now).await {
                // Fetched by this callback or by the one it waited for: check again.
                Refetch::Reloaded => {
                    verify(&provider.key_snapshot().keys).map_err(|e| match e {
                        Rejection::UnknownKey { kid, .. } => Rejection::UnknownKey {
                            kid,
                            detail: "not even after refetching the key set",
                        },
                        other => other,
                    })
                }
                Refetch::RateLimited => Err(Rejection::UnknownKey {
                    kid,
                    detail: "an unknown key made the hub refetch the key set less than a minute ago, so it was not fetched again",
                }),
                Refetch::Failed => Err(Rejection::UnknownKey {
                    kid,
                    detail: "refetching the key set failed",
                }),
            }
        }
        other => other,
    }
}

/// Userinfo members beyond the standard claims (`groups`, vendor claims) for role mapping;
/// the standard ones are consumed by openidconnect's typed fields and serialized back.
#[derive(Debug, Deserialize, Serialize)]
struct RawClaims {
    #[serde(flatten)]
    all: Map<String, Value>,
}
impl AdditionalClaims for RawClaims {}

async fn userinfo(
    http: &HttpClient,
    provider: &Provider,
    settings: &ProviderSettings,
    redirect_uri: &RedirectUri,
    verified: &VerifiedIdToken,
) -> Result<Option<Map<String, Value>>, Rejection> {
    let Some(url) = provider.metadata().userinfo_endpoint() else {
        return Ok(None);
    };
    let client = client(provider, settings, redirect_uri).set_user_info_url(url.clone());
    let url = url.as_str();
    let answered_wrongly = |detail: &str| {
        operator_log(url, detail);
        Rejection::UserinfoFailed {
            reason: "the server's log has the details".to_owned(),
        }
    };
    let claims: UserInfoClaims<RawClaims, CoreGenderClaim> = client
        .user_info(verified.access_token(), None)
        .request_async(&http.reqwest)
        .await
        .map_err(|e| match e {
            UserInfoError::Request(HttpClientError::Reqwest(e)) => Rejection::IdpUnreachable {
                endpoint: "userinfo",
                reason: network_failure(url, &e),
            },
            UserInfoError::Response(status, _, reason) => {
                answered_wrongly(&format!("HTTP status {status}: {reason}"))
            }
            other => answered_wrongly(&error_chain(&other)),
        })?;
    // OIDC Core §5.3.2: the userinfo `sub` must be the ID token's, or the response is
    // about someone else (token substitution).
    if claims.subject().as_str() != verified.subject {
        return Err(Rejection::UserinfoSubjectMismatch {
            expected: verified.subject.clone(),
            found: truncate(claims.subject().as_str(), 200),
        });
    }
    Ok(Some(userinfo_json(&claims)))
}

fn userinfo_json(claims: &UserInfoClaims<RawClaims, CoreGenderClaim>) -> Map<String, Value> {
    let mut all = match serde_json::to_value(claims) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    for (name, value) in &claims.additional_claims().all {
        all.entry(name.clone()).or_insert_with(|| value.clone());
    }
    all
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Reads the configured email claim and, for `email`, its `email_verified` flag (some IdPs
/// send it as the string "true"/"false").
pub(crate) fn email_of(
    claims: &Map<String, Value>,
    claim: EmailClaim,
) -> Result<(Email, Option<bool>), Rejection> {
    let name = claim.as_str();
    let value = match claims.get(name) {
        None | Some(Value::Null) => return Err(Rejection::MissingEmail { claim: name }),
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return Err(Rejection::InvalidEmail {
                claim: name,
                value: truncate(&other.to_string(), 100),
                reason: "it is not a string".into(),
            })
        }
    };
    let email = Email::parse(value).map_err(|e| Rejection::InvalidEmail {
        claim: name,
        value: truncate(value, 100),
        reason: e.message.clone(),
    })?;
    if claim != EmailClaim::Email {
        return Ok((email, None));
    }
    // Absent or null: the IdP does not say. Anything it says that is not plainly true
    // (`0`, `"no"`, an object) counts as not verified: an odd flag fails closed.
    let verified = match claims.get("email_verified") {
        None | Some(Value::Null) => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) => Some(s.eq_ignore_ascii_case("true")),
        Some(_) => Some(false),
    };
    if verified == Some(false) {
        return Err(Rejection::EmailNotVerified {
            email: email.as_str().to_owned(),
        });
    }
    Ok((email, verified))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn email_is_read_from_the_configured_claim_and_normalized() {
        let claims = map(
            json!({"email": "Alice@Example.com", "email_verified": true, "upn": "a@corp.example"}),
        );
        let (email, verified) = email_of(&claims, EmailClaim::Email).unwrap();
        assert_eq!(email.as_str(), "alice@example.com");
        assert_eq!(verified, Some(true));
        let (email, verified) = email_of(&claims, EmailClaim::Upn).unwrap();
        assert_eq!(email.as_str(), "a@corp.example");
        assert_eq!(verified, None);
    }

    #[test]
    fn an_email_not_plainly_verified_is_rejected_also_when_sent_as_a_string() {
        for flag in [
            json!(false),
            json!("false"),
            json!("FALSE"),
            json!(0),
            json!(1),
            json!("no"),
            json!("yes"),
            json!({}),
        ] {
            let claims = map(json!({"email": "a@example.com", "email_verified": flag}));
            assert_eq!(
                email_of(&claims, EmailClaim::Email).unwrap_err().code(),
                "oidc.email_not_verified"
            );
        }
        let claims = map(json!({"email": "a@example.com", "email_verified": "true"}));
        assert_eq!(email_of(&claims, EmailClaim::Email).unwrap().1, Some(true));
        for unsaid in [
            json!({"email": "a@example.com"}),
            json!({"email": "a@example.com", "email_verified": null}),
        ] {
            assert_eq!(email_of(&map(unsaid), EmailClaim::Email).unwrap().1, None);
        }
    }

    #[test]
    fn upn_login_ignores_the_email_verified_flag_of_another_claim() {
        let claims =
            map(json!({"upn": "a@corp.example", "email": "x@y.example", "email_verified": false}));
        assert!(email_of(&claims, EmailClaim::Upn).is_ok());
    }

    #[test]
    fn missing_or_malformed_email_is_rejected() {
        assert_eq!(
            email_of(&map(json!({"sub": "1"})), EmailClaim::PreferredUsername),
            Err(Rejection::MissingEmail {
                claim: "preferred_username"
            })
        );
        assert_eq!(
            email_of(&map(json!({"email": "alice"})), EmailClaim::Email)
                .unwrap_err()
                .code(),
            "oidc.invalid_email"
        );
        assert_eq!(
            email_of(&map(json!({"email": ["a@b.example"]})), EmailClaim::Email)
                .unwrap_err()
                .code(),
            "oidc.invalid_email"
        );
    }

    #[test]
    fn userinfo_raw_claims_keep_every_member() {
        let body = br#"{"sub":"u1","email":"a@example.com","email_verified":true,"groups":["admins"],"name":"A"}"#;
        let claims =
            UserInfoClaims::<RawClaims, CoreGenderClaim>::from_json::<std::io::Error>(body, None)
                .unwrap();
        let raw = userinfo_json(&claims);
        for key in ["sub", "email", "email_verified", "groups", "name"] {
            assert!(raw.contains_key(key), "{key} missing from {raw:?}");
        }
    }
}
