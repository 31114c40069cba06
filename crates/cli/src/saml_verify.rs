//! `orgsso saml verify`: one SAML Response checked offline through the same verifier as the
//! ACS endpoint. Exit 0 with the identity as JSON, 1 with the rejection, 2 for bad usage.

use orgsso_core::{Clock, SystemClock, Timestamp};
use orgsso_saml::{
    IdpCertificate, Rejection, SpConfig, SpDecryptionKey, DEFAULT_CLOCK_SKEW_S,
    MAX_DECRYPTION_KEYS, MAX_RESPONSE_BYTES,
};
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct SamlVerifyArgs {
    /// Trusted IdP signing certificate (PEM); repeat for key rotation.
    #[arg(long = "idp-cert", value_name = "FILE", required = true)]
    idp_certs: Vec<PathBuf>,
    /// When given, the Assertion and Response Issuer must equal it.
    #[arg(long, value_name = "ID")]
    idp_entity_id: Option<String>,
    /// This service provider's entity ID (the expected Audience).
    #[arg(long, value_name = "ID")]
    sp_entity_id: String,
    /// The Assertion Consumer Service URL (expected Recipient and Destination).
    #[arg(long, value_name = "URL")]
    acs_url: String,
    /// Verify as of this instant instead of the current time.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    now: Option<Timestamp>,
    /// Tolerated clock difference with the IdP.
    #[arg(long, value_name = "SECONDS", default_value_t = DEFAULT_CLOCK_SKEW_S)]
    clock_skew: u32,
    /// ID of the AuthnRequest the Response must answer; absent: IdP-initiated.
    #[arg(long, value_name = "ID")]
    in_response_to: Option<String>,
    /// Accept RSA-SHA1 signatures and SHA-1 digests (legacy IdPs).
    #[arg(long)]
    allow_sha1: bool,
    /// Accept a Response whose own signature covers its one, unsigned Assertion
    /// (Shibboleth's default); without it such a Response is refused.
    #[arg(long)]
    accept_response_only_signature: bool,
    /// The SP's private key (PEM, PKCS#8 or PKCS#1 RSA) to decrypt an EncryptedAssertion;
    /// repeat during a key rotation (each is tried).
    #[arg(long = "sp-key", value_name = "FILE")]
    sp_keys: Vec<PathBuf>,
    /// File holding the raw XML or base64 SAMLResponse; `-` for standard input.
    #[arg(value_name = "RESPONSE")]
    response: PathBuf,
}

fn parse_now(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse_rfc3339(text).ok_or_else(|| format!("{text:?} is not an RFC 3339 date-time"))
}

pub fn run(args: SamlVerifyArgs) -> ExitCode {
    let (config, response) = match prepare(&args) {
        Ok(prepared) => prepared,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let now = args.now.unwrap_or_else(|| SystemClock.now());
    match orgsso_saml::verify(&response, &config, now) {
        Ok(verified) => match serde_json::to_string(&verified) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot encode the result: {e}");
                ExitCode::from(2)
            }
        },
        Err(rejection) => {
            // One line, whatever text the IdP put in the values quoted by the message.
            let mut message = rejection.to_string().replace(['\n', '\r'], " ");
            if rejection == Rejection::EncryptedAssertion && args.sp_keys.is_empty() {
                message.push_str(" (give the SP's private key with --sp-key to decrypt it)");
            }
            eprintln!("rejected: {}: {message}", rejection.code());
            ExitCode::from(1)
        }
    }
}

fn prepare(args: &SamlVerifyArgs) -> Result<(SpConfig, Vec<u8>), String> {
    let mut certs = Vec::with_capacity(args.idp_certs.len());
    for path in &args.idp_certs {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read certificate {}: {e}", path.display()))?;
        let cert = IdpCertificate::from_pem(&pem)
            .map_err(|e| format!("certificate {}: {e}", path.display()))?;
        certs.push(cert);
    }
    let mut config = SpConfig::new(&args.sp_entity_id, &args.acs_url, certs);
    config.idp_entity_id.clone_from(&args.idp_entity_id);
    config.clock_skew_s = args.clock_skew;
    config
        .expected_in_response_to
        .clone_from(&args.in_response_to);
    config.allow_sha1 = args.allow_sha1;
    config.accept_response_only_signature = args.accept_response_only_signature;
    if args.sp_keys.len() > MAX_DECRYPTION_KEYS {
        return Err(format!(
            "at most {MAX_DECRYPTION_KEYS} --sp-key files are tried"
        ));
    }
    for path in &args.sp_keys {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read SP key {}: {e}", path.display()))?;
        let key = SpDecryptionKey::from_pem(&pem)
            .map_err(|e| format!("SP key {}: {e}", path.display()))?;
        config.decryption_keys.push(key);
    }

    // Read one byte past any acceptable size so oversize input is reported by the verifier
    // without buffering an unbounded stream.
    let limit = (MAX_RESPONSE_BYTES * 2) as u64;
    let mut response = Vec::new();
    let read = if args.response.as_os_str() == "-" {
        std::io::stdin()
            .lock()
            .take(limit)
            .read_to_end(&mut response)
    } else {
        std::fs::File::open(&args.response).and_then(|f| f.take(limit).read_to_end(&mut response))
    };
    read.map_err(|e| format!("cannot read {}: {e}", args.response.display()))?;
    Ok((config, response))
}
