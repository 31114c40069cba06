//! Canonical XML of one element subtree (exclusive c14n, or inclusive c14n 1.0), leaving out
//! the enveloped Signature; only the node kinds a parsed SAML document can hold.

use roxmltree::{Node, NodeId, NodeType};

/// How namespace declarations are rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Method<'a> {
    /// Exclusive c14n: only visibly utilized prefixes, plus the `InclusiveNamespaces`
    /// PrefixList (`""` stands for `#default`).
    Exclusive { inclusive_prefixes: Vec<&'a str> },
    /// Inclusive c14n 1.0: every in-scope namespace.
    Inclusive,
}

enum Step<'a, 'input> {
    Open(Node<'a, 'input>),
    Close(&'input str, usize),
}

/// Appends the canonical form of `apex` to `out`. `exclude` (the enveloped Signature) is
/// left out with its whole subtree. Iterative, so document depth cannot exhaust the stack.
pub(crate) fn canonicalize(
    apex: Node,
    exclude: Option<NodeId>,
    method: &Method,
    out: &mut Vec<u8>,
) {
    // Declarations rendered on the output ancestors, innermost last: (prefix, uri).
    let mut rendered: Vec<(&str, &str)> = Vec::with_capacity(16);
    let mut decls: Vec<(&str, &str)> = Vec::with_capacity(8);
    let mut attrs: Vec<(&str, &str, &str, &str)> = Vec::with_capacity(8);
    let mut todo = vec![Step::Open(apex)];
    let input = apex.document().input_text();
    while let Some(step) = todo.pop() {
        let node = match step {
            Step::Close(qname, mark) => {
                out.extend_from_slice(b"</");
                out.extend_from_slice(qname.as_bytes());
                out.push(b'>');
                rendered.truncate(mark);
                continue;
            }
            Step::Open(node) => node,
        };
        match node.node_type() {
            NodeType::Element => {
                if Some(node.id()) == exclude {
                    continue;
                }
                let qname = element_qname(input, node);
                decls.clear();
                match method {
                    Method::Exclusive { inclusive_prefixes } => {
                        consider(node, prefix_of(qname), &rendered, &mut decls);
                        for attr in node.attributes() {
                            let attr_qname = &input[attr.range_qname()];
                            let prefix = prefix_of(attr_qname);
                            if !prefix.is_empty() && prefix != "xml" {
                                consider(node, prefix, &rendered, &mut decls);
                            }
                        }
                        for prefix in inclusive_prefixes {
                            consider(node, prefix, &rendered, &mut decls);
                        }
                    }
                    Method::Inclusive => {
                        consider(node, "", &rendered, &mut decls);
                        for ns in node.namespaces() {
                            if let Some(prefix) = ns.name() {
                                consider(node, prefix, &rendered, &mut decls);
                            }
                        }
                    }
                }
                decls.sort_unstable_by(|a, b| a.0.cmp(b.0));
                out.push(b'<');
                out.extend_from_slice(qname.as_bytes());
                let mark = rendered.len();
                for &(prefix, uri) in &decls {
                    if prefix.is_empty() {
                        out.extend_from_slice(b" xmlns=\"");
                    } else {
                        out.extend_from_slice(b" xmlns:");
                        out.extend_from_slice(prefix.as_bytes());
                        out.extend_from_slice(b"=\"");
                    }
                    escape_attribute(uri, out);
                    out.push(b'"');
                    rendered.push((prefix, uri));
                }
                attrs.clear();
                for attr in node.attributes() {
                    let ns = attr.namespace().unwrap_or("");
                    attrs.push((ns, attr.name(), &input[attr.range_qname()], attr.value()));
                }
                attrs.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
                for &(_, _, attr_qname, value) in &attrs {
                    out.push(b' ');
                    out.extend_from_slice(attr_qname.as_bytes());
                    out.extend_from_slice(b"=\"");
                    escape_attribute(value, out);
                    out.push(b'"');
                }
                out.push(b'>');
                todo.push(Step::Close(qname, mark));
                todo.extend(node.children().rev().map(Step::Open));
            }
            NodeType::Text => escape_text(node.text().unwrap_or(""), out),
            NodeType::PI => {
                if let Some(pi) = node.pi() {
                    out.extend_from_slice(b"<?");
                    out.extend_from_slice(pi.target.as_bytes());
                    if let Some(value) = pi.value.filter(|v| !v.is_empty()) {
                        out.push(b' ');
                        out.extend_from_slice(value.as_bytes());
                    }
                    out.extend_from_slice(b"?>");
                }
            }
            NodeType::Comment | NodeType::Root => {}
        }
    }
}

/// Queues a declaration of `prefix` unless the nearest output ancestor already rendered the
/// same binding. An unbound default namespace counts as `""`, so `xmlns=""` appears only to
/// undo a rendered default.
fn consider<'a>(
    node: Node<'a, '_>,
    prefix: &'a str,
    rendered: &[(&'a str, &'a str)],
    decls: &mut Vec<(&'a str, &'a str)>,
) {
    if decls.iter().any(|d| d.0 == prefix) {
        return;
    }
    let uri = if prefix.is_empty() {
        node.default_namespace().unwrap_or("")
    } else {
        match node.lookup_namespace_uri(Some(prefix)) {
            Some(uri) => uri,
            None => return,
        }
    };
    let current = rendered
        .iter()
        .rev()
        .find(|r| r.0 == prefix)
        .map_or("", |r| r.1);
    if current != uri {
        decls.push((prefix, uri));
    }
}

