//! The SAML rules: document shape (one Assertion, no wrapping), both signatures, status,
//! issuer, time, audience, bearer confirmation and NameID. Identity data is read only from
//! the Assertion node whose signature was verified, never looked up again by ID.

use crate::dsig::verify_enveloped;
use crate::limits::MAX_DEPTH;
use crate::rejection::{Rejection, SignedElement};
use crate::xml::{children, text_of, DSIG_NS, SAMLP_NS, SAML_NS};
use crate::SpConfig;
use orgsso_core::Timestamp;
use roxmltree::{Document, Node, ParsingOptions};
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, HashSet};

/// A 256 KiB document cannot sensibly hold more.
const MAX_NODES: u32 = 100_000;

const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const FORMAT_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const FORMAT_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

/// The identity an IdP asserted, taken from a Response that passed every check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerifiedAssertion {
    /// Full text of the NameID (all text nodes joined, entities resolved).
    pub name_id: String,
    /// The NameID Format; `unspecified` when the IdP sent none.
    pub name_id_format: String,
    /// The NameID, which the format rules guarantee is an email address.
    pub email: String,
    pub session_index: Option<String>,
    /// Attribute name → values, in name order; repeated Attribute elements are merged.
    pub attributes: BTreeMap<String, Vec<String>>,
    /// The Assertion Issuer (the IdP entity ID).
    pub issuer: String,
    pub assertion_id: String,
    /// Until when the assertion may be used: the earlier of the Conditions and bearer
    /// confirmation bounds. The replay cache keeps `assertion_id` until then (plus skew).
    #[serde(serialize_with = "rfc3339")]
    pub not_on_or_after: Timestamp,
    /// The IdP's limit on the session (AuthnStatement SessionNotOnOrAfter), if any.
    #[serde(serialize_with = "rfc3339_opt")]
    pub session_not_on_or_after: Option<Timestamp>,
    /// The AuthnRequest ID the Response answers, as the IdP wrote it (the signed bearer
    /// confirmation's, else the Response's); `None` for an unsolicited response. A caller
    /// that expected none must refuse a response answering a request it has no record of,
    /// rather than take it as unsolicited.
    pub in_response_to: Option<String>,
}

fn rfc3339<S: Serializer>(t: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339())
}

fn rfc3339_opt<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_rfc3339()),
        None => s.serialize_none(),
    }
}

/// `signed_before_decryption`: the text is a decrypted Response whose signature verified
/// over the EncryptedAssertion and was then removed (see `encrypted.rs`); it counts as a
/// verified Response signature.
pub(crate) fn verify_document(
    text: &str,
    config: &SpConfig,
    now: Timestamp,
    signed_before_decryption: bool,
) -> Result<VerifiedAssertion, Rejection> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => Rejection::Doctype,
        other => Rejection::MalformedXml {
            reason: other.to_string(),
        },
    })?;
    let response = doc.root_element();
    if !response.has_tag_name((SAMLP_NS, "Response")) {
        return Err(Rejection::NotAResponse {
            found: qname(response),
        });
    }

    let shape = survey(&doc)?;
    if shape.encrypted {
        return Err(Rejection::EncryptedAssertion);
    }
    let assertion = match shape.assertions[..] {
        [] => return Err(Rejection::NoAssertion),
        [one] => one,
        ref many => return Err(Rejection::MultipleAssertions { count: many.len() }),
    };
    if !assertion.has_tag_name((SAML_NS, "Assertion")) {
        return Err(Rejection::NoAssertion);
    }
    if assertion.parent_element() != Some(response) {
        let parent = assertion.parent_element().map(qname).unwrap_or_default();
        return Err(Rejection::AssertionMisplaced { parent });
    }

    let mut response_signatures = Vec::new();
    let mut assertion_signatures = Vec::new();
    for signature in shape.signatures {
        match signature.parent_element() {
            Some(p) if p == response => response_signatures.push(signature),
            Some(p) if p == assertion => assertion_signatures.push(signature),
            parent => {
                return Err(Rejection::SignatureMisplaced {
                    parent: parent.map(qname).unwrap_or_default(),
                })
            }
        }
    }
    for (element, list) in [
        (SignedElement::Response, &response_signatures),
        (SignedElement::Assertion, &assertion_signatures),
    ] {
        if list.len() > 1 {
            return Err(Rejection::MultipleSignatures {
                element,
                count: list.len(),
            });
        }
    }
    let response_signed = !response_signatures.is_empty() || signed_before_decryption;
    match (assertion_signatures.first(), response_signed) {
        (None, false) => return Err(Rejection::Unsigned),
        // Response-only signing (an opt-in): the one Assertion is a direct child of the
        // root Response, whose enveloped signature, verified below with a Reference to the
        // Response's own ID, covers everything but itself; IDs are unique and no other
        // Assertion exists anywhere, so the Assertion read is the one that was signed.
        (None, true) if !config.accept_response_only_signature => {
            return Err(Rejection::UnsignedAssertion)
        }
        _ => {}
    }
    let mut scratch = Vec::with_capacity(text.len());
    if let Some(&assertion_signature) = assertion_signatures.first() {
        verify_enveloped(
            assertion,
            assertion_signature,
            SignedElement::Assertion,
            config,
            &mut scratch,
        )?;
    }
    if let Some(&response_signature) = response_signatures.first() {
        verify_enveloped(
            response,
            response_signature,
            SignedElement::Response,
            config,
            &mut scratch,
        )?;
    }

    check_response(response, config)?;
    let mut verified = read_assertion(assertion, config, response_signed, now)?;
    if verified.in_response_to.is_none() {
        verified.in_response_to = response.attribute("InResponseTo").map(str::to_owned);
    }
    Ok(verified)
}

