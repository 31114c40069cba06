//! Namespaces and small tree helpers shared by the signature and SAML checks.

use roxmltree::Node;

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
