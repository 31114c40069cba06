#!/usr/bin/env bash
# Starts the same OpenID Provider the end-to-end tests use (npm `oidc-provider`, OpenID
# Certified) with a client registered for one organization's callback URL, and prints what
# the organization admin pastes into orgsso's SSO settings.
#
#   scripts/oidc-idp.sh ORG [PORT]        (default port 9400)
#
# ORGSSO_BASE_URL (default http://127.0.0.1:8080) is where orgsso serves; the callback URL is
# $ORGSSO_BASE_URL/organizations/ORG/oidc/callback. OIDC_CLIENT_SECRET fixes the secret
# (default: random per run). Users: alice, bob (verified emails) and carol (email_verified
# false), password "password", emails <name>@example.com; see e2e/users.json.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || "$1" == -* ]]; then
  echo "usage: $0 ORG [PORT]" >&2
  exit 2
fi
org=$1
port=${2:-9400}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
base=${ORGSSO_BASE_URL:-http://127.0.0.1:8080}
base=${base%/}

command -v node >/dev/null || { echo "oidc-idp: node (20.19 or later) is required" >&2; exit 1; }
if [[ ! -d "$root/e2e/node_modules/oidc-provider" ]]; then
  echo "oidc-idp: installing e2e/ dependencies (npm ci)…" >&2
  (cd "$root/e2e" && npm ci --no-audit --no-fund >&2)
fi

client_id="orgsso-$org"
client_secret=${OIDC_CLIENT_SECRET:-$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')}
redirect_uri="$base/organizations/$org/oidc/callback"

exec node "$root/e2e/oidc-idp.mjs" --port "$port" --client-id "$client_id" \
  --client-secret "$client_secret" --redirect-uri "$redirect_uri" \
  --users "$root/e2e/users.json" 2> >(grep -v 'oidc-provider WARNING' >&2) |
while IFS= read -r line; do
  if [[ "$line" == READY\ * ]]; then
    issuer=${line#READY }
    cat <<INFO
OpenID Provider for organization "$org" is running (Ctrl-C stops it).

  In orgsso, Organization settings → SSO → OpenID Connect, enter:
    Issuer URL     $issuer
    Client ID      $client_id
    Client secret  $client_secret

  Registered callback URL: $redirect_uri
  Users (password "password"): alice@example.com, bob@example.com,
                               carol@example.com (email_verified: false)
INFO
  else
    printf '%s\n' "$line"
  fi
done
