//! The start-up rewrite of emails stored before addresses had one canonical form
//! (NFC, the domain in IDNA ASCII): the decision per address, shared by both
//! dialects, which only run the SQL.

use orgsso_core::Email;

use crate::{StoreError, StoreResult};

/// The form to store for a stored address, or `None` when it is already canonical
/// or no longer parses (logged for the operator, and left as it is).
pub fn canonical_rewrite(email_id: i64, address: &str) -> Option<Email> {
    match Email::parse(address) {
        Ok(email) if email.as_str() == address => None,
        Ok(email) => Some(email),
        Err(err) => {
            tracing::warn!(email_id, error = %err, "stored email is not a valid address");
            None
        }
    }
}

/// Logs the outcome of one rewrite. A conflict (another account already has the
/// canonical form) leaves the row as it is; any other error is returned.
pub fn rewrite_outcome(
    email_id: i64,
    canonical: &Email,
    updated: StoreResult<()>,
) -> StoreResult<()> {
    match updated {
        Ok(()) => tracing::info!(email_id, "stored email rewritten in canonical form"),
        Err(StoreError::Conflict(_)) => tracing::warn!(
            email_id,
            canonical = %canonical,
            "stored email left as it is: another account has its canonical form"
        ),
        Err(err) => return Err(err),
    }
    Ok(())
}
