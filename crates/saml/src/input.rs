//! Turns the posted `SAMLResponse` (raw XML or base64) into bounded, DTD-free XML text
//! within the structural [`limits`](crate::limits).

use crate::limits;
use crate::Rejection;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;

/// Largest decoded Response accepted; real IdP responses are a few KiB.
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;
/// Base64 inflates by 4/3 and IdPs may wrap lines; anything beyond this is refused unread.
const MAX_ENCODED_BYTES: usize = MAX_RESPONSE_BYTES / 3 * 4 + MAX_RESPONSE_BYTES / 16;

const BOM: &[u8] = b"\xEF\xBB\xBF";

// Some IdPs drop the padding; it carries no information.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes `response` to UTF-8 XML text, refusing oversize input and any DOCTYPE.
pub(crate) fn decode(response: &[u8]) -> Result<String, Rejection> {
    if response.len() > MAX_ENCODED_BYTES {
        return Err(Rejection::TooLarge {
            size: response.len(),
            limit: MAX_ENCODED_BYTES,
        });
    }
    let trimmed = trim_start(response);
    let xml = if trimmed.first() == Some(&b'<') {
        trimmed.to_vec()
    } else {
        let compact: Vec<u8> = trimmed
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        let decoded = LENIENT_BASE64
            .decode(&compact)
            .map_err(|e| Rejection::InvalidBase64 {
                reason: e.to_string(),
            })?;
        let inner = trim_start(&decoded);
        if inner.first() != Some(&b'<') {
            return Err(Rejection::MalformedXml {
                reason: "the decoded SAMLResponse does not start with an XML element".to_owned(),
            });
        }
        inner.to_vec()
    };
    if xml.len() > MAX_RESPONSE_BYTES {
        return Err(Rejection::TooLarge {
            size: xml.len(),
            limit: MAX_RESPONSE_BYTES,
        });
    }
    let text = String::from_utf8(xml).map_err(|_| Rejection::MalformedXml {
        reason: "the document is not UTF-8".to_owned(),
    })?;
    limits::scan(text.as_bytes())?;
    Ok(text)
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::MAX_DEPTH;

    #[test]
    fn raw_xml_with_bom_and_whitespace_is_taken_as_is() {
        assert_eq!(decode(b"\xEF\xBB\xBF \n<a/>").unwrap(), "<a/>");
    }

    #[test]
    fn wrapped_base64_without_padding_is_decoded() {
        assert_eq!(decode(b"PGEv\r\nPg").unwrap(), "<a/>");
    }

    #[test]
    fn invalid_base64_is_rejected() {
        let err = decode(b"not base64 at all!").unwrap_err();
        assert_eq!(err.code(), "saml.invalid_base64");
    }

    #[test]
    fn base64_of_something_other_than_xml_is_rejected() {
        assert_eq!(
            decode(b"aGVsbG8=").unwrap_err().code(),
            "saml.malformed_xml"
        );
    }

    #[test]
    fn doctype_is_rejected_before_parsing() {
        assert_eq!(decode(b"<!DOCTYPE a><a/>").unwrap_err(), Rejection::Doctype);
    }

    #[test]
    fn oversize_input_is_rejected() {
        let big = format!("<a>{}</a>", "x".repeat(MAX_RESPONSE_BYTES));
        assert_eq!(decode(big.as_bytes()).unwrap_err().code(), "saml.too_large");
        let huge = vec![b'A'; MAX_ENCODED_BYTES + 1];
        assert_eq!(decode(&huge).unwrap_err().code(), "saml.too_large");
    }

    #[test]
    fn nesting_is_counted_outside_comments_cdata_and_quoted_values() {
        let deep = format!("{}{}", "<a>".repeat(65), "</a>".repeat(65));
        assert_eq!(
            decode(deep.as_bytes()).unwrap_err(),
            Rejection::TooDeep { limit: MAX_DEPTH }
        );
        let siblings = "<a/>".repeat(1000);
        let fine = format!(
            "<r x='>' y=\"<b>\">{siblings}<!--{c}--><![CDATA[{c}]]><?p {c}?></r>",
            c = "<b>".repeat(100)
        );
        assert!(decode(fine.as_bytes()).is_ok());
    }

    #[test]
    fn non_utf8_xml_is_rejected() {
        assert_eq!(
            decode(b"<a>\xff</a>").unwrap_err().code(),
            "saml.malformed_xml"
        );
    }
}
