//! Structural limits enforced on the decoded bytes before any XML parser sees them, in one
//! linear pass. The parser (`roxmltree` 0.20) and canonicalization do work per element that
//! grows with the namespaces in scope and the attributes on it (the parser copies an
//! element's inherited bindings whenever it declares one more, checks each declaration and
//! each attribute against the element's others, and resolves every prefix by a scan of the
//! in-scope list), so these bounds, not the size limit alone, are what keep a hostile
//! Response cheap to refuse. Each is far above what real IdPs send (ADFS, Entra ID, Okta,
//! OneLogin, Shibboleth, SimpleSAMLphp: at most about ten declarations on one element, eight
//! in scope, eight attributes on one element, two PrefixList entries) and each refusal has its
//! own [`Rejection`].

use crate::xml::{declared_prefix, find_byte, start_tag};
use crate::Rejection;

/// Deeper than any real Response (about 10 levels) by a wide margin; the parser recurses per
/// level, so this also protects its stack.
pub const MAX_DEPTH: usize = 64;

/// Elements in the whole document. A real Response holds a few dozen plus one per attribute
/// value; 8192 leaves room for thousands of group values (Entra ID sends at most 150 groups
/// and then a link), and bounds the per-element work of parsing and canonicalization.
pub const MAX_ELEMENTS: usize = 8192;

/// Attributes on one element, namespace declarations not counted. SAML elements carry at most
/// about eight (a Response: ID, Version, IssueInstant, Destination, InResponseTo, Consent);
/// the parser checks each new attribute against the element's others (quadratic per element).
pub const MAX_ATTRIBUTES_PER_ELEMENT: usize = 16;

/// Attributes in the whole document, namespace declarations not counted. A real Response has
/// one or two per element; with [`MAX_ATTRIBUTES_PER_ELEMENT`] this bounds the parser's
/// duplicate-attribute comparisons to a few tens of thousands.
pub const MAX_ATTRIBUTES: usize = 8192;

/// Namespace declarations on one element. IdPs declare at most about ten, on the Response;
/// the parser checks each against the element's others.
pub const MAX_NAMESPACES_PER_ELEMENT: usize = 16;

/// Namespace declarations on one element and all its ancestors (redeclarations counted
/// again), so at least the bindings in scope there. Real Responses have at most about eight
/// in scope. The parser copies the inherited ones for every element that declares another,
/// and compares each with the new ones: the cost of N inherited bindings over M declaring
/// children is about M·N²/2, which this keeps small.
pub const MAX_NAMESPACES_IN_SCOPE: usize = 16;

/// Namespace declarations in the whole document. Okta and OpenSAML declare `xs` and `xsi` on
/// every AttributeValue, so this allows about 1000 typed values (about 1400 fit in the size
/// limit written that way); it bounds how often the parser copies inherited bindings.
pub const MAX_NAMESPACE_DECLARATIONS: usize = 2048;

/// Prefixes in one `InclusiveNamespaces` PrefixList. IdPs send `xs`, `xsi`, `#default` or a
/// few more; exclusive canonicalization looks each one up on the signed element.
pub const MAX_PREFIX_LIST: usize = 32;

/// The longest element name quoted back in a rejection.
const NAME_IN_MESSAGE: usize = 64;

