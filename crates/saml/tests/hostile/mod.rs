//! Adversarial Response generators shared by `tests/hostile_shapes.rs` (property tests) and
//! `benches/hostile.rs` (worst-case decision time). Each one starts from the ordinary doubly
//! signed fixture, selects the canonicalization the attack needs for the Assertion's
//! Reference (the sender chooses it, and the digest is computed before any signature is
//! checked) and fills `budget` bytes with one hostile shape. None of them verifies.
#![allow(dead_code)] // each includer uses a different subset

use orgsso_core::Timestamp;
use orgsso_saml::{IdpCertificate, SpConfig};
use std::fmt::Write as _;

pub const ORDINARY: &str = include_str!("../fixtures/signed/both-rsa-sha256-7k.xml");
const CERT: &str = include_str!("../fixtures/test-idp-rsa.crt");

const ROOT_OPEN: &str = "<samlp:Response ";
const ASSERTION_OPEN: &str = "<saml:Assertion ";
const ASSERTION_CLOSE: &str = "</saml:Assertion>";
const EXC_TRANSFORM: &str =
    r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#;

pub fn config() -> SpConfig {
    SpConfig::new(
        "https://sp.example/saml/metadata",
        "https://sp.example/saml/acs",
        vec![IdpCertificate::from_pem(CERT).expect("test certificate")],
    )
}

pub fn now() -> Timestamp {
    Timestamp::parse_rfc3339("2026-03-02T10:01:00Z").expect("fixed time")
}

/// How the Assertion's Reference canonicalizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum C14n {
    /// No c14n transform after the enveloped one: inclusive c14n 1.0, every in-scope
    /// namespace is rendered on the apex.
    Inclusive,
    /// Exclusive c14n, as signed.
    Exclusive,
}

/// Where the hostile bytes go in the ordinary Response.
#[derive(Default)]
pub struct Injection {
    pub c14n: Option<C14n>,
    /// PrefixList of an `ec:InclusiveNamespaces` on the Assertion's exclusive transform.
    pub prefix_list: Option<String>,
    /// Extra attributes (namespace declarations included) on the Response start tag.
    pub root_attributes: String,
    /// Extra attributes on the Assertion start tag.
    pub assertion_attributes: String,
    /// Extra content at the end of the Assertion.
    pub assertion_content: String,
}

impl Injection {
    pub fn render(&self) -> String {
        let mut xml = ORDINARY.to_owned();
        let transform = xml.rfind(EXC_TRANSFORM).expect("assertion transform");
        let replacement = match (&self.prefix_list, self.c14n) {
            (Some(list), _) => format!(
                r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"><ec:InclusiveNamespaces xmlns:ec="http://www.w3.org/2001/10/xml-exc-c14n#" PrefixList="{list}"/></ds:Transform>"#
            ),
            (None, Some(C14n::Inclusive)) => String::new(),
            (None, _) => EXC_TRANSFORM.to_owned(),
        };
        xml.replace_range(transform..transform + EXC_TRANSFORM.len(), &replacement);
        let close = xml.rfind(ASSERTION_CLOSE).expect("assertion end");
        xml.insert_str(close, &self.assertion_content);
        let open = xml.find(ASSERTION_OPEN).expect("assertion start") + ASSERTION_OPEN.len();
        xml.insert_str(open, &self.assertion_attributes);
        let root = xml.find(ROOT_OPEN).expect("response start") + ROOT_OPEN.len();
        xml.insert_str(root, &self.root_attributes);
        xml
    }

    /// Bytes the fixture and the fixed parts of the injection already take.
    fn base_len(&self) -> usize {
        ORDINARY.len() + self.prefix_list.as_ref().map_or(0, |l| l.len() + 150)
    }
}

