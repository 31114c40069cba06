#!/usr/bin/env bash
# Runs the whole orgsso test suite. Installs what the tests need when it is
# missing (idempotent), then: formatting, lints, every crate's tests on
# SQLite, the storage and end-to-end tests again on PostgreSQL when
# ORGSSO_TEST_DATABASE_URL is set, the SAML corpus against the binary, and
# schemathesis against the API's OpenAPI document (scripts/schemathesis.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n==> %s\n' "$*"; }

# Debian packages the tests use: xmlsec1 (differential SAML checks),
# SimpleSAMLphp with PHP (the real SAML IdP), Chromium (the real browser).
packages=(xmlsec1 simplesamlphp php-cli php-xml chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages of the end-to-end harness, from the committed lockfile.
if [ -f e2e/package-lock.json ]; then
  if [ ! -d e2e/node_modules ] || [ e2e/package-lock.json -nt e2e/node_modules/.package-lock.json ]; then
    say "installing npm packages (e2e/package-lock.json)"
    (cd e2e && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings

pg_url=${ORGSSO_TEST_DATABASE_URL:-}

# Everything the tests talk to is installed now: a test that finds its IdP,
# browser or tool missing fails instead of skipping.
export ORGSSO_TEST_REQUIRE_PEERS=1

# The CLI tests run the built binary.
cargo build --quiet -p orgsso

say "tests on SQLite"
env -u ORGSSO_TEST_DATABASE_URL cargo test --workspace --quiet

if [ -n "$pg_url" ]; then
  say "tests on PostgreSQL"
  ORGSSO_TEST_DATABASE_URL=$pg_url cargo test --quiet -p orgsso-store-postgres -p orgsso-test-support
else
  say "ORGSSO_TEST_DATABASE_URL is not set: PostgreSQL tests skipped"
fi

corpus=../shared/saml-corpus/run.sh
if [ -x "$corpus" ] || [ -f "$corpus" ]; then
  say "SAML corpus"
  bin="${CARGO_TARGET_DIR:-target}/debug/orgsso"
  bash "$corpus" "$bin" | tail -n 5
fi

say "schemathesis against /api/openapi.json"
ORGSSO_BIN="${CARGO_TARGET_DIR:-target}/debug/orgsso" scripts/schemathesis.sh

say "all tests passed"
