//! Differential test against libxmlsec1 (`xmlsec1 --verify`): on the shared corpus and on
//! responses with canonicalization edge cases signed by `xmlsec1 --sign`, byte-flipped
//! afterwards. Hard rule: whenever we call a signature valid, xmlsec1 must too. Where only
//! xmlsec1 accepts, our refusal must be a policy (algorithm, transform, reference, structure),
//! never a digest or key failure, which would mean our canonicalization differs.
//! Skipped with a note when xmlsec1 is not installed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test root: failing loudly is the point

mod peers;

use orgsso_saml::{check_signature_only, IdpCertificate, Rejection, SignedElement, SpConfig};
use std::path::{Path, PathBuf};
use std::process::Command;

const ID_ATTRS: [&str; 4] = [
    "--id-attr:ID",
    "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
    "--id-attr:ID",
    "urn:oasis:names:tc:SAML:2.0:protocol:Response",
];
const RESPONSE_SIG: &str = "/*[local-name()='Response']/*[local-name()='Signature']";
const ASSERTION_SIG: &str =
    "/*[local-name()='Response']/*[local-name()='Assertion']/*[local-name()='Signature']";

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn xmlsec1_available() -> bool {
    Command::new("xmlsec1")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn xpath(element: SignedElement) -> &'static str {
    match element {
        SignedElement::Response => RESPONSE_SIG,
        SignedElement::Assertion => ASSERTION_SIG,
    }
}

/// xmlsec1's verdict, trying each trusted certificate on its own (xmlsec1 given several keys
/// without a KeyName uses only one). `None` when the signature cannot be selected
/// unambiguously (the XPath matches several nodes), which leaves nothing to compare.
fn xmlsec_verifies(file: &Path, certs: &[PathBuf], element: SignedElement) -> Option<bool> {
    for cert in certs {
        let output = Command::new("xmlsec1")
            .arg("--verify")
            .args(ID_ATTRS)
            .args(["--enabled-key-data", "rsa,ecdsa", "--pubkey-cert-pem"])
            .arg(cert)
            .args(["--node-xpath", xpath(element)])
            .arg(file)
            .output()
            .ok()?;
        if output.status.success() {
            return Some(true);
        }
        if String::from_utf8_lossy(&output.stderr).contains("does not return a single node") {
            return None;
        }
    }
    Some(false)
}

fn ours(xml: &[u8], certs: &[PathBuf], element: SignedElement) -> Result<(), Rejection> {
    let certs = certs
        .iter()
        .map(|c| IdpCertificate::from_pem(&std::fs::read_to_string(c).unwrap()).unwrap())
        .collect();
    let mut config = SpConfig::new("sp", "acs", certs);
    config.allow_sha1 = true;
    check_signature_only(xml, element, &config)
}

#[derive(Default)]
struct Tally {
    agree: usize,
    ambiguous: usize,
    policy_only: Vec<String>,
    failures: Vec<String>,
}

impl Tally {
    fn compare(
        &mut self,
        label: &str,
        xml: &[u8],
        file: &Path,
        certs: &[PathBuf],
        element: SignedElement,
    ) {
        let ours = ours(xml, certs, element);
        let Some(theirs) = xmlsec_verifies(file, certs, element) else {
            // No single signature node for xmlsec1: agreement when we found none either.
            match ours {
                Err(Rejection::Unsigned) => self.agree += 1,
                _ => self.ambiguous += 1,
            }
            return;
        };
        match (ours, theirs) {
            (Ok(()), true) | (Err(_), false) => self.agree += 1,
            (Ok(()), false) => self
                .failures
                .push(format!("{label} {element}: we accept, xmlsec1 rejects")),
            (Err(e @ (Rejection::DigestMismatch { .. } | Rejection::WrongKey { .. })), true) => {
                self.failures
                    .push(format!("{label} {element}: xmlsec1 accepts, we say {e}"))
            }
            (Err(e), true) => self
                .policy_only
                .push(format!("{label} {element}: {}", e.code())),
        }
    }

