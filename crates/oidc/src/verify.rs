//! ID token validation against a key set snapshot: signature (asymmetric algorithms only),
//! `iss`, `aud`/`azp`, `exp`, `iat`, `nbf`, `nonce`, `at_hash`, and `auth_time` when the
//! configuration sets a maximum authentication age. Pure: no I/O; the JWKS refetch
//! on an unknown key is the caller's (see `complete`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use openidconnect::core::{CoreJwsSigningAlgorithm, CoreTokenResponse};
use openidconnect::{
    AccessToken, AccessTokenHash, ClaimsVerificationError, ClientId, IdTokenVerifier, JsonWebKey,
    Nonce, OAuth2TokenResponse, SignatureVerificationError, TokenResponse,
};
use orgsso_core::{Secret, Timestamp};
use serde_json::{Map, Value};

use crate::keys::{JwkSet, RingJwk};
use crate::rejection::truncate;
use crate::{Provider, ProviderSettings, Rejection};

/// Accepted ID token signature algorithms. HMAC (`HS*`) is absent on purpose: with a
/// JWKS-based verifier an attacker could otherwise sign with the IdP's *public* key.
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 9] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// A validated ID token: who the IdP says logged in, and every claim it sent.
#[derive(Debug)]
pub struct VerifiedIdToken {
    pub subject: String,
    pub claims: Map<String, Value>,
    pub(crate) access_token: Secret<String>,
}

/// Parses a token endpoint response body and validates its ID token with the provider's
/// cached keys. `complete` runs the same validation on the response it receives.
pub fn verify_token_response(
    provider: &Provider,
    settings: &ProviderSettings,
    body: &[u8],
    expected_nonce: &str,
    now: Timestamp,
    max_skew_s: u32,
) -> Result<VerifiedIdToken, Rejection> {
    let response: CoreTokenResponse = serde_json::from_slice(body).map_err(|e| {
        missing_required_claim(body).unwrap_or_else(|| Rejection::TokenResponseInvalid {
            reason: truncate(&e.to_string(), 200),
        })
    })?;
    verify_id_token(
        &provider.keys(),
        provider.issuer(),
        settings,
        &response,
        expected_nonce,
        now,
        max_skew_s,
    )
}

pub(crate) fn verify_id_token(
    keys: &JwkSet,
    issuer: &str,
    settings: &ProviderSettings,
    response: &CoreTokenResponse,
    expected_nonce: &str,
    now: Timestamp,
    max_skew_s: u32,
) -> Result<VerifiedIdToken, Rejection> {
    let id_token = response.id_token().ok_or(Rejection::NoIdToken)?;
    let raw = RawJwt::decode(&id_token.to_string())?;
    let skew = i64::from(max_skew_s);
    let client_id = settings.client_id.as_str();

    let verifier = IdTokenVerifier::<RingJwk>::new_public_client(
        ClientId::new(client_id.to_owned()),
        openidconnect::IssuerUrl::new(issuer.to_owned()).map_err(|e| {
            Rejection::UnsupportedToken {
                reason: e.to_string(),
            }
        })?,
        candidate_keys(keys, &raw),
    )
    .set_allowed_algs(ALLOWED_ALGS)
    // Extra audiences are judged by the azp rule below rather than refused outright.
    .set_other_audience_verifier_fn(|_| true)
    // openidconnect compares `now >= exp`; shifting its clock back grants the skew.
    .set_time_fn(move || to_chrono(now.plus_seconds(-skew)))
    .set_issue_time_verifier_fn(move |iat| {
        if iat.timestamp() > now.unix().saturating_add(skew) {
            Err("issued in the future".to_owned())
        } else {
            Ok(())
        }
    });
    let nonce = Nonce::new(expected_nonce.to_owned());
    let claims = id_token
        .claims(&verifier, &nonce)
        .map_err(|e| explain(e, &raw, issuer, client_id, now, max_skew_s))?;

    // Only after the signature: a forgery is refused as one, not for its claims.
    check_time_claims(&raw, now, max_skew_s)?;
    check_auth_time(&raw, settings.max_age_s, now, max_skew_s)?;

    let audiences: Vec<&str> = claims.audiences().iter().map(|a| a.as_str()).collect();
    let azp = claims.authorized_party().map(|a| a.as_str());
    if (audiences.len() > 1 || azp.is_some()) && azp != Some(client_id) {
        return Err(Rejection::AuthorizedPartyMismatch {
            expected: client_id.to_owned(),
            found: azp.map(str::to_owned),
        });
    }

    if let Some(expected_hash) = claims.access_token_hash() {
        let alg = id_token
            .signing_alg()
            .map_err(|_| Rejection::UnsupportedAlgorithm { alg: raw.alg() })?;
        let key = id_token
            .signing_key(&verifier)
            .map_err(|_| Rejection::UnknownKey {
                kid: raw.kid(),
                detail: "in the cached key set",
            })?;
        let actual =
            AccessTokenHash::from_token(response.access_token(), alg, key).map_err(|e| {
                Rejection::UnsupportedToken {
                    reason: e.to_string(),
                }
            })?;
        if actual != *expected_hash {
            return Err(Rejection::AccessTokenHashMismatch);
        }
    }

    Ok(VerifiedIdToken {
        subject: claims.subject().as_str().to_owned(),
        claims: raw.payload,
        access_token: Secret::new(response.access_token().secret().clone()),
    })
}

