//! What a test does when a third-party tool or the shared corpus is not
//! here: it says why and passes, unless `ORGSSO_TEST_REQUIRE_PEERS` is set
//! (the test command sets it after installing them), then it fails.

pub fn skip_without_peer(why: &str) {
    assert!(
        std::env::var_os("ORGSSO_TEST_REQUIRE_PEERS").is_none(),
        "ORGSSO_TEST_REQUIRE_PEERS is set but a peer is missing: {why}"
    );
    println!("note: skipping: {why}");
}