    fn finish(self, what: &str) {
        println!(
            "{what}: {} agreements, {} refused by policy only, {} not comparable",
            self.agree,
            self.policy_only.len(),
            self.ambiguous
        );
        for p in &self.policy_only {
            println!("  policy: {p}");
        }
        assert!(
            self.failures.is_empty(),
            "{what}:\n{}",
            self.failures.join("\n")
        );
    }
}

#[test]
fn signature_verdicts_agree_with_xmlsec1_on_the_corpus() {
    if !xmlsec1_available() {
        peers::skip_without_peer("xmlsec1 is not installed");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/saml-corpus");
    let Ok(manifest) = std::fs::read_to_string(dir.join("manifest.tsv")) else {
        peers::skip_without_peer(&format!("no SAML corpus at {}", dir.display()));
        return;
    };
    let tmp = tempdir();
    let mut tally = Tally::default();
    let mut seen = std::collections::HashSet::new();
    for line in manifest.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (file, certs) = (cols[1], cols[4]);
        if !seen.insert((file, certs)) {
            continue;
        }
        let raw = std::fs::read(dir.join(file)).unwrap();
        let xml = if file.ends_with(".b64") {
            b64_decode(&raw)
        } else {
            raw
        };
        let path = tmp.join("case.xml");
        std::fs::write(&path, &xml).unwrap();
        let certs: Vec<PathBuf> = certs.split(',').map(|c| dir.join(c)).collect();
        for element in [SignedElement::Assertion, SignedElement::Response] {
            tally.compare(cols[0], &xml, &path, &certs, element);
        }
    }
    tally.finish("corpus");
}