/// One enveloped signature checked alone, with none of the SAML rules: the Response's own,
/// or that of the first direct-child Assertion that has one. IDs must still be unique.
pub(crate) fn check_signature_only(
    text: &str,
    element: SignedElement,
    config: &SpConfig,
) -> Result<(), Rejection> {
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => Rejection::Doctype,
        other => Rejection::MalformedXml {
            reason: other.to_string(),
        },
    })?;
    survey(&doc)?;
    let response = doc.root_element();
    let signed = match element {
        SignedElement::Response => Some(response),
        SignedElement::Assertion => children(response, SAML_NS, "Assertion")
            .find(|a| children(*a, DSIG_NS, "Signature").next().is_some()),
    };
    let signed = signed.ok_or(Rejection::Unsigned)?;
    let signature = children(signed, DSIG_NS, "Signature")
        .next()
        .ok_or(Rejection::Unsigned)?;
    verify_enveloped(signed, signature, element, config, &mut Vec::new())
}

struct Shape<'a, 'input> {
    assertions: Vec<Node<'a, 'input>>,
    signatures: Vec<Node<'a, 'input>>,
    encrypted: bool,
}

/// One pass over the whole document: depth bound, every Assertion (any depth, any
/// namespace), every ds:Signature, EncryptedAssertion, and ID uniqueness (`ID`, `Id`, `id`,
/// since XML-DSig resolvers differ on which one they honour).
fn survey<'a, 'input>(doc: &'a Document<'input>) -> Result<Shape<'a, 'input>, Rejection> {
    let mut shape = Shape {
        assertions: Vec::new(),
        signatures: Vec::new(),
        encrypted: false,
    };
    let mut ids = HashSet::new();
    // Node IDs follow document order, so each parent's depth is known before its children.
    let mut depths: Vec<usize> = Vec::new();
    for node in doc.descendants() {
        let depth = node
            .parent()
            .and_then(|p| depths.get(p.id().get_usize()))
            .map_or(0, |d| d + 1);
        if depth > MAX_DEPTH {
            return Err(Rejection::TooDeep { limit: MAX_DEPTH });
        }
        depths.push(depth);
        if !node.is_element() {
            continue;
        }
        match node.tag_name().name() {
            "Assertion" => shape.assertions.push(node),
            "EncryptedAssertion" => shape.encrypted = true,
            "Signature" if node.tag_name().namespace() == Some(DSIG_NS) => {
                shape.signatures.push(node)
            }
            _ => {}
        }
        for attr in node.attributes() {
            if attr.namespace().is_none()
                && matches!(attr.name(), "ID" | "Id" | "id")
                && !ids.insert(attr.value())
            {
                return Err(Rejection::DuplicateId {
                    id: attr.value().to_owned(),
                });
            }
        }
    }
    Ok(shape)
}