impl VerifiedIdToken {
    pub(crate) fn access_token(&self) -> AccessToken {
        AccessToken::new(self.access_token.expose().clone())
    }
}

/// What openidconnect leaves out: `nbf` (RFC 7519 §4.1.5), with the same skew as `iat` and
/// `exp`, and a window that can never open (`nbf` after `exp`) refused as malformed. The
/// time claims must be NumericDates: openidconnect, built to accept RFC 3339 strings for
/// `updated_at`, would take them here too.
fn check_time_claims(raw: &RawJwt, now: Timestamp, skew_s: u32) -> Result<(), Rejection> {
    let numeric = |claim: &'static str| -> Result<Option<i64>, Rejection> {
        match raw.payload.get(claim) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))),
            Some(other) => Err(Rejection::MalformedTimeClaim {
                claim,
                value: truncate(&other.to_string(), 60),
            }),
        }
    };
    let exp = numeric("exp")?;
    numeric("iat")?;
    numeric("auth_time")?;
    let Some(nbf) = numeric("nbf")? else {
        return Ok(());
    };
    if let Some(exp) = exp.filter(|exp| nbf > *exp) {
        return Err(Rejection::NbfAfterExp {
            nbf: Timestamp::from_unix(nbf),
            exp: Timestamp::from_unix(exp),
        });
    }
    if nbf > now.unix().saturating_add(i64::from(skew_s)) {
        return Err(Rejection::NotYetValid {
            nbf: Timestamp::from_unix(nbf),
            now,
            skew_s,
        });
    }
    Ok(())
}

/// OIDC Core §3.1.3.7 (11, 13): with `max_age` requested, `auth_time` must be present, and
/// no older than `max_age` (with the clock skew).
fn check_auth_time(
    raw: &RawJwt,
    max_age_s: Option<u32>,
    now: Timestamp,
    skew_s: u32,
) -> Result<(), Rejection> {
    let Some(max_age_s) = max_age_s else {
        return Ok(());
    };
    // A non-number was refused by `check_time_claims` already.
    let Some(auth_time) = raw.int_claim("auth_time") else {
        return Err(Rejection::AuthTimeMissing { max_age_s });
    };
    let oldest = now
        .unix()
        .saturating_sub(i64::from(max_age_s))
        .saturating_sub(i64::from(skew_s));
    if auth_time < oldest {
        return Err(Rejection::AuthTooOld {
            auth_time: Timestamp::from_unix(auth_time),
            max_age_s,
            now,
            skew_s,
        });
    }
    Ok(())
}

/// The claims every ID token carries (OIDC Core §2); openidconnect refuses a token without
/// one of them with serde's words ("missing field `sub`"), which tell an admin little.
const REQUIRED_CLAIMS: [&str; 5] = ["iss", "sub", "aud", "exp", "iat"];

/// For a token response that did not parse: the first required claim its ID token lacks,
/// when that is why. Reads the unverified payload only to name the claim.
pub(crate) fn missing_required_claim(body: &[u8]) -> Option<Rejection> {
    let response: Map<String, Value> = serde_json::from_slice(body).ok()?;
    let raw = RawJwt::decode(response.get("id_token")?.as_str()?).ok()?;
    REQUIRED_CLAIMS
        .into_iter()
        .find(|claim| matches!(raw.payload.get(*claim), None | Some(Value::Null)))
        .map(|claim| Rejection::MissingRequiredClaim { claim })
}

/// The keys openidconnect may pick from: those named by the token's `kid` (its own first
/// filtering step), so only they are copied into the verifier; all of them without a `kid`.
fn candidate_keys(keys: &JwkSet, raw: &RawJwt) -> JwkSet {
    match raw.header.get("kid").and_then(Value::as_str) {
        Some(kid) => JwkSet::new(
            keys.keys()
                .iter()
                .filter(|k| k.key_id().is_some_and(|id| id.as_str() == kid))
                .cloned()
                .collect(),
        ),
        None => keys.clone(),
    }
}

