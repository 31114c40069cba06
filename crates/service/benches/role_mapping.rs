//! The cost of a role mapping on one sign-in's claims, which every SSO
//! sign-in pays and the mapping preview pays once per member: an ordinary
//! case (a dozen groups, a ten-line table) next to the worst the limits
//! allow (claims at the 64 KiB the preview keeps, a 500-entry table, a
//! recursive-descent path that visits every node). Report the ratio of the
//! two, measured in the same run.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use orgsso_service::sso::preview::MAX_KEPT_CLAIMS_BYTES;
use orgsso_service::sso::role_mapping::{RoleMapping, MAX_ENTRIES};
use serde_json::json;

fn table(entries: usize) -> Vec<(String, String)> {
    (0..entries)
        .map(|n| {
            let role = if n == 0 { "admin" } else { "write" };
            (format!("group-{n:05}"), role.to_owned())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let ordinary_mapping = RoleMapping::parse("$.groups[*]", &table(10)).unwrap();
    let ordinary_claims = json!({
        "sub": "248289761001", "email": "alice@example.com",
        "groups": (0..12).map(|n| format!("group-{n:05}")).collect::<Vec<_>>(),
    });

    let worst_mapping = RoleMapping::parse("$..*", &table(MAX_ENTRIES)).unwrap();
    // As many groups as fit in what the preview keeps.
    let mut groups = Vec::new();
    while json!({ "groups": groups }).to_string().len() + 16 < MAX_KEPT_CLAIMS_BYTES {
        groups.push(format!("group-{:05}", groups.len()));
    }
    let worst_claims = json!({ "groups": groups });
    assert!(worst_claims.to_string().len() <= MAX_KEPT_CLAIMS_BYTES);

    let mut group = c.benchmark_group("role_mapping");
    group.bench_function("ordinary", |b| {
        b.iter(|| black_box(ordinary_mapping.evaluate(black_box(&ordinary_claims))))
    });
    group.bench_function("worst_64KiB_500_entries_recursive_path", |b| {
        b.iter(|| black_box(worst_mapping.evaluate(black_box(&worst_claims))))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
