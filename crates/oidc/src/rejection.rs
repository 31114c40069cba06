//! Why an OIDC login was refused: one variant per check, each with a stable machine code.

use orgsso_core::Timestamp;

/// The reason a login callback was refused. The `Display` text is shown to organization
/// admins (test page, login failure page, audit log), so it names what was compared;
/// [`Rejection::code`] is the stable identifier for JSON errors.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    #[error("the identity provider returned the error {error:?}{}", detail_suffix(.description))]
    IdpError { error: String, description: String },
    #[error("the callback's state does not match the login that was started in this browser (stale, replayed or forged callback)")]
    StateMismatch,
    #[error("the callback comes from issuer {found:?}, not this organization's identity provider {expected:?} (mix-up attack or misconfiguration)")]
    CallbackIssuerMismatch { expected: String, found: String },
    /// `reason` is empty, or this server's refusal of the address; never what the network
    /// said (the operator's log has that).
    #[error("the identity provider's {endpoint} endpoint could not be reached{}", detail_colon(.reason))]
    IdpUnreachable {
        endpoint: &'static str,
        reason: String,
    },
    #[error("the identity provider refused to exchange the authorization code: {error}{}{}", detail_suffix(.description), exchange_hint(.error))]
    TokenExchangeFailed { error: String, description: String },
    /// `reason` is in this server's words; a body that is neither a token response nor an
    /// OAuth error is not quoted (it may not come from an IdP at all).
    #[error("the identity provider's token response is not valid: {reason}")]
    TokenResponseInvalid { reason: String },
    #[error("the identity provider's token response carries no ID token; check that the scope includes \"openid\"")]
    NoIdToken,
    #[error("the ID token is signed with the algorithm {alg:?}; only RS256/384/512, PS256/384/512, ES256/384 and EdDSA with the identity provider's published keys are accepted")]
    UnsupportedAlgorithm { alg: String },
    #[error("the ID token is signed with the key {kid:?}, which is not in the identity provider's key set ({detail})")]
    UnknownKey { kid: String, detail: &'static str },
    #[error("the ID token names no key and the identity provider's key set holds several that could have signed it")]
    AmbiguousKey,
    #[error("the identity provider's key {kid:?} cannot be used: {reason}")]
    InvalidKey { kid: String, reason: String },
    #[error("the ID token signature ({alg}, key {kid:?}) does not verify: it was altered or signed by another key")]
    BadSignature { alg: String, kid: String },
    #[error("the ID token cannot be processed: {reason}")]
    UnsupportedToken { reason: String },
    #[error("the ID token issuer is {found:?}, expected the configured issuer {expected:?}")]
    IssuerMismatch { expected: String, found: String },
    #[error("the ID token is meant for audience {found:?}, not this client ID {expected:?}")]
    AudienceMismatch {
        expected: String,
        found: Vec<String>,
    },
    #[error("the ID token has several audiences and its authorized party (azp) is {found:?}, expected this client ID {expected:?}")]
    AuthorizedPartyMismatch {
        expected: String,
        found: Option<String>,
    },
    #[error("the ID token expired at {exp} (now {now}, skew {skew_s}s)")]
    Expired {
        exp: Timestamp,
        now: Timestamp,
        skew_s: u32,
    },
    #[error("the ID token was issued at {iat}, in the future (now {now}, skew {skew_s}s); check the clocks")]
    IssuedInFuture {
        iat: Timestamp,
        now: Timestamp,
        skew_s: u32,
    },
    #[error(
        "the ID token is not valid before {nbf} (now {now}, skew {skew_s}s); check the clocks"
    )]
    NotYetValid {
        nbf: Timestamp,
        now: Timestamp,
        skew_s: u32,
    },
    #[error("the ID token is malformed: it is not valid before {nbf} but expires at {exp}, so it is never valid")]
    NbfAfterExp { nbf: Timestamp, exp: Timestamp },
    #[error("the ID token is malformed: its {claim:?} claim is {value}, not a number of seconds since 1970 (JWT NumericDate)")]
    MalformedTimeClaim { claim: &'static str, value: String },
    #[error("the ID token carries no {claim:?} claim, which OpenID Connect requires in every ID token; the identity provider is misconfigured or is not an OpenID Connect provider")]
    MissingRequiredClaim { claim: &'static str },
    #[error("the ID token carries no auth_time, but this configuration asks for a maximum authentication age ({max_age_s}s), so the identity provider must say when the member authenticated")]
    AuthTimeMissing { max_age_s: u32 },
    #[error("the member authenticated at the identity provider at {auth_time}, longer ago than the configured maximum authentication age of {max_age_s}s (now {now}, skew {skew_s}s)")]
    AuthTooOld {
        auth_time: Timestamp,
        max_age_s: u32,
        now: Timestamp,
        skew_s: u32,
    },
    #[error("the ID token carries no nonce, but this login sent one")]
    NonceMissing,
    #[error("the ID token nonce does not match the one sent with this login (replayed or injected token)")]
    NonceMismatch,
    #[error("the ID token's at_hash does not match the access token issued with it")]
    AccessTokenHashMismatch,
    /// `reason` is in this server's words, never the endpoint's status or body.
    #[error(
        "the identity provider's userinfo endpoint did not answer with valid claims: {reason}"
    )]
    UserinfoFailed { reason: String },
    #[error(
        "the userinfo response is about subject {found:?}, but the ID token is about {expected:?}"
    )]
    UserinfoSubjectMismatch { expected: String, found: String },
    #[error("neither the ID token nor the userinfo response carries the {claim:?} claim; configure the identity provider to release it (scope \"email\") or pick another email claim")]
    MissingEmail { claim: &'static str },
    #[error("the {claim:?} claim {value:?} is not an email address: {reason}")]
    InvalidEmail {
        claim: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "the identity provider says the email {email} is not verified (email_verified: false)"
    )]
    EmailNotVerified { email: String },
}