/// `count` namespace declarations `xmlns:{tag}{i}="urn:{tag}:{i}"`, each followed by a space.
pub fn declarations(tag: &str, count: usize) -> String {
    let mut out = String::with_capacity(count * (tag.len() * 2 + 24));
    for i in 0..count {
        let _ = write!(out, r#"xmlns:{tag}{i}="urn:{tag}:{i}" "#);
    }
    out
}

fn declaration_len(tag: &str, i: usize) -> usize {
    format!(r#"xmlns:{tag}{i}="urn:{tag}:{i}" "#).len()
}

/// How many declarations of `declarations(tag, n)` fit in `bytes`.
fn declarations_fitting(tag: &str, bytes: usize) -> usize {
    let (mut n, mut used) = (0, 0);
    while used + declaration_len(tag, n) <= bytes {
        used += declaration_len(tag, n);
        n += 1;
    }
    n
}

/// One hostile shape: its family, a label, the document.
pub struct Case {
    pub family: &'static str,
    pub label: String,
    pub xml: String,
}

fn case(family: &'static str, label: String, injection: &Injection) -> Case {
    Case {
        family,
        label,
        xml: injection.render(),
    }
}

/// Namespace flood on one element: the Response (inherited by every Assertion element, which
/// inclusive c14n renders on the apex) or the Assertion itself.
pub fn ns_flood(budget: usize) -> Vec<Case> {
    let mut out = Vec::new();
    for (on_root, c14n) in [
        (true, C14n::Inclusive),
        (false, C14n::Inclusive),
        (true, C14n::Exclusive),
    ] {
        let mut inj = Injection {
            c14n: Some(c14n),
            ..Injection::default()
        };
        let n = declarations_fitting("n", budget.saturating_sub(inj.base_len()));
        let decls = declarations("n", n);
        if on_root {
            inj.root_attributes = decls;
        } else {
            inj.assertion_attributes = decls;
        }
        let place = if on_root { "Response" } else { "Assertion" };
        out.push(case(
            "ns_flood_one_element",
            format!("{n} declarations on the {place}, {c14n:?}"),
            &inj,
        ));
    }
    out
}

/// N declarations on the Response and M Assertion children declaring one more each (the
/// parser copies the N in-scope bindings for every child).
pub fn ns_spread(budget: usize) -> Vec<Case> {
    let mut out = Vec::new();
    for root_share in [1usize, 2, 8] {
        let mut inj = Injection {
            c14n: Some(C14n::Inclusive),
            ..Injection::default()
        };
        let room = budget.saturating_sub(inj.base_len());
        let n = declarations_fitting("n", room * root_share / (root_share + 16));
        inj.root_attributes = declarations("n", n);
        let mut left = room.saturating_sub(inj.root_attributes.len());
        let mut m = 0;
        loop {
            let child = format!(r#"<saml:E xmlns:c="urn:c:{m}"/>"#);
            if child.len() > left {
                break;
            }
            left -= child.len();
            inj.assertion_content.push_str(&child);
            m += 1;
        }
        out.push(case(
            "ns_spread",
            format!("{n} on the Response, {m} children declaring one more"),
            &inj,
        ));
    }
    out
}

/// A long `InclusiveNamespaces` PrefixList: of prefixes declared on the Response, or of
/// undeclared ones, over an Assertion with many children.
pub fn prefix_list(budget: usize) -> Vec<Case> {
    let mut out = Vec::new();
    for declared in [true, false] {
        let room = budget.saturating_sub(ORDINARY.len() + 150);
        let mut inj = Injection::default();
        let (list, decls) = if declared {
            let n = declarations_fitting("n", room / 2);
            let list: Vec<String> = (0..n).map(|i| format!("n{i}")).collect();
            (list.join(" "), declarations("n", n))
        } else {
            let mut list = String::new();
            let mut i = 0;
            while list.len() < room * 3 / 4 {
                let _ = write!(list, "u{i} ");
                i += 1;
            }
            (list, String::new())
        };
        inj.root_attributes = decls;
        inj.prefix_list = Some(list);
        let tokens = inj
            .prefix_list
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .count();
        let left = budget.saturating_sub(inj.render().len());
        inj.assertion_content = "<saml:E/>".repeat(left / 9);
        out.push(case(
            "prefix_list",
            format!(
                "{tokens} prefixes ({}), {} children",
                if declared { "declared" } else { "undeclared" },
                left / 9
            ),
            &inj,
        ));
    }
    out
}

/// Attribute floods: all on one element, or spread over many.
pub fn attr_flood(budget: usize) -> Vec<Case> {
    let mut out = Vec::new();
    let attrs = |from: usize, count: usize, prefixed: bool| {
        let mut s = String::new();
        for i in from..from + count {
            let p = if prefixed { "saml:" } else { "" };
            let _ = write!(s, r#"{p}a{i}="" "#);
        }
        s
    };
    let room = budget.saturating_sub(ORDINARY.len());
    for prefixed in [false, true] {
        // Roughly 8–13 bytes per attribute.
        let mut n = room / 9;
        let mut text = attrs(0, n, prefixed);
        while text.len() > room {
            n = n * 95 / 100;
            text = attrs(0, n, prefixed);
        }
        let inj = Injection {
            assertion_content: format!("<saml:E {text}/>"),
            ..Injection::default()
        };
        let kind = if prefixed { "prefixed" } else { "plain" };
        out.push(case(
            "attr_flood",
            format!("{n} {kind} attributes on one element"),
            &inj,
        ));
    }
    for per in [64usize, 256] {
        let mut content = String::new();
        let mut elements = 0;
        loop {
            let el = format!("<saml:E {}/>", attrs(0, per, false));
            if content.len() + el.len() > room {
                break;
            }
            content.push_str(&el);
            elements += 1;
        }
        let inj = Injection {
            assertion_content: content,
            ..Injection::default()
        };
        out.push(case(
            "attr_flood",
            format!("{elements} elements with {per} attributes each"),
            &inj,
        ));
    }
    out
}

/// Chains nested `depth` levels below the Assertion, each level declaring one namespace (so
/// the in-scope set grows with depth), repeated to fill the budget.
pub fn deep_tree(budget: usize, depth: usize) -> Vec<Case> {
    let mut out = Vec::new();
    for declare in [false, true] {
        let mut chain = String::new();
        for level in 0..depth {
            if declare {
                let _ = write!(chain, r#"<saml:D xmlns:d{level}="urn:d:{level}">"#);
            } else {
                chain.push_str("<saml:D>");
            }
        }
        chain.push_str(&"</saml:D>".repeat(depth));
        let room = budget.saturating_sub(ORDINARY.len());
        let copies = (room / chain.len()).max(1);
        let inj = Injection {
            c14n: Some(C14n::Inclusive),
            assertion_content: chain.repeat(copies),
            ..Injection::default()
        };
        let what = if declare {
            "each level declaring a namespace"
        } else {
            "no declarations"
        };
        out.push(case(
            "deep_tree",
            format!("{copies} chains {depth} deep, {what}"),
            &inj,
        ));
    }
    out
}

/// Many siblings in the Assertion, bare or under a few inherited namespaces.
pub fn wide_tree(budget: usize) -> Vec<Case> {
    let mut out = Vec::new();
    for (root_decls, c14n) in [(0usize, C14n::Exclusive), (48, C14n::Inclusive)] {
        let mut inj = Injection {
            c14n: Some(c14n),
            root_attributes: declarations("n", root_decls),
            ..Injection::default()
        };
        let room = budget.saturating_sub(inj.render().len());
        let n = room / 4;
        inj.assertion_content = "<a/>".repeat(n);
        out.push(case(
            "wide_tree",
            format!("{n} siblings under {root_decls} inherited namespaces, {c14n:?}"),
            &inj,
        ));
    }
    out
}

/// The structural limits a shape should stay just within.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub elements: usize,
    pub attributes_total: usize,
    pub attributes: usize,
    pub namespaces_per_element: usize,
    pub namespaces_in_scope: usize,
    pub namespace_declarations: usize,
    pub prefix_list: usize,
    pub depth: usize,
}

/// Namespaces the fixture declares on the Response, and elements it holds (rounded up).
const FIXTURE_ROOT_NS: usize = 4;
const FIXTURE_ELEMENTS: usize = 64;

/// The costliest shapes that pass the pre-parse limits: each family pushed to every bound at
/// once, at up to `budget` bytes. These, not the floods above, are what the parser and
/// canonicalization must digest.
pub fn at_limits(budget: usize, b: Bounds) -> Vec<Case> {
    let mut out = Vec::new();
    // One below the in-scope bound, so every Assertion child can still declare one more
    // (the Signature adds `ds`).
    let root_extra = (b.namespaces_per_element.min(b.namespaces_in_scope - 1))
        .saturating_sub(FIXTURE_ROOT_NS + 1);
    let children = b.elements.saturating_sub(FIXTURE_ELEMENTS);
    let fill = |inj: &mut Injection, child: &dyn Fn(usize) -> String, max: usize| {
        let room = budget.saturating_sub(inj.render().len());
        let mut used = 0;
        for i in 0..max {
            let c = child(i);
            if used + c.len() > room {
                break;
            }
            used += c.len();
            inj.assertion_content.push_str(&c);
        }
    };

    for c14n in [C14n::Inclusive, C14n::Exclusive] {
        let mut inj = Injection {
            c14n: Some(c14n),
            root_attributes: declarations("n", root_extra),
            ..Injection::default()
        };
        fill(&mut inj, &|_| "<saml:E/>".to_owned(), children);
        out.push(case(
            "ns_flood_one_element",
            format!("at limits: {root_extra} more on the Response, {children} children, {c14n:?}"),
            &inj,
        ));
    }

    let spread = children.min(b.namespace_declarations.saturating_sub(root_extra + 64));
    let mut inj = Injection {
        c14n: Some(C14n::Inclusive),
        root_attributes: declarations("n", root_extra),
        ..Injection::default()
    };
    fill(
        &mut inj,
        &|i| format!(r#"<saml:E xmlns:c="urn:c:{i}"/>"#),
        spread,
    );
    out.push(case("ns_spread", format!("at limits: {root_extra} more on the Response, up to {spread} children declaring one more"), &inj));

    let listed = b.prefix_list.min(root_extra);
    let list: Vec<String> = (0..listed).map(|i| format!("n{i}")).collect();
    let mut inj = Injection {
        prefix_list: Some(list.join(" ")),
        root_attributes: declarations("n", root_extra),
        ..Injection::default()
    };
    fill(
        &mut inj,
        &|i| format!(r#"<saml:E xmlns:n{}="urn:r:{i}"/>"#, i % listed.max(1)),
        spread,
    );
    out.push(case(
        "prefix_list",
        format!("at limits: {listed} declared prefixes, children redeclaring them"),
        &inj,
    ));

    for prefixed in [false, true] {
        let p = if prefixed { "saml:" } else { "" };
        let attrs: String = (0..b.attributes)
            .map(|i| format!(r#" {p}a{i}="""#))
            .collect();
        let mut inj = Injection {
            root_attributes: declarations("n", root_extra),
            ..Injection::default()
        };
        let carriers = children.min(b.attributes_total.saturating_sub(64) / b.attributes.max(1));
        fill(&mut inj, &|_| format!("<saml:E{attrs}/>"), carriers);
        out.push(case(
            "attr_flood",
            format!(
                "at limits: elements with {} {} attributes under {root_extra} more namespaces",
                b.attributes,
                if prefixed { "prefixed" } else { "plain" }
            ),
            &inj,
        ));
    }

    let depth = b.depth.saturating_sub(2);
    let declaring = b.namespaces_in_scope.saturating_sub(FIXTURE_ROOT_NS + 1);
    let mut chain = String::new();
    for level in 0..depth {
        if level < declaring {
            let _ = write!(chain, r#"<saml:D xmlns:d{level}="urn:d:{level}">"#);
        } else {
            chain.push_str("<saml:D>");
        }
    }
    chain.push_str(&"</saml:D>".repeat(depth));
    let copies = (children / depth.max(1))
        .min(b.namespace_declarations.saturating_sub(64) / declaring.max(1));
    let mut inj = Injection {
        c14n: Some(C14n::Inclusive),
        ..Injection::default()
    };
    fill(&mut inj, &|_| chain.clone(), copies);
    out.push(case(
        "deep_tree",
        format!(
            "at limits: up to {copies} chains {depth} deep, the first {declaring} levels declaring"
        ),
        &inj,
    ));

    let mut inj = Injection {
        c14n: Some(C14n::Inclusive),
        root_attributes: declarations("n", root_extra),
        ..Injection::default()
    };
    fill(&mut inj, &|_| "<a/>".to_owned(), children);
    out.push(case(
        "wide_tree",
        format!("at limits: {children} siblings under {root_extra} more namespaces"),
        &inj,
    ));

    // The floor: one text node as large as the budget allows, nothing hostile.
    let mut inj = Injection::default();
    let room = budget.saturating_sub(inj.render().len() + 64);
    inj.assertion_content = format!("<saml:E>{}</saml:E>", "x".repeat(room));
    out.push(case(
        "bulk_text",
        format!("{room} bytes of plain text (the linear floor)"),
        &inj,
    ));
    out
}

/// Every family at `budget` bytes (the input limit in the bench): the floods, then the
/// costliest shapes within `bounds`.
pub fn all(budget: usize, bounds: Bounds) -> Vec<Case> {
    let mut out = ns_flood(budget);
    out.extend(ns_spread(budget));
    out.extend(prefix_list(budget));
    out.extend(attr_flood(budget));
    out.extend(deep_tree(budget, bounds.depth.saturating_sub(2)));
    out.extend(wide_tree(budget));
    out.extend(at_limits(budget, bounds));
    out
}