/// Response-level rules (rules 9–12 of the corpus): status, Destination, InResponseTo, Issuer.
fn check_response(response: Node, config: &SpConfig) -> Result<(), Rejection> {
    let status = exactly_one(response, SAMLP_NS, "Status", "Response/Status")?;
    let code = exactly_one(status, SAMLP_NS, "StatusCode", "Status/StatusCode")?;
    let value = code.attribute("Value").unwrap_or("");
    if value != STATUS_SUCCESS {
        let mut detail: Vec<String> = children(code, SAMLP_NS, "StatusCode")
            .filter_map(|n| n.attribute("Value"))
            .map(str::to_owned)
            .collect();
        detail.extend(
            children(status, SAMLP_NS, "StatusMessage").map(|n| text_of(n).trim().to_owned()),
        );
        return Err(Rejection::StatusNotSuccess {
            code: value.to_owned(),
            detail: detail.join(": "),
        });
    }

    if let Some(found) = response.attribute("Destination") {
        if found != config.acs_url {
            return Err(Rejection::DestinationMismatch {
                expected: config.acs_url.clone(),
                found: found.to_owned(),
            });
        }
    }

    if let Some(expected) = &config.expected_in_response_to {
        match response.attribute("InResponseTo") {
            None => {
                return Err(Rejection::InResponseToMissing {
                    expected: expected.clone(),
                })
            }
            Some(found) if found != expected => {
                return Err(Rejection::InResponseToMismatch {
                    element: "Response",
                    expected: expected.clone(),
                    found: found.to_owned(),
                })
            }
            Some(_) => {}
        }
    }

    let issuers: Vec<Node> = children(response, SAML_NS, "Issuer").collect();
    if issuers.len() > 1 {
        return Err(Rejection::DuplicateElement {
            element: "Response/Issuer",
            count: issuers.len(),
        });
    }
    if let (Some(expected), Some(issuer)) = (&config.idp_entity_id, issuers.first()) {
        check_issuer(*issuer, SignedElement::Response, expected)?;
    }
    Ok(())
}

fn check_issuer(issuer: Node, element: SignedElement, expected: &str) -> Result<String, Rejection> {
    let found = text_of(issuer).trim().to_owned();
    if found != expected {
        return Err(Rejection::IssuerMismatch {
            element,
            expected: expected.to_owned(),
            found,
        });
    }
    Ok(found)
}

