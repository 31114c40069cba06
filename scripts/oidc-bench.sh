#!/usr/bin/env bash
# Measures our share of an OIDC login callback (token-response parsing and ID-token
# validation with a cached JWKS, no network) and compares it, in the same run, with one
# RSA-2048 / ECDSA P-256 signature verification by `openssl speed` on this machine.
#
#   scripts/oidc-bench.sh            (CARGO_TARGET_DIR is honoured; default ./target)
#
# Prints one line per algorithm: ours, OpenSSL's verify, and the ratio ours / verify.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
target=${CARGO_TARGET_DIR:-target}
command -v jq >/dev/null || { echo "oidc-bench: jq is required" >&2; exit 1; }

echo "==> cargo bench -p orgsso-oidc --bench callback"
cargo bench -p orgsso-oidc --bench callback -- --warm-up-time 2 --measurement-time 5 2>&1 |
  grep -E '^callback/|time:'

echo "==> openssl speed -seconds 3 rsa2048 ecdsap256"
speed=$(openssl speed -seconds 3 rsa2048 ecdsap256 2>/dev/null)
# The last column of each result line is verifications per second.
rsa_per_s=$(awk '/^rsa 2048 bits/ {print $NF}' <<<"$speed")
ec_per_s=$(awk '/ecdsa \(nistp256\)/ {print $NF}' <<<"$speed")

mean_ns() { jq '.mean.point_estimate' "$target/criterion/callback/$1/new/estimates.json"; }

report() { # name, our mean in ns, openssl verifies per second
  awk -v name="$1" -v ours="$2" -v per_s="$3" 'BEGIN {
    floor = 1e9 / per_s
    printf "%-6s ours %8.1f µs   openssl verify %7.1f µs   ratio %5.2f×\n", name, ours / 1000, floor / 1000, ours / floor
  }'
}

echo "==> ratio: our callback processing / one signature verification"
report RS256 "$(mean_ns rs256)" "$rsa_per_s"
report ES256 "$(mean_ns es256)" "$ec_per_s"
echo "(parse only: $(awk -v ns="$(mean_ns parse_only)" 'BEGIN { printf "%.1f µs", ns / 1000 }'); load average: $(cut -d' ' -f1-3 /proc/loadavg))"