fn detail_colon(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(": {detail}")
    }
}

/// What an admin does about the token endpoint's error (RFC 6749 §5.2).
fn exchange_hint(error: &str) -> &'static str {
    match error {
        "invalid_client" => "; the identity provider did not accept the hub's client credentials: check the client ID and client secret (a secret may have expired or been rotated at the identity provider), then save the configuration again",
        "unauthorized_client" => "; the client is not allowed the authorization code grant: enable it for this application at the identity provider",
        _ => "",
    }
}

fn detail_suffix(detail: &str) -> String {
    if detail.is_empty() {
        String::new()
    } else {
        format!(" ({detail})")
    }
}

impl Rejection {
    /// Stable identifier for JSON error bodies and the audit log; never change a published code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::IdpError { .. } => "oidc.idp_error",
            Self::StateMismatch => "oidc.state_mismatch",
            Self::CallbackIssuerMismatch { .. } => "oidc.callback_issuer_mismatch",
            Self::IdpUnreachable { .. } => "oidc.idp_unreachable",
            Self::TokenExchangeFailed { .. } => "oidc.token_exchange_failed",
            Self::TokenResponseInvalid { .. } => "oidc.token_response_invalid",
            Self::NoIdToken => "oidc.no_id_token",
            Self::UnsupportedAlgorithm { .. } => "oidc.unsupported_algorithm",
            Self::UnknownKey { .. } => "oidc.unknown_key",
            Self::AmbiguousKey => "oidc.ambiguous_key",
            Self::InvalidKey { .. } => "oidc.invalid_key",
            Self::BadSignature { .. } => "oidc.bad_signature",
            Self::UnsupportedToken { .. } => "oidc.unsupported_token",
            Self::IssuerMismatch { .. } => "oidc.issuer_mismatch",
            Self::AudienceMismatch { .. } => "oidc.audience_mismatch",
            Self::AuthorizedPartyMismatch { .. } => "oidc.authorized_party_mismatch",
            Self::Expired { .. } => "oidc.expired",
            Self::IssuedInFuture { .. } => "oidc.issued_in_future",
            Self::NotYetValid { .. } => "oidc.not_yet_valid",
            Self::NbfAfterExp { .. } => "oidc.nbf_after_exp",
            Self::MalformedTimeClaim { .. } => "oidc.malformed_time_claim",
            Self::MissingRequiredClaim { .. } => "oidc.missing_required_claim",
            Self::AuthTimeMissing { .. } => "oidc.auth_time_missing",
            Self::AuthTooOld { .. } => "oidc.auth_too_old",
            Self::NonceMissing => "oidc.nonce_missing",
            Self::NonceMismatch => "oidc.nonce_mismatch",
            Self::AccessTokenHashMismatch => "oidc.at_hash_mismatch",
            Self::UserinfoFailed { .. } => "oidc.userinfo_failed",
            Self::UserinfoSubjectMismatch { .. } => "oidc.userinfo_subject_mismatch",
            Self::MissingEmail { .. } => "oidc.missing_email",
            Self::InvalidEmail { .. } => "oidc.invalid_email",
            Self::EmailNotVerified { .. } => "oidc.email_not_verified",
        }
    }
}

/// The rejection for a callback that carries `?error=…` instead of a code, e.g. the user
/// pressed "Cancel" (`access_denied`) or the IdP refused the client.
pub fn callback_error(error: &str, description: Option<&str>) -> Rejection {
    // The values come from the query string; keep them short so a hostile IdP or a crafted
    // link cannot fill the audit log.
    Rejection::IdpError {
        error: truncate(error, 100),
        description: truncate(description.unwrap_or_default(), 300),
    }
}

pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_callback_names_the_idp_error() {
        let r = callback_error("access_denied", Some("End-User aborted interaction"));
        assert_eq!(r.code(), "oidc.idp_error");
        assert_eq!(
            r.to_string(),
            "the identity provider returned the error \"access_denied\" (End-User aborted interaction)"
        );
    }

    #[test]
    fn long_callback_errors_are_truncated() {
        let r = callback_error(&"x".repeat(1000), None);
        let Rejection::IdpError { error, description } = r else {
            unreachable!()
        };
        assert_eq!(error.chars().count(), 101);
        assert!(description.is_empty());
    }
}
