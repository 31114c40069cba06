//! Fuzzes the checks made before the XML parser runs (`orgsso_saml::pre_parse`: size, base64,
//! DOCTYPE, UTF-8 and the structural limits of `orgsso_saml::limits`). Nothing may panic, and
//! the scan must never count lower than the parser sees: whenever it lets a document through
//! that `roxmltree` (as the verifier configures it) then parses, the tree is within every
//! limit, since those limits are what bound the parser's and canonicalization's work.
#![no_main]

use libfuzzer_sys::fuzz_target;
use orgsso_saml::limits::{
    MAX_ATTRIBUTES, MAX_ATTRIBUTES_PER_ELEMENT, MAX_DEPTH, MAX_ELEMENTS, MAX_NAMESPACES_IN_SCOPE,
};
use roxmltree::{Document, ParsingOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = orgsso_saml::pre_parse(data) else {
        return;
    };
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: u32::MAX,
    };
    let Ok(doc) = Document::parse_with_options(&text, options) else {
        return;
    };
    let (mut elements, mut attributes) = (0usize, 0usize);
    for node in doc.descendants().filter(|n| n.is_element()) {
        elements += 1;
        let own = node.attributes().len();
        attributes += own;
        assert!(
            own <= MAX_ATTRIBUTES_PER_ELEMENT,
            "{own} attributes passed the scan"
        );
        let depth = node.ancestors().filter(|n| n.is_element()).count();
        assert!(depth <= MAX_DEPTH + 1, "depth {depth} passed the scan");
        let in_scope = node
            .namespaces()
            .filter(|ns| ns.name() != Some("xml"))
            .count();
        assert!(
            in_scope <= MAX_NAMESPACES_IN_SCOPE,
            "{in_scope} namespaces in scope passed the scan"
        );
    }
    assert!(
        elements <= MAX_ELEMENTS,
        "{elements} elements passed the scan"
    );
    assert!(
        attributes <= MAX_ATTRIBUTES,
        "{attributes} attributes passed the scan"
    );
});