/// `response_signed`: the Response carries a signature that verified, so its attributes
/// (InResponseTo) are the IdP's word and not the presenter's.
fn read_assertion(
    assertion: Node,
    config: &SpConfig,
    response_signed: bool,
    now: Timestamp,
) -> Result<VerifiedAssertion, Rejection> {
    let issuer_node = exactly_one(assertion, SAML_NS, "Issuer", "Assertion/Issuer")?;
    let issuer = match &config.idp_entity_id {
        Some(expected) => check_issuer(issuer_node, SignedElement::Assertion, expected)?,
        None => text_of(issuer_node).trim().to_owned(),
    };
    let assertion_id = assertion.attribute("ID").unwrap_or_default().to_owned();
    let window = Window {
        now,
        skew_s: config.clock_skew_s,
    };

    let conditions = match children(assertion, SAML_NS, "Conditions").collect::<Vec<_>>()[..] {
        [] => return Err(Rejection::ConditionsMissing),
        [one] => one,
        ref many => {
            return Err(Rejection::DuplicateElement {
                element: "Assertion/Conditions",
                count: many.len(),
            })
        }
    };
    let conditions_end = window.check(conditions, "Assertion Conditions")?;
    check_audience(conditions, &config.sp_entity_id)?;

    let subject = exactly_one(assertion, SAML_NS, "Subject", "Assertion/Subject")?;
    let confirmation_end = check_bearer(subject, config, response_signed, &window)?;

    let name_id = match children(subject, SAML_NS, "NameID").collect::<Vec<_>>()[..] {
        [] => return Err(Rejection::NameIdMissing),
        [one] => one,
        ref many => {
            return Err(Rejection::DuplicateElement {
                element: "Subject/NameID",
                count: many.len(),
            })
        }
    };
    if name_id.children().any(|n| n.is_element()) {
        return Err(Rejection::NameIdMalformed);
    }
    let value = text_of(name_id);
    let format = name_id
        .attribute("Format")
        .unwrap_or(FORMAT_UNSPECIFIED)
        .to_owned();
    let is_email = match format.as_str() {
        FORMAT_EMAIL => email_shaped(&value, false),
        FORMAT_UNSPECIFIED => email_shaped(&value, true),
        _ => return Err(Rejection::NameIdFormatNotAllowed { format }),
    };
    if !is_email {
        return Err(Rejection::NameIdNotEmail { format, value });
    }

    let authn = children(assertion, SAML_NS, "AuthnStatement").next();
    let session_index = authn
        .and_then(|a| a.attribute("SessionIndex"))
        .map(str::to_owned);
    let session_not_on_or_after = authn
        .and_then(|a| a.attribute("SessionNotOnOrAfter"))
        .map(|v| instant("SessionNotOnOrAfter", v, false))
        .transpose()?;

    let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for statement in children(assertion, SAML_NS, "AttributeStatement") {
        for attribute in children(statement, SAML_NS, "Attribute") {
            let Some(name) = attribute.attribute("Name") else {
                continue;
            };
            attributes
                .entry(name.to_owned())
                .or_default()
                .extend(children(attribute, SAML_NS, "AttributeValue").map(text_of));
        }
    }

    // Without any upper bound the assertion could be replayed forever.
    let not_on_or_after = match (conditions_end, confirmation_end) {
        (Some(c), Some(s)) => c.min(s),
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => return Err(Rejection::NoExpiry),
    };
    Ok(VerifiedAssertion {
        email: value.clone(),
        name_id: value,
        name_id_format: format,
        session_index,
        attributes,
        issuer,
        assertion_id,
        not_on_or_after,
        session_not_on_or_after,
        in_response_to: config
            .expected_in_response_to
            .clone()
            .or_else(|| bearer_in_response_to(subject)),
    })
}

/// The InResponseTo of the first bearer confirmation that carries one.
fn bearer_in_response_to(subject: Node) -> Option<String> {
    children(subject, SAML_NS, "SubjectConfirmation")
        .filter(|c| c.attribute("Method") == Some(BEARER))
        .flat_map(|c| children(c, SAML_NS, "SubjectConfirmationData"))
        .find_map(|data| data.attribute("InResponseTo"))
        .map(str::to_owned)
}

/// Every AudienceRestriction must name this SP exactly (they are ANDed, SAML core 2.5.1.4).
fn check_audience(conditions: Node, sp_entity_id: &str) -> Result<(), Rejection> {
    let mut restrictions = children(conditions, SAML_NS, "AudienceRestriction").peekable();
    if restrictions.peek().is_none() {
        return Err(Rejection::AudienceRestrictionMissing);
    }
    for restriction in restrictions {
        let audiences: Vec<String> = children(restriction, SAML_NS, "Audience")
            .map(|a| text_of(a).trim().to_owned())
            .collect();
        if !audiences.iter().any(|a| a == sp_entity_id) {
            return Err(Rejection::AudienceMismatch {
                expected: sp_entity_id.to_owned(),
                found: audiences.join(", "),
            });
        }
    }
    Ok(())
}

/// Accepts when one bearer SubjectConfirmation fully passes; otherwise reports why the first
/// one failed. Returns that confirmation's NotOnOrAfter, if it has one.
fn check_bearer(
    subject: Node,
    config: &SpConfig,
    response_signed: bool,
    window: &Window,
) -> Result<Option<Timestamp>, Rejection> {
    let mut first_failure = None;
    for confirmation in children(subject, SAML_NS, "SubjectConfirmation") {
        if confirmation.attribute("Method") != Some(BEARER) {
            continue;
        }
        match check_confirmation(confirmation, config, response_signed, window) {
            Ok(end) => return Ok(end),
            Err(e) => {
                first_failure.get_or_insert(e);
            }
        }
    }
    Err(first_failure.unwrap_or(Rejection::NoBearerConfirmation))
}