/// Checks every limit above in one pass over `xml`, skipping comments, CDATA and processing
/// instructions the way the parser does, so nothing the parser will see is counted lower than
/// it will be. Stops at the first tag the parser would refuse as malformed: it never reads
/// past it. Counts only, so linear in the input.
pub(crate) fn scan(xml: &[u8]) -> Result<(), Rejection> {
    // Namespace declarations on each open element and its ancestors, innermost last.
    let mut open: Vec<usize> = Vec::with_capacity(MAX_DEPTH);
    let mut elements = 0usize;
    let mut declarations = 0usize;
    let mut total_attributes = 0usize;
    let mut i = 0;
    while let Some(offset) = find_byte(&xml[i..], b'<') {
        i += offset;
        let rest = &xml[i..];
        // Just past the first `end` in `rest`, found by its last byte.
        let skip_past = |end: &[u8]| {
            let last = end.last().copied().unwrap_or(b'>');
            let mut from = 0;
            while let Some(p) = find_byte(&rest[from..], last) {
                let stop = from + p + 1;
                if rest[..stop].ends_with(end) {
                    return i + stop;
                }
                from = stop;
            }
            xml.len()
        };
        if rest.starts_with(b"<!--") {
            i = skip_past(b"-->");
        } else if rest.starts_with(b"<![CDATA[") {
            i = skip_past(b"]]>");
        } else if rest.starts_with(b"<?") {
            i = skip_past(b"?>");
        } else if rest.starts_with(b"</") {
            open.pop();
            i = skip_past(b">");
        } else if rest.starts_with(b"<!DOCTYPE") {
            return Err(Rejection::Doctype);
        } else if rest.starts_with(b"<!") {
            // Any other `<!` is malformed here: the parser stops at it.
            return Ok(());
        } else {
            let (mut attributes, mut namespaces, mut prefixes) = (0usize, 0usize, 0usize);
            let mut bad_uri = None;
            let Some(tag) = start_tag(xml, i, |name, value| {
                let name = &xml[name];
                if declared_prefix(name).is_some() {
                    namespaces += 1;
                    if bad_uri.is_none() && !absolute_uri_or_empty(&xml[value.clone()]) {
                        bad_uri = Some(value);
                    }
                } else {
                    attributes += 1;
                    if name.rsplit(|&b| b == b':').next() == Some(&b"PrefixList"[..]) {
                        prefixes = prefixes.max(prefix_count(&xml[value]));
                    }
                }
            }) else {
                return Ok(());
            };
            let element = || {
                let name = String::from_utf8_lossy(&xml[tag.name.clone()]);
                name.chars().take(NAME_IN_MESSAGE).collect::<String>()
            };
            elements += 1;
            if elements > MAX_ELEMENTS {
                return Err(Rejection::TooManyElements {
                    limit: MAX_ELEMENTS,
                });
            }
            total_attributes += attributes;
            if total_attributes > MAX_ATTRIBUTES {
                return Err(Rejection::TooManyAttributesInDocument {
                    limit: MAX_ATTRIBUTES,
                });
            }
            if attributes > MAX_ATTRIBUTES_PER_ELEMENT {
                return Err(Rejection::TooManyAttributes {
                    element: element(),
                    count: attributes,
                    limit: MAX_ATTRIBUTES_PER_ELEMENT,
                });
            }
            if namespaces > MAX_NAMESPACES_PER_ELEMENT {
                return Err(Rejection::TooManyNamespaces {
                    element: element(),
                    count: namespaces,
                    limit: MAX_NAMESPACES_PER_ELEMENT,
                });
            }
            let in_scope = open.last().copied().unwrap_or(0) + namespaces;
            if in_scope > MAX_NAMESPACES_IN_SCOPE {
                return Err(Rejection::TooManyNamespacesInScope {
                    element: element(),
                    limit: MAX_NAMESPACES_IN_SCOPE,
                });
            }
            declarations += namespaces;
            if declarations > MAX_NAMESPACE_DECLARATIONS {
                return Err(Rejection::TooManyNamespaceDeclarations {
                    limit: MAX_NAMESPACE_DECLARATIONS,
                });
            }
            if let Some(value) = bad_uri {
                let uri = String::from_utf8_lossy(&xml[value]);
                return Err(Rejection::NamespaceUriNotAbsolute {
                    uri: uri.chars().take(NAME_IN_MESSAGE).collect(),
                });
            }
            if prefixes > MAX_PREFIX_LIST {
                return Err(Rejection::PrefixListTooLong {
                    count: prefixes,
                    limit: MAX_PREFIX_LIST,
                });
            }
            if !tag.self_closing {
                open.push(in_scope);
                if open.len() > MAX_DEPTH {
                    return Err(Rejection::TooDeep { limit: MAX_DEPTH });
                }
            }
            i = tag.end;
        }
        if i >= xml.len() {
            break;
        }
    }
    Ok(())
}

