//! The canonicalization this crate used before it became linear: every in-scope namespace
//! (or PrefixList entry) checked on every element against a stack. Kept only as the oracle
//! the linear one is compared with, byte for byte, on generated documents.

use crate::c14n::{element_qname, escape_attribute, escape_text, prefix_of, Method, XML_NS};
use roxmltree::{Node, NodeId, NodeType};

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
                if node == apex && *method == Method::Inclusive {
                    // c14n 1.0 §2.4: the nearest ancestor's xml:* attributes the apex lacks.
                    for ancestor in apex.ancestors().skip(1) {
                        for attr in ancestor.attributes() {
                            let ns = attr.namespace().unwrap_or("");
                            if ns == XML_NS
                                && !attrs.iter().any(|a| a.0 == ns && a.1 == attr.name())
                            {
                                attrs.push((
                                    ns,
                                    attr.name(),
                                    &input[attr.range_qname()],
                                    attr.value(),
                                ));
                            }
                        }
                    }
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
