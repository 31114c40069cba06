//! Namespaces and small tree helpers shared by the signature and SAML checks.

use roxmltree::Node;
use std::ops::Range;

pub(crate) const SAMLP_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub(crate) const SAML_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub(crate) const DSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub(crate) const EXC_C14N_NS: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";

/// Direct element children with this expanded name.
pub(crate) fn children<'a, 'input: 'a>(
    node: Node<'a, 'input>,
    ns: &'a str,
    local: &'a str,
) -> impl Iterator<Item = Node<'a, 'input>> + 'a {
    node.children()
        .filter(move |n| n.is_element() && n.has_tag_name((ns, local)))
}

/// Concatenation of the direct text children: comments and processing instructions split
/// text nodes but must never truncate a value.
pub(crate) fn text_of(node: Node) -> String {
    node.children()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// A start tag as written: where its name is, where it ends, whether it closes itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StartTag {
    pub name: Range<usize>,
    /// Index just past the closing `>`.
    pub end: usize,
    pub self_closing: bool,
}

/// Tokenizes the start tag whose `<` is at `lt`, calling `on_attribute(name, raw value)` for
/// each attribute (namespace declarations included) in source order. `None` when the tag is
/// not well-formed (missing `=` or quote, unterminated): the XML parser refuses the document
/// at that same tag, so a caller bounding the parser's work may stop counting there. Linear
/// in the tag: attribute values cannot hold their own quote, names end at `=`, whitespace,
/// `/` or `>`.
pub(crate) fn start_tag(
    xml: &[u8],
    lt: usize,
    mut on_attribute: impl FnMut(Range<usize>, Range<usize>),
) -> Option<StartTag> {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\r' | b'\n');
    let name_end = |from: usize| {
        xml[from..]
            .iter()
            .position(|&b| is_space(b) || matches!(b, b'=' | b'/' | b'>'))
            .map_or(xml.len(), |p| from + p)
    };
    let skip_space = |from: usize| {
        xml[from..]
            .iter()
            .position(|&b| !is_space(b))
            .map_or(xml.len(), |p| from + p)
    };
    let start = lt + 1;
    let name = start..name_end(start);
    if name.is_empty() {
        return None;
    }
    let mut i = name.end;
    loop {
        let after_space = skip_space(i);
        match xml.get(after_space)? {
            b'>' => {
                return Some(StartTag {
                    name,
                    end: after_space + 1,
                    self_closing: false,
                })
            }
            b'/' => {
                return (xml.get(after_space + 1) == Some(&b'>')).then_some(StartTag {
                    name,
                    end: after_space + 2,
                    self_closing: true,
                })
            }
            _ if after_space == i => return None, // attributes must be separated by space
            _ => {}
        }
        let attr = after_space..name_end(after_space);
        if attr.is_empty() {
            return None;
        }
        let eq = skip_space(attr.end);
        if xml.get(eq) != Some(&b'=') {
            return None;
        }
        let open = skip_space(eq + 1);
        let quote = *xml.get(open).filter(|&&q| q == b'"' || q == b'\'')?;
        let close = xml[open + 1..].iter().position(|&b| b == quote)? + open + 1;
        on_attribute(attr, open + 1..close);
        i = close + 1;
    }
}

/// Index of the first `needle` in `haystack`, eight bytes at a time: the pre-parse checks
/// look for `<` over the whole input, and a plain byte loop was a tenth of a large
/// Response's decision time.
pub(crate) fn find_byte(haystack: &[u8], needle: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let pattern = LO.wrapping_mul(u64::from(needle));
    let mut chunks = haystack.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word) ^ pattern;
        // Non-zero exactly when some byte of `x` is zero, i.e. equals `needle`.
        if x.wrapping_sub(LO) & !x & HI != 0 {
            return chunk.iter().position(|&b| b == needle).map(|p| offset + p);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == needle)
        .map(|p| offset + p)
}

/// The prefix a namespace declaration binds (`""` for `xmlns`), if `name` is one.
pub(crate) fn declared_prefix(name: &[u8]) -> Option<&[u8]> {
    if name == b"xmlns" {
        Some(b"")
    } else {
        name.strip_prefix(b"xmlns:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_byte_agrees_with_a_plain_search() {
        let text = b"abcdefgh<ijklmnopqrstu<vwxyz\x80\xff<";
        for start in 0..text.len() {
            for end in start..=text.len() {
                let hay = &text[start..end];
                for needle in [b'<', b'a', b'z', 0x80, 0xff, 0] {
                    assert_eq!(
                        find_byte(hay, needle),
                        hay.iter().position(|&b| b == needle),
                        "{start}..{end} {needle}"
                    );
                }
            }
        }
    }
}