/// Whether a namespace declaration's value (as written) is empty or an absolute URI: a
/// scheme, then only characters RFC 3986 allows, `%` only before two hex digits, and of the
/// references only `&amp;` and `&apos;`. Canonical XML must fail on relative namespace URIs
/// (c14n 1.0 §2, applied by libxml2 to every declaration in the document), so a signature
/// over such a document is one xmlsec1 never accepts; real IdPs use `urn:` and `http(s):`.
fn absolute_uri_or_empty(raw: &[u8]) -> bool {
    if raw.is_empty() {
        return true;
    }
    let Some(colon) = raw.iter().position(|&b| b == b':') else {
        return false;
    };
    let scheme = &raw[..colon];
    let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return false;
    }
    let mut i = colon + 1;
    while let Some(&b) = raw.get(i) {
        i += match b {
            b'&' if raw[i..].starts_with(b"&amp;") => 5,
            b'&' if raw[i..].starts_with(b"&apos;") => 6,
            b'%' if raw
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
            {
                3
            }
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => 1,
            b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'\'' | b'(' | b')' | b'*' | b'+' | b','
            | b';' | b'=' | b':' | b'@' | b'/' | b'?' | b'#' => 1,
            _ => return false,
        };
    }
    true
}

/// At least as many prefixes as the parsed PrefixList will hold: each run of non-space bytes,
/// plus one per character reference (`&#32;` becomes a separator once parsed).
fn prefix_count(raw: &[u8]) -> usize {
    let mut count = 0;
    let mut in_token = false;
    for &b in raw {
        let space = matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        if !space && !in_token {
            count += 1;
        }
        in_token = !space;
        if b == b'&' {
            count += 1;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(xml: &str) -> Option<&'static str> {
        scan(xml.as_bytes()).err().map(|r| r.code())
    }

    fn element_with(attributes: usize, declarations: usize) -> String {
        let mut tag = String::from("<r");
        for i in 0..attributes {
            tag.push_str(&format!(" a{i}=\"v\""));
        }
        for i in 0..declarations {
            tag.push_str(&format!(" xmlns:p{i}='urn:{i}'"));
        }
        tag + "/>"
    }

    #[test]
    fn a_real_response_shape_is_within_every_limit() {
        let xml = crate::testkit::TEMPLATE;
        assert_eq!(code(xml), None);
    }

    #[test]
    fn attributes_on_one_element_are_bounded() {
        assert_eq!(code(&element_with(MAX_ATTRIBUTES_PER_ELEMENT, 0)), None);
        assert_eq!(
            code(&element_with(MAX_ATTRIBUTES_PER_ELEMENT + 1, 0)),
            Some("saml.too_many_attributes")
        );
    }

    #[test]
    fn attributes_in_the_document_are_bounded() {
        let child = "<c a='1' b='2'/>";
        let fine = format!("<r>{}</r>", child.repeat(MAX_ATTRIBUTES / 2));
        assert_eq!(code(&fine), None);
        let over = format!("<r z='0'>{}</r>", child.repeat(MAX_ATTRIBUTES / 2));
        assert_eq!(code(&over), Some("saml.too_many_attributes_in_document"));
    }

    #[test]
    fn namespace_declarations_on_one_element_are_bounded() {
        assert_eq!(code(&element_with(0, MAX_NAMESPACES_PER_ELEMENT)), None);
        assert_eq!(
            scan(element_with(0, MAX_NAMESPACES_PER_ELEMENT + 1).as_bytes()),
            Err(Rejection::TooManyNamespaces {
                element: "r".into(),
                count: MAX_NAMESPACES_PER_ELEMENT + 1,
                limit: MAX_NAMESPACES_PER_ELEMENT
            })
        );
    }

    #[test]
    fn namespaces_inherited_from_ancestors_are_bounded() {
        let half = MAX_NAMESPACES_IN_SCOPE / 2;
        let inner = element_with(0, half + 1).replacen("<r", "<c", 1);
        let xml = format!("{}{inner}</r>", element_with(0, half).replace("/>", ">"));
        assert_eq!(code(&xml), Some("saml.too_many_namespaces_in_scope"));
        // Siblings do not add up.
        let sibling = element_with(0, half).replacen("<r", "<c", 1);
        let xml = format!("<r>{}</r>", sibling.repeat(3));
        assert_eq!(code(&xml), None);
    }

    #[test]
    fn namespace_declarations_in_the_document_are_bounded() {
        let child = "<c xmlns:x='urn:x'/>";
        let fine = format!("<r>{}</r>", child.repeat(MAX_NAMESPACE_DECLARATIONS));
        assert_eq!(code(&fine), None);
        let over = format!(
            "<r xmlns:y='urn:y'>{}</r>",
            child.repeat(MAX_NAMESPACE_DECLARATIONS)
        );
        assert_eq!(code(&over), Some("saml.too_many_namespace_declarations"));
    }

    #[test]
    fn elements_in_the_document_are_bounded() {
        let fine = format!("<r>{}</r>", "<a/>".repeat(MAX_ELEMENTS - 1));
        assert_eq!(code(&fine), None);
        let over = format!("<r>{}</r>", "<a/>".repeat(MAX_ELEMENTS));
        assert_eq!(code(&over), Some("saml.too_many_elements"));
    }

    #[test]
    fn prefix_lists_are_bounded_counting_character_references_as_separators() {
        let list = |n: usize, sep: &str| {
            let words: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
            format!(
                "<r><ec:InclusiveNamespaces PrefixList=\"{}\"/></r>",
                words.join(sep)
            )
        };
        assert_eq!(code(&list(MAX_PREFIX_LIST, " \n ")), None);
        assert_eq!(
            code(&list(MAX_PREFIX_LIST + 1, " ")),
            Some("saml.prefix_list_too_long")
        );
        assert_eq!(
            code(&list(MAX_PREFIX_LIST + 1, "&#32;")),
            Some("saml.prefix_list_too_long")
        );
    }

    #[test]
    fn markup_inside_comments_cdata_and_values_is_not_counted() {
        let flood = element_with(0, MAX_NAMESPACES_PER_ELEMENT + 1);
        let xml = format!(
            "<?xml version='1.0'?><r a='{q}' b=\"{q}\"><!--{flood}--><![CDATA[{flood}]]><?pi {flood}?></r>",
            q = flood.replace(['\'', '"'], "").replace('<', "&lt;")
        );
        assert_eq!(code(&xml), None);
    }

    #[test]
    fn depth_is_counted_on_open_elements_only() {
        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(code(&deep), Some("saml.too_deep"));
        let fine = format!(
            "{}<b/>{}",
            "<a>".repeat(MAX_DEPTH),
            "</a>".repeat(MAX_DEPTH)
        );
        assert_eq!(code(&fine), None);
    }

    #[test]
    fn a_doctype_is_refused_wherever_the_parser_would_see_it() {
        assert_eq!(
            code("<?xml version='1.0'?><!DOCTYPE a><a/>"),
            Some("saml.doctype")
        );
        assert_eq!(
            code("<!--x--><!DOCTYPE a [<!ENTITY e 'x'>]><a/>"),
            Some("saml.doctype")
        );
        // Inside a comment, CDATA or a value it is text, not a declaration.
        assert_eq!(
            code("<a b='<!DOCTYPE'><!-- <!DOCTYPE a> --><![CDATA[<!DOCTYPE a>]]></a>"),
            None
        );
    }

    #[test]
    fn namespace_uris_must_be_absolute() {
        for fine in [
            "urn:oasis:names:tc:SAML:2.0:assertion",
            "http://www.w3.org/2001/XMLSchema?a=1&amp;b=%2F#x",
            "",
        ] {
            assert_eq!(
                code(&format!("<r xmlns:a='{fine}' xmlns='{fine}'/>")),
                None,
                "{fine}"
            );
        }
        for bad in [
            "relative/path",
            "urn:oasis:names>tc",
            "1urn:x",
            "urn:a b",
            "urn:%zz",
            "urn:&lt;",
            "urn:é",
            ":x",
        ] {
            assert_eq!(
                code(&format!("<r><c xmlns:a=\"{bad}\"/></r>")),
                Some("saml.namespace_uri_not_absolute"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_scan_stops_at_a_tag_the_parser_refuses() {
        let after = element_with(0, MAX_NAMESPACES_PER_ELEMENT + 1);
        assert_eq!(code(&format!("<r><a b></a>{after}</r>")), None);
        assert!(roxmltree::Document::parse("<r><a b></a></r>").is_err());
    }
}