/// The element's name as written (`saml:Assertion`), taken from the source so the prefix is
/// the one the signer saw even when two prefixes share a namespace.
pub(crate) fn element_qname<'input>(input: &'input str, node: Node<'_, 'input>) -> &'input str {
    let rest = input.get(node.range().start + 1..).unwrap_or("");
    let end = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .unwrap_or(rest.len());
    &rest[..end]
}

fn prefix_of(qname: &str) -> &str {
    qname.split_once(':').map_or("", |(prefix, _)| prefix)
}

fn escape_text(text: &str, out: &mut Vec<u8>) {
    escape(text, out, |b| match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'>' => Some(b"&gt;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
}

fn escape_attribute(value: &str, out: &mut Vec<u8>) {
    escape(value, out, |b| match b {
        b'&' => Some(b"&amp;"),
        b'<' => Some(b"&lt;"),
        b'"' => Some(b"&quot;"),
        b'\t' => Some(b"&#x9;"),
        b'\n' => Some(b"&#xA;"),
        b'\r' => Some(b"&#xD;"),
        _ => None,
    });
}

fn escape(text: &str, out: &mut Vec<u8>, replacement: impl Fn(u8) -> Option<&'static [u8]>) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if let Some(rep) = replacement(b) {
            out.extend_from_slice(&bytes[start..i]);
            out.extend_from_slice(rep);
            start = i + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c14n(xml: &str, path: &[usize], method: &Method) -> String {
        let doc = roxmltree::Document::parse(xml).unwrap();
        let mut node = doc.root_element();
        for &i in path {
            node = node.children().filter(|n| n.is_element()).nth(i).unwrap();
        }
        let mut out = Vec::new();
        canonicalize(node, None, method, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn exc() -> Method<'static> {
        Method::Exclusive {
            inclusive_prefixes: vec![],
        }
    }

    #[test]
    fn exclusive_c14n_renders_only_visibly_used_namespaces() {
        let xml =
            r#"<r xmlns:a="urn:a" xmlns:b="urn:b" xmlns="urn:d"><a:x b:y="1" c="2"><z/></a:x></r>"#;
        assert_eq!(
            c14n(xml, &[0], &exc()),
            r#"<a:x xmlns:a="urn:a" xmlns:b="urn:b" c="2" b:y="1"><z xmlns="urn:d"></z></a:x>"#
        );
    }

    #[test]
    fn inclusive_prefix_list_pulls_in_unused_namespaces_once() {
        let xml = r#"<r xmlns:xs="urn:xs" xmlns:q="urn:q"><q:x><q:y/></q:x></r>"#;
        let method = Method::Exclusive {
            inclusive_prefixes: vec!["xs"],
        };
        assert_eq!(
            c14n(xml, &[0], &method),
            r#"<q:x xmlns:q="urn:q" xmlns:xs="urn:xs"><q:y></q:y></q:x>"#
        );
    }

    #[test]
    fn inclusive_c14n_renders_every_inherited_namespace_on_the_apex() {
        let xml = r#"<r xmlns:a="urn:a" xmlns="urn:d"><x><a:y/></x></r>"#;
        assert_eq!(
            c14n(xml, &[0], &Method::Inclusive),
            r#"<x xmlns="urn:d" xmlns:a="urn:a"><a:y></a:y></x>"#
        );
    }

    #[test]
    fn default_namespace_is_undeclared_only_when_an_ancestor_rendered_one() {
        let xml = r#"<r xmlns="urn:d"><x><y xmlns=""/></x></r>"#;
        assert_eq!(
            c14n(xml, &[0], &exc()),
            r#"<x xmlns="urn:d"><y xmlns=""></y></x>"#
        );
        let xml = r#"<r><x><y xmlns=""/></x></r>"#;
        assert_eq!(c14n(xml, &[0], &exc()), r#"<x><y></y></x>"#);
    }

    #[test]
    fn attributes_sort_by_namespace_uri_then_local_name_and_values_are_escaped() {
        let xml = "<x xmlns:z=\"urn:a\" xmlns:a=\"urn:z\" a:k=\"1\" z:k=\"2\" b=\"&lt;&amp;&quot;&#9;&#10;&#13;\" a=\"'\"/>";
        assert_eq!(
            c14n(xml, &[], &exc()),
            "<x xmlns:a=\"urn:z\" xmlns:z=\"urn:a\" a=\"'\" b=\"&lt;&amp;&quot;&#x9;&#xA;&#xD;\" z:k=\"2\" a:k=\"1\"></x>"
        );
    }

    #[test]
    fn text_is_escaped_comments_dropped_and_cdata_inlined() {
        let xml = "<x>a&gt;b&amp;<!-- c --><![CDATA[<d>]]>&#13;<?pi  v?></x>";
        assert_eq!(
            c14n(xml, &[], &exc()),
            "<x>a&gt;b&amp;&lt;d&gt;&#xD;<?pi v?></x>"
        );
    }

    #[test]
    fn line_endings_are_normalized_by_the_parser() {
        assert_eq!(c14n("<x>a\r\nb</x>", &[], &exc()), "<x>a\nb</x>");
    }

    #[test]
    fn declarations_are_not_repeated_when_the_same_binding_is_inherited() {
        let xml =
            r#"<p:x xmlns:p="urn:p"><p:y xmlns:p="urn:p"><p:z xmlns:p="urn:other"/></p:y></p:x>"#;
        assert_eq!(
            c14n(xml, &[], &exc()),
            r#"<p:x xmlns:p="urn:p"><p:y><p:z xmlns:p="urn:other"></p:z></p:y></p:x>"#
        );
    }

    #[test]
    fn excluded_subtree_is_left_out() {
        let doc = roxmltree::Document::parse("<x>a<s><t/></s>b</x>").unwrap();
        let s = doc.descendants().find(|n| n.has_tag_name("s")).unwrap();
        let mut out = Vec::new();
        canonicalize(doc.root_element(), Some(s.id()), &exc(), &mut out);
        assert_eq!(out, b"<x>ab</x>");
    }
}