fn check_confirmation(
    confirmation: Node,
    config: &SpConfig,
    response_signed: bool,
    window: &Window,
) -> Result<Option<Timestamp>, Rejection> {
    let data =
        match children(confirmation, SAML_NS, "SubjectConfirmationData").collect::<Vec<_>>()[..] {
            [] => return Err(Rejection::RecipientMissing),
            [one] => one,
            ref many => {
                return Err(Rejection::DuplicateElement {
                    element: "SubjectConfirmation/SubjectConfirmationData",
                    count: many.len(),
                })
            }
        };
    match data.attribute("Recipient") {
        None => return Err(Rejection::RecipientMissing),
        Some(found) if found != config.acs_url => {
            return Err(Rejection::RecipientMismatch {
                expected: config.acs_url.clone(),
                found: found.to_owned(),
            })
        }
        Some(_) => {}
    }
    let end = window.check(data, "bearer SubjectConfirmationData")?;
    if let Some(expected) = &config.expected_in_response_to {
        match data.attribute("InResponseTo") {
            Some(found) if found != expected => {
                return Err(Rejection::InResponseToMismatch {
                    element: "SubjectConfirmationData",
                    expected: expected.clone(),
                    found: found.to_owned(),
                })
            }
            Some(_) => {}
            // An unsigned Response/@InResponseTo is the presenter's to choose: without a
            // signed match, an unsolicited assertion could finish someone's SP-initiated
            // login and so bypass the organization's IdP-initiated off switch (rule 11).
            None if !response_signed => {
                return Err(Rejection::InResponseToUnsigned {
                    expected: expected.clone(),
                })
            }
            None => {}
        }
    }
    Ok(end)
}

struct Window {
    now: Timestamp,
    skew_s: u32,
}

impl Window {
    /// Valid iff `NotBefore - skew <= now < NotOnOrAfter + skew`; returns NotOnOrAfter.
    fn check(&self, node: Node, element: &'static str) -> Result<Option<Timestamp>, Rejection> {
        let skew = i64::from(self.skew_s);
        if let Some(value) = node.attribute("NotBefore") {
            let not_before = instant("NotBefore", value, true)?;
            if self.now < not_before.plus_seconds(-skew) {
                return Err(Rejection::NotYetValid {
                    element,
                    not_before,
                    now: self.now,
                    skew_s: self.skew_s,
                });
            }
        }
        let Some(value) = node.attribute("NotOnOrAfter") else {
            return Ok(None);
        };
        let not_on_or_after = instant("NotOnOrAfter", value, false)?;
        if self.now >= not_on_or_after.plus_seconds(skew) {
            return Err(Rejection::Expired {
                element,
                not_on_or_after,
                now: self.now,
                skew_s: self.skew_s,
            });
        }
        Ok(Some(not_on_or_after))
    }
}

/// Parses an xs:dateTime. Fractions are truncated, except that a fractional lower bound is
/// rounded up so truncation never widens the window.
fn instant(attribute: &'static str, value: &str, round_up: bool) -> Result<Timestamp, Rejection> {
    let t = Timestamp::parse_rfc3339(value.trim()).ok_or_else(|| Rejection::InvalidTimestamp {
        attribute,
        value: value.to_owned(),
    })?;
    let fractional = value
        .split_once('.')
        .is_some_and(|(_, f)| f.bytes().take_while(u8::is_ascii_digit).any(|b| b != b'0'));
    Ok(if round_up && fractional {
        t.plus_seconds(1)
    } else {
        t
    })
}

/// `local@domain`; with `need_dot`, the domain must also have a dot (`local@domain.tld`),
/// since an unspecified-format NameID is only trusted as an email when it plainly is one.
fn email_shaped(value: &str, need_dot: bool) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !value.chars().any(|c| c.is_whitespace() || c.is_control())
        && (!need_dot || (domain.contains('.') && domain.split('.').all(|l| !l.is_empty())))
}

fn exactly_one<'a, 'input>(
    parent: Node<'a, 'input>,
    ns: &'static str,
    local: &'static str,
    element: &'static str,
) -> Result<Node<'a, 'input>, Rejection> {
    let mut found = children(parent, ns, local);
    let first = found.next().ok_or(Rejection::MissingElement { element })?;
    let extra = found.count();
    if extra > 0 {
        return Err(Rejection::DuplicateElement {
            element,
            count: extra + 1,
        });
    }
    Ok(first)
}

fn qname(node: Node) -> String {
    crate::c14n::element_qname(node.document().input_text(), node).to_owned()
}
