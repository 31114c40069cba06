#!/usr/bin/env bash
# Checks the API against its own OpenAPI document with schemathesis: starts
# `orgsso serve` on a loopback port with a scratch SQLite data directory,
# creates a user and an access token through the API, then runs every
# schemathesis check on every operation, anonymously and with the token.
# Any failure fails the script.
#
# schemathesis comes from PyPI, pinned with hashes in
# scripts/schemathesis-requirements.txt, into a venv under the cargo target
# directory (created once, again when the requirements change).
#
#   scripts/schemathesis.sh                 # debug binary, built if needed
#   ORGSSO_BIN=path/to/orgsso scripts/schemathesis.sh
#   ST_MAX_EXAMPLES=50 ST_SEED=7 scripts/schemathesis.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '\n==> %s\n' "$*"; }

root=$PWD
target=${CARGO_TARGET_DIR:-target}
case "$target" in /*) ;; *) target="$root/$target" ;; esac
venv="$target/schemathesis-venv"
requirements=scripts/schemathesis-requirements.txt
max_examples=${ST_MAX_EXAMPLES:-20}
seed=${ST_SEED:-20261202}

# CPython 3.13 when there is one: 3.11 before 3.11.8 can fail inside
# `ast.parse` ("AST constructor recursion depth mismatch") when Hypothesis
# describes a filter, which would end a run with an error.
python=python3
for candidate in python3.13 "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/3.13*/bin/python3; do
  if "$candidate" -c 'import sys; assert sys.version_info >= (3, 13)' 2>/dev/null; then
    python=$candidate
    break
  fi
done

if [ ! -x "$venv/bin/st" ] || ! cmp -s "$requirements" "$venv/requirements.txt"; then
  say "installing schemathesis into $venv ($requirements, $("$python" --version))"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --require-hashes -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

bin=${ORGSSO_BIN:-}
if [ -z "$bin" ]; then
  cargo build --quiet -p orgsso
  bin="$target/debug/orgsso"
fi
case "$bin" in /*) ;; *) bin="$root/$bin" ;; esac

data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
server=""
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap cleanup EXIT

ORGSSO_LOG=warn "$bin" serve --listen "127.0.0.1:$port" --base-url "$base" --data-dir "$data" \
  >"$data/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$data/server.log"; exit 1; }
  sleep 0.1
done

say "a user and an access token"
json='content-type: application/json'
curl -fsS -XPOST "$base/api/signup" -H "$json" \
  -d '{"username":"schemathesis","email":"schemathesis@example.com","password":"a long enough password"}' >/dev/null
"$bin" user verify-email --data-dir "$data" --email schemathesis@example.com >/dev/null
csrf=$(curl -fsS -c "$data/cookies" -XPOST "$base/api/login" -H "$json" \
  -d '{"login":"schemathesis","password":"a long enough password"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["csrf_token"])')
token=$(curl -fsS -b "$data/cookies" -XPOST "$base/api/me/tokens" -H "$json" -H "x-csrf-token: $csrf" \
  -d '{"name":"schemathesis","scope":"write"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
curl -fsS -XPOST "$base/api/orgs" -H "$json" -H "authorization: Bearer $token" -d '{"name":"acme"}' >/dev/null

run() {
  local label=$1
  shift
  say "schemathesis, $label: $max_examples examples per operation, seed $seed, every check"
  # No example database, and the crash cache (.schemathesis/) in the scratch
  # directory: every run draws the same cases from the seed, and nothing is
  # left in the work tree.
  (cd "$data" && HYPOTHESIS_STORAGE_DIRECTORY="$data/hypothesis" \
    "$venv/bin/st" --config-file "$root/scripts/schemathesis.toml" --no-color run "$base/api/openapi.json" \
    --checks all --max-examples "$max_examples" --seed "$seed" --workers 2 \
    --generation-database none \
    --warnings off "$@")
}

started=$SECONDS
failed=()
run anonymous || failed+=(anonymous)
# Revoking tokens by guessed ids would revoke the one this run uses; the
# anonymous run covers that operation.
run "with the access token" --header "Authorization: Bearer $token" --exclude-operation-id revoke_token ||
  failed+=("with the access token")
if [ ${#failed[@]} -gt 0 ]; then
  say "schemathesis failed (${failed[*]}) after $((SECONDS - started)) s"
  exit 1
fi
say "schemathesis passed in $((SECONDS - started)) s"