/// Assertion bodies that stress canonicalization; `{SIG}` marks the Signature template.
fn variants() -> Vec<(&'static str, String, String)> {
    const A: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
    let subject = r#"<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">alice@example.com</saml:NameID></saml:Subject>"#;
    let exc_sig = sig_template(
        "ds",
        EXC,
        &format!(r#"<ds:Transform Algorithm="{ENV}"/><ds:Transform Algorithm="{EXC}"/>"#),
    );
    let mut out: Vec<(&'static str, String, String)> = vec![
        ("plain", String::new(), format!(r#"<saml:Assertion ID="_a" Version="2.0"><saml:Issuer>idp</saml:Issuer>{{SIG}}{subject}</saml:Assertion>"#)),
        ("default-namespace", String::new(), format!(r#"<Assertion xmlns="{A}" ID="_a" Version="2.0"><Issuer>idp</Issuer>{{SIG}}<Subject><NameID>alice@example.com</NameID></Subject><Advice><x xmlns="">undeclared default</x></Advice></Assertion>"#)),
        ("unused-and-redeclared", r#" xmlns:foo="urn:foo" xmlns:bar="urn:bar""#.to_owned(), format!(r#"<saml:Assertion xmlns:baz="urn:baz" xmlns:saml="{A}" ID="_a" Version="2.0"><saml:Issuer xmlns:saml="{A}">idp</saml:Issuer>{{SIG}}<saml:Subject xmlns:foo="urn:foo2"><saml:NameID foo:x="1">alice@example.com</saml:NameID></saml:Subject></saml:Assertion>"#)),
        ("two-prefixes-one-uri", format!(r#" xmlns:saml2="{A}""#), r#"<saml:Assertion ID="_a" Version="2.0"><saml2:Issuer>idp</saml2:Issuer>{SIG}<saml:Subject><saml2:NameID>alice@example.com</saml2:NameID></saml:Subject></saml:Assertion>"#.to_owned()),
        ("namespaced-attributes-sorted", r#" xmlns:z="urn:a" xmlns:a="urn:z""#.to_owned(), format!(r#"<saml:Assertion b="2" a:k="1" z:k="2" ID="_a" Version="2.0" a="1"><saml:Issuer>idp</saml:Issuer>{{SIG}}{subject}</saml:Assertion>"#)),
        ("xml-lang-and-xsi-type", r#" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#.to_owned(), format!(r#"<saml:Assertion ID="_a" Version="2.0"><saml:Issuer>idp</saml:Issuer>{{SIG}}{subject}<saml:AttributeStatement><saml:Attribute Name="n"><saml:AttributeValue xml:lang="fr" xsi:type="xs:string">Élise 🙂</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>"#)),
        ("escapes-and-whitespace", String::new(), "<saml:Assertion ID=\"_a\" Version=\"2.0\" v=\"a&#9;b&#10;c&#13;d &lt;&amp;&quot;&apos;\" w=\"x\ty\nz\">\r\n  <saml:Issuer>idp</saml:Issuer>{SIG}\r\n  <saml:Subject>\r\n\t<saml:NameID>a&amp;b&lt;c&gt;d&#13;e\"f'g@example.com</saml:NameID>\r\n  </saml:Subject>\r\n</saml:Assertion>".to_owned()),
        ("comments-pis-cdata", String::new(), r#"<saml:Assertion ID="_a" Version="2.0"><!-- c1 --><saml:Issuer>idp<!-- c2 --></saml:Issuer>{SIG}<?pi one two?><?empty?><saml:Subject><saml:NameID>alice<![CDATA[<&>]]>@example.com</saml:NameID></saml:Subject></saml:Assertion>"#.to_owned()),
        ("empty-elements", String::new(), r#"<saml:Assertion ID="_a" Version="2.0"><saml:Issuer>idp</saml:Issuer>{SIG}<saml:Subject><saml:NameID/><saml:SubjectConfirmation Method="m"></saml:SubjectConfirmation></saml:Subject></saml:Assertion>"#.to_owned()),
    ];
    for (_, _, body) in &mut out {
        *body = body.replace("{SIG}", &exc_sig);
    }
    // Signature markup spelled differently, and inclusive c14n (with inherited namespaces).
    let plain = format!(
        r#"<saml:Assertion ID="_a" Version="2.0"><saml:Issuer>idp</saml:Issuer>{{SIG}}{subject}</saml:Assertion>"#
    );
    let default_ds = sig_template(
        "",
        EXC,
        &format!(r#"<Transform Algorithm="{ENV}"/><Transform Algorithm="{EXC}"/>"#),
    );
    out.push((
        "signature-default-namespace",
        String::new(),
        plain.replace("{SIG}", &default_ds),
    ));
    let prefix_list = format!(
        r#"<ds:Transform Algorithm="{ENV}"/><ds:Transform Algorithm="{EXC}"><ec:InclusiveNamespaces xmlns:ec="{EXC}" PrefixList="xs foo #default"/></ds:Transform>"#
    );
    out.push((
        "prefix-list",
        r#" xmlns:xs="urn:xs" xmlns:foo="urn:foo""#.to_owned(),
        plain.replace("{SIG}", &sig_template("ds", EXC, &prefix_list)),
    ));
    let inclusive = sig_template("ds", C14N, &format!(r#"<ds:Transform Algorithm="{ENV}"/>"#));
    out.push((
        "inclusive-c14n",
        r#" xmlns:foo="urn:foo" xmlns="urn:default""#.to_owned(),
        plain.replace("{SIG}", &inclusive),
    ));
    out
}

const EXC: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const ENV: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const C14N_WITH_COMMENTS: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const ECDSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";

/// Which signatures a generated variant carries, and the key that makes them.
#[derive(Clone, Copy)]
struct Signing {
    assertion: bool,
    key: &'static str,
}

const RSA_BOTH: Signing = Signing {
    assertion: true,
    key: "test-idp-rsa",
};

/// The shapes added for xml:* inheritance, explicit inclusive c14n, Response-only signing
/// and ECDSA-SHA512: `(name, Response attributes, Assertion, Response signature, signing)`.
fn more_variants() -> Vec<(&'static str, String, String, String, Signing)> {
    let subject = r#"<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">alice@example.com</saml:NameID></saml:Subject>"#;
    let exc_transforms =
        format!(r#"<ds:Transform Algorithm="{ENV}"/><ds:Transform Algorithm="{EXC}"/>"#);
    let exc_response_sig = sig_template("ds", EXC, &exc_transforms).replace("_ID_", "_r");
    let assertion = |attrs: &str, sig: &str| {
        format!(
            r#"<saml:Assertion ID="_a" Version="2.0"{attrs}><saml:Issuer>idp</saml:Issuer>{sig}{subject}</saml:Assertion>"#
        )
        .replace("_ID_", "_a")
    };
    let xml_attrs = r#" xml:lang="en" xml:space="preserve" xml:base="http://idp.example/base/""#;
    let implicit = sig_template("ds", C14N, &format!(r#"<ds:Transform Algorithm="{ENV}"/>"#));
    let explicit = sig_template(
        "ds",
        C14N,
        &format!(r#"<ds:Transform Algorithm="{ENV}"/><ds:Transform Algorithm="{C14N}"/>"#),
    );
    let with_comments = sig_template(
        "ds",
        C14N_WITH_COMMENTS,
        &format!(
            r#"<ds:Transform Algorithm="{ENV}"/><ds:Transform Algorithm="{C14N_WITH_COMMENTS}"/>"#
        ),
    );
    let inclusive_response_sig = |t: &str| t.replace("_ID_", "_r");
    let ecdsa = sig_template_with("ds", EXC, &exc_transforms, ECDSA_SHA512, SHA512);
    vec![
        (
            "inclusive-inherits-xml-attributes",
            xml_attrs.to_owned(),
            assertion("", &implicit),
            exc_response_sig.clone(),
            RSA_BOTH,
        ),
        (
            "inclusive-own-xml-lang-overrides",
            xml_attrs.to_owned(),
            assertion(r#" xml:lang="de""#, &implicit),
            exc_response_sig.clone(),
            RSA_BOTH,
        ),
        (
            "explicit-inclusive-transform",
            r#" xmlns:foo="urn:foo""#.to_owned(),
            assertion("", &explicit),
            exc_response_sig.clone(),
            RSA_BOTH,
        ),
        (
            "explicit-inclusive-inherits-xml-attributes",
            xml_attrs.to_owned(),
            assertion("", &explicit),
            exc_response_sig.clone(),
            RSA_BOTH,
        ),
        (
            "exclusive-ignores-xml-attributes",
            xml_attrs.to_owned(),
            assertion("", &sig_template("ds", EXC, &exc_transforms)),
            exc_response_sig.clone(),
            RSA_BOTH,
        ),
        (
            "inclusive-with-comments",
            xml_attrs.to_owned(),
            assertion("", &with_comments),
            exc_response_sig.clone(),
            RSA_BOTH,
        ),
        (
            "response-only-exclusive",
            xml_attrs.to_owned(),
            assertion("", ""),
            exc_response_sig.clone(),
            Signing {
                assertion: false,
                ..RSA_BOTH
            },
        ),
        (
            "response-only-inclusive",
            r#" xmlns:foo="urn:foo""#.to_owned(),
            assertion("", ""),
            inclusive_response_sig(&explicit),
            Signing {
                assertion: false,
                ..RSA_BOTH
            },
        ),
        (
            "ecdsa-p256-sha512",
            String::new(),
            assertion("", &ecdsa),
            ecdsa.replace("_ID_", "_r"),
            Signing {
                assertion: true,
                key: "test-idp-ec",
            },
        ),
        (
            "ecdsa-p384-sha512",
            String::new(),
            assertion("", &ecdsa),
            ecdsa.replace("_ID_", "_r"),
            Signing {
                assertion: true,
                key: "test-idp-ec384",
            },
        ),
    ]
}

fn sig_template(prefix: &str, c14n: &str, transforms: &str) -> String {
    sig_template_with(prefix, c14n, transforms, RSA_SHA256, SHA256)
}

fn sig_template_with(
    prefix: &str,
    c14n: &str,
    transforms: &str,
    signature_method: &str,
    digest_method: &str,
) -> String {
    let p = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}:")
    };
    let decl = if prefix.is_empty() {
        "xmlns".to_owned()
    } else {
        format!("xmlns:{prefix}")
    };
    format!(
        concat!(
            r#"<{p}Signature {decl}="http://www.w3.org/2000/09/xmldsig#"><{p}SignedInfo><{p}CanonicalizationMethod Algorithm="{c14n}"/>"#,
            r#"<{p}SignatureMethod Algorithm="{sm}"/>"#,
            r##"<{p}Reference URI="#_ID_"><{p}Transforms>{t}</{p}Transforms>"##,
            r#"<{p}DigestMethod Algorithm="{dm}"/><{p}DigestValue/></{p}Reference>"#,
            r#"</{p}SignedInfo><{p}SignatureValue/></{p}Signature>"#
        ),
        p = p,
        decl = decl,
        c14n = c14n,
        t = transforms,
        sm = signature_method,
        dm = digest_method
    )
}

#[test]
fn signature_verdicts_agree_with_xmlsec1_on_canonicalization_edge_cases() {
    if !xmlsec1_available() {
        peers::skip_without_peer("xmlsec1 is not installed");
        return;
    }
    let tmp = tempdir();
    let mut tally = Tally::default();
    let response_sig = sig_template(
        "ds",
        EXC,
        &format!(r#"<ds:Transform Algorithm="{ENV}"/><ds:Transform Algorithm="{EXC}"/>"#),
    )
    .replace("_ID_", "_r");
    let mut all: Vec<(&str, String, String, String, Signing)> = variants()
        .into_iter()
        .map(|(name, root, assertion)| {
            (
                name,
                root,
                assertion.replace("_ID_", "_a"),
                response_sig.clone(),
                RSA_BOTH,
            )
        })
        .collect();
    all.extend(more_variants());
    for (name, root_ns, assertion, response_sig, signing) in all {
        let key = fixtures().join(format!("{}.key", signing.key));
        let cert = fixtures().join(format!("{}.crt", signing.key));
        let certs = vec![cert.clone()];
        let unsigned = format!(
            r#"<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"{root_ns} ID="_r" Version="2.0"><saml:Issuer>idp</saml:Issuer>{response_sig}{assertion}</samlp:Response>"#
        );
        let input = tmp.join("unsigned.xml");
        let half = tmp.join("half.xml");
        let signed_path = tmp.join("signed.xml");
        std::fs::write(&input, &unsigned).unwrap();
        let steps: &[(&Path, &Path, &str)] = if signing.assertion {
            &[
                (&input, &half, ASSERTION_SIG),
                (&half, &signed_path, RESPONSE_SIG),
            ]
        } else {
            &[(&input, &signed_path, RESPONSE_SIG)]
        };
        for &(from, to, xpath) in steps {
            let status = Command::new("xmlsec1")
                .arg("--sign")
                .args(ID_ATTRS)
                .arg("--privkey-pem")
                .arg(format!("{},{}", key.display(), cert.display()))
                .args(["--node-xpath", xpath, "--output"])
                .arg(to)
                .arg(from)
                .output()
                .unwrap();
            assert!(
                status.status.success(),
                "{name}: xmlsec1 --sign failed: {}",
                String::from_utf8_lossy(&status.stderr)
            );
        }
        let signed = std::fs::read(&signed_path).unwrap();
        for element in [SignedElement::Assertion, SignedElement::Response] {
            let expect_ours =
                if name.contains("with-comments") && element == SignedElement::Assertion {
                    // Comments are never part of what we check: refused by policy.
                    Some("saml.canonicalization_not_allowed")
                } else if !signing.assertion && element == SignedElement::Assertion {
                    Some("saml.unsigned")
                } else {
                    None
                };
            let verdict = ours(&signed, &certs, element);
            assert_eq!(
                verdict.as_ref().err().map(Rejection::code),
                expect_ours,
                "{name} {element}: xmlsec1 signed it: {verdict:?}"
            );
            tally.compare(name, &signed, &signed_path, &certs, element);
        }
        // Byte flips after signing, at positions spread over the document.
        let mutated_path = tmp.join("mutated.xml");
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64 ^ name.len() as u64;
        for round in 0..4 {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let mut bytes = signed.clone();
            let at = (seed >> 33) as usize % bytes.len();
            bytes[at] ^= 1 << (seed % 7);
            std::fs::write(&mutated_path, &bytes).unwrap();
            for element in [SignedElement::Assertion, SignedElement::Response] {
                tally.compare(
                    &format!("{name}#flip{round}@{at}"),
                    &bytes,
                    &mutated_path,
                    &certs,
                    element,
                );
            }
        }
    }
    tally.finish("generated");
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("orgsso-saml-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn b64_decode(raw: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let compact: Vec<u8> = raw
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact)
        .unwrap()
}