fn to_chrono(t: Timestamp) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(t.unix(), 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Turns openidconnect's stringly errors into a specific rejection, naming the compared
/// values from the (unverified) token so the admin sees what the IdP sent.
fn explain(
    err: ClaimsVerificationError,
    raw: &RawJwt,
    issuer: &str,
    client_id: &str,
    now: Timestamp,
    skew_s: u32,
) -> Rejection {
    match err {
        ClaimsVerificationError::InvalidIssuer(_) => Rejection::IssuerMismatch {
            expected: issuer.to_owned(),
            found: raw.str_claim("iss").unwrap_or("(none)").to_owned(),
        },
        ClaimsVerificationError::InvalidAudience(_) => Rejection::AudienceMismatch {
            expected: client_id.to_owned(),
            found: match raw.payload.get("aud") {
                Some(Value::String(a)) => vec![a.clone()],
                Some(Value::Array(list)) => list
                    .iter()
                    .map(|a| a.as_str().unwrap_or("?").to_owned())
                    .collect(),
                _ => Vec::new(),
            },
        },
        ClaimsVerificationError::Expired(_) => {
            if let Err(malformed) = check_time_claims(raw, now, skew_s) {
                return malformed;
            }
            let exp = raw.int_claim("exp");
            match exp {
                Some(exp) if exp <= now.unix() - i64::from(skew_s) => Rejection::Expired {
                    exp: Timestamp::from_unix(exp),
                    now,
                    skew_s,
                },
                _ => Rejection::IssuedInFuture {
                    iat: Timestamp::from_unix(raw.int_claim("iat").unwrap_or_default()),
                    now,
                    skew_s,
                },
            }
        }
        ClaimsVerificationError::InvalidNonce(_) => match raw.payload.get("nonce") {
            None | Some(Value::Null) => Rejection::NonceMissing,
            Some(_) => Rejection::NonceMismatch,
        },
        ClaimsVerificationError::SignatureVerification(sig) => match sig {
            SignatureVerificationError::DisallowedAlg(_)
            | SignatureVerificationError::UnsupportedAlg(_)
            | SignatureVerificationError::NoSignature => {
                Rejection::UnsupportedAlgorithm { alg: raw.alg() }
            }
            SignatureVerificationError::NoMatchingKey => Rejection::UnknownKey {
                kid: raw.kid(),
                detail: "in the cached key set",
            },
            SignatureVerificationError::AmbiguousKeyId(_) => Rejection::AmbiguousKey,
            SignatureVerificationError::InvalidKey(reason) => Rejection::InvalidKey {
                kid: raw.kid(),
                reason: truncate(&reason, 200),
            },
            SignatureVerificationError::CryptoError(_) => Rejection::BadSignature {
                alg: raw.alg(),
                kid: raw.kid(),
            },
            other => Rejection::UnsupportedToken {
                reason: truncate(&other.to_string(), 200),
            },
        },
        other => Rejection::UnsupportedToken {
            reason: truncate(&other.to_string(), 200),
        },
    }
}

/// The ID token's header and payload as plain JSON: the claims handed to the caller, and
/// the values named in rejections.
struct RawJwt {
    header: Map<String, Value>,
    payload: Map<String, Value>,
}

impl RawJwt {
    fn decode(token: &str) -> Result<Self, Rejection> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
            return Err(Rejection::TokenResponseInvalid {
                reason: "the ID token is not a JWT".into(),
            });
        };
        let json = |part: &str| -> Result<Map<String, Value>, Rejection> {
            let bytes =
                URL_SAFE_NO_PAD
                    .decode(part)
                    .map_err(|e| Rejection::TokenResponseInvalid {
                        reason: format!("the ID token is not base64url: {e}"),
                    })?;
            serde_json::from_slice(&bytes).map_err(|e| Rejection::TokenResponseInvalid {
                reason: format!("the ID token is not JSON: {e}"),
            })
        };
        Ok(Self {
            header: json(header)?,
            payload: json(payload)?,
        })
    }

    fn alg(&self) -> String {
        self.header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("(none)")
            .to_owned()
    }

    fn kid(&self) -> String {
        self.header
            .get("kid")
            .and_then(Value::as_str)
            .unwrap_or("(none)")
            .to_owned()
    }

    fn str_claim(&self, name: &str) -> Option<&str> {
        self.payload.get(name).and_then(Value::as_str)
    }

    fn int_claim(&self, name: &str) -> Option<i64> {
        self.payload
            .get(name)
            .and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
    }
}
