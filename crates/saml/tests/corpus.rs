//! Runs every case of the shared SAML corpus (`shared/saml-corpus/manifest.tsv`) through the
//! library and checks its verdict; skipped with a note when the corpus is not checked out.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test root: failing loudly is the point

mod peers;

use orgsso_core::Timestamp;
use orgsso_saml::{verify, IdpCertificate, SpConfig};
use std::path::PathBuf;

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/saml-corpus")
}

#[test]
fn every_corpus_case_gets_its_expected_verdict() {
    let dir = corpus_dir();
    let Ok(manifest) = std::fs::read_to_string(dir.join("manifest.tsv")) else {
        peers::skip_without_peer(&format!("no SAML corpus at {}", dir.display()));
        return;
    };
    let mut failures = Vec::new();
    let mut count = 0;
    for line in manifest
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let cols: Vec<&str> = line.split('\t').collect();
        let [id, file, verdict, _reason, certs, sp, acs, idp, irt, now, flags, expect, ..] =
            cols[..]
        else {
            panic!("bad manifest row: {line}");
        };
        count += 1;
        let certs = certs
            .split(',')
            .map(|c| {
                IdpCertificate::from_pem(&std::fs::read_to_string(dir.join(c)).unwrap()).unwrap()
            })
            .collect();
        let mut config = SpConfig::new(sp, acs, certs);
        config.idp_entity_id = (idp != "-").then(|| idp.to_owned());
        config.expected_in_response_to = (irt != "-").then(|| irt.to_owned());
        let mut flags = flags.split_whitespace().filter(|f| *f != "-");
        while let Some(flag) = flags.next() {
            match flag {
                "--allow-sha1" => config.allow_sha1 = true,
                "--clock-skew" => config.clock_skew_s = flags.next().unwrap().parse().unwrap(),
                other => panic!("{id}: unknown flag {other}"),
            }
        }
        let now = Timestamp::parse_rfc3339(now).unwrap();
        let response = std::fs::read(dir.join(file)).unwrap();
        let outcome = verify(&response, &config, now);
        let ok = match (verdict, &outcome) {
            ("accept", Ok(v)) | ("either", Ok(v)) => v.name_id == expect,
            ("reject", Err(_)) | ("either", Err(_)) => true,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{id}: expected {verdict} {expect}, got {outcome:?}"
            ));
        }
    }
    assert!(count > 0, "empty manifest");
    assert!(
        failures.is_empty(),
        "{} of {count} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    println!("{count} corpus cases passed");
}
