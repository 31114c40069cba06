//! Hostile shapes (namespace floods, PrefixLists, attribute floods, deep and wide trees) at
//! random sizes: each is decided, by a clean rejection, without a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test root: failing loudly is the point

mod hostile;

use orgsso_saml::{limits, verify, MAX_RESPONSE_BYTES};
use proptest::prelude::*;

fn bounds() -> hostile::Bounds {
    hostile::Bounds {
        elements: limits::MAX_ELEMENTS,
        attributes_total: limits::MAX_ATTRIBUTES,
        attributes: limits::MAX_ATTRIBUTES_PER_ELEMENT,
        namespaces_per_element: limits::MAX_NAMESPACES_PER_ELEMENT,
        namespaces_in_scope: limits::MAX_NAMESPACES_IN_SCOPE,
        namespace_declarations: limits::MAX_NAMESPACE_DECLARATIONS,
        prefix_list: limits::MAX_PREFIX_LIST,
        depth: limits::MAX_DEPTH,
    }
}

/// The structural rejections, and what a shape within them ends in: the fixture was altered.
const EXPECTED: [&str; 10] = [
    "saml.too_large",
    "saml.too_deep",
    "saml.too_many_elements",
    "saml.too_many_attributes",
    "saml.too_many_attributes_in_document",
    "saml.too_many_namespaces",
    "saml.too_many_namespaces_in_scope",
    "saml.too_many_namespace_declarations",
    "saml.prefix_list_too_long",
    "saml.digest_mismatch",
];

fn decide(case: &hostile::Case) {
    let (config, now) = (hostile::config(), hostile::now());
    match verify(case.xml.as_bytes(), &config, now) {
        Ok(_) => {
            // Unused namespace declarations on the Response are outside its exclusive c14n.
            assert!(
                case.label.contains("Exclusive"),
                "{} was accepted",
                case.label
            );
        }
        Err(rejection) => assert!(
            EXPECTED.contains(&rejection.code()),
            "{}: unexpected {rejection:?}",
            case.label
        ),
    }
}

#[test]
fn every_family_at_the_input_limit_is_decided() {
    for case in hostile::all(MAX_RESPONSE_BYTES, bounds()) {
        decide(&case);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn hostile_shapes_of_any_size_are_decided_cleanly(
        budget in 7_000usize..MAX_RESPONSE_BYTES,
        depth in 1usize..80,
        family in 0usize..7,
    ) {
        let cases = match family {
            0 => hostile::ns_flood(budget),
            1 => hostile::ns_spread(budget),
            2 => hostile::prefix_list(budget),
            3 => hostile::attr_flood(budget),
            4 => hostile::deep_tree(budget, depth),
            5 => hostile::wide_tree(budget),
            _ => hostile::at_limits(budget, bounds()),
        };
        for case in &cases {
            decide(case);
        }
    }
}
