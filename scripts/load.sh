#!/usr/bin/env bash
# Load figures for the hub, on SQLite and on PostgreSQL in one run, with wrk
# on loopback. For each backend: /healthz (the baseline: no database), a
# public repository page, then a private repository page with a session
# cookie and an API call with an access token, with the organization's SSO
# off and with SSO enforced and a live SSO session (of the browser behind
# the cookie, whose user owns the token), measured off, enforced, enforced,
# off in halves of the time. Prints requests/s and p99 latency, each figure
# as a ratio to the baseline of the same backend and run, and each enforced
# figure as a ratio to the SSO-off figure of the same target, backend and run
# (the goal: at least 0.90, at most 10 % less). On a machine busy with other
# work the halves of one figure can differ by 10 % or more: compare them.
#   usage: scripts/load.sh [SECONDS_PER_TARGET]   (default 10; 3 for a quick look)
# The SSO state is written to the database directly, not through an IdP: a
# SAML configuration tested by the org's admin, the org's SSO enabled and
# enforced with it, and an SSO session for the SHA-256 of the session cookie.
# Env: ORGSSO_LOAD_DATABASE_URL (PostgreSQL server URL, default
#   postgres://postgres@127.0.0.1:5432/postgres; a scratch database is created
#   and dropped), WRK_THREADS (2), WRK_CONNECTIONS (32), ORGSSO_BIN,
#   ORGSSO_LOAD_SSO_MEMBERS (0): that many other members of the org, each
#   with a live SSO session opened before the measured one, as in a large
#   organization (the gate must not get slower with the org's size).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

duration=${1:-10}
threads=${WRK_THREADS:-2}
connections=${WRK_CONNECTIONS:-32}
others=${ORGSSO_LOAD_SSO_MEMBERS:-0}
pg_server=${ORGSSO_LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
case "$duration" in '' | *[!0-9]* | 0) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;; esac
case "$others" in '' | *[!0-9]*) echo "ORGSSO_LOAD_SSO_MEMBERS must be a number" >&2; exit 2 ;; esac
if ! command -v wrk >/dev/null; then
  echo "installing wrk (apt-get)" >&2
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq wrk >/dev/null; } ||
    { echo "wrk is missing and could not be installed: apt-get install wrk" >&2; exit 2; }
fi
command -v psql >/dev/null || { echo "psql is missing: apt-get install postgresql-client" >&2; exit 2; }
python3 -c 'import sqlite3' || { echo "python3 with sqlite3 is missing" >&2; exit 2; }

if [ -z "${ORGSSO_BIN:-}" ]; then
  cargo build --release --quiet -p orgsso
  ORGSSO_BIN="${CARGO_TARGET_DIR:-target}/release/orgsso"
fi

work=$(mktemp -d)
server_pid=""
pg_db="orgsso_load_$$"
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  psql "$pg_server" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"

start_server() { # database-url name
  "$ORGSSO_BIN" serve --listen "127.0.0.1:$port" --base-url "$base" --data-dir "$work/data-$2" \
    --database-url "$1" >"$work/server-$2.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fs "$base/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "server did not start:" >&2; cat "$work/server-$2.log" >&2; exit 1
}

stop_server() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

seed() { # -> sets COOKIE, SESSION_HASH and TOKEN
  local jar="$work/jar" pw="load-test-password"
  rm -f "$jar"
  curl -fs -XPOST "$base/api/signup" -H 'content-type: application/json' \
    -d "{\"username\":\"loader\",\"email\":\"loader@example.com\",\"password\":\"$pw\"}" >/dev/null
  local csrf
  csrf=$(curl -fs -c "$jar" -XPOST "$base/api/login" -H 'content-type: application/json' \
    -d "{\"login\":\"loader\",\"password\":\"$pw\"}" | json_field csrf_token)
  local api=(-fs -b "$jar" -H 'content-type: application/json' -H "x-csrf-token: $csrf")
  curl "${api[@]}" -XPOST "$base/api/orgs" -d '{"name":"acme"}' >/dev/null
  local readme
  readme=$(python3 -c 'print(("# Model card\n\nSome words about the model. " * 40).replace("\"","")[:2000])' | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')
  curl "${api[@]}" -XPOST "$base/api/repos" -d "{\"owner\":\"acme\",\"kind\":\"model\",\"name\":\"open\",\"visibility\":\"public\",\"readme\":$readme}" >/dev/null
  curl "${api[@]}" -XPOST "$base/api/repos" -d "{\"owner\":\"acme\",\"kind\":\"model\",\"name\":\"secret\",\"visibility\":\"private\",\"readme\":$readme}" >/dev/null
  TOKEN=$(curl "${api[@]}" -XPOST "$base/api/me/tokens" -d '{"name":"load","scope":"read"}' | json_field token)
  local value
  value=$(awk '$6=="orgsso_session"{print $7}' "$jar")
  COOKIE="orgsso_session=$value"
  # The server keys sessions by the SHA-256 (hex) of the cookie's value.
  SESSION_HASH=$(printf '%s' "$value" | sha256sum | cut -d' ' -f1)
  # Every target must answer 200 before it is measured.
  expect 200 /models/acme/open
  expect 200 /models/acme/secret "cookie: $COOKIE"
  expect 200 /api/repos/model/acme/secret "authorization: Bearer $TOKEN"
}

expect() { # status path [header]
  local got
  if [ $# -ge 3 ]; then
    got=$(curl -s -o /dev/null -w '%{http_code}' -H "$3" "$base$2")
  else
    got=$(curl -s -o /dev/null -w '%{http_code}' "$base$2")
  fi
  [ "$got" = "$1" ] || { echo "$2${3:+ ($3)}: HTTP $got, expected $1" >&2; exit 1; }
}

# Runs one SQL script against the backend's database, stopping at the first error.
run_sql() { # backend database-url sql
  case "$1" in
    sqlite)
      python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
db.executescript("BEGIN IMMEDIATE;" + sys.argv[2] + ";COMMIT;")
db.close()' "${2#sqlite://}" "$3" ;;
    postgres) psql "$2" -v ON_ERROR_STOP=1 -q -1 -c "$3" >/dev/null ;;
  esac
}

# A SAML configuration tested by the admin (loader) with their own identity,
# enabled and enforced, as `POST /api/orgs/acme/sso/enable` leaves it.
# Portable SQL: SQLite takes TRUE as 1.
enforce_sso() { # backend database-url
  local now
  now=$(date +%s)
  run_sql "$1" "$2" "
    INSERT INTO sso_configs (org_id, protocol, settings, created_by, created_at,
                             tested_at, test_result, tested_by, tested_identity_matches)
      SELECT o.id, 'saml',
             '{\"idp_sso_url\":\"https://idp.example.com/sso\",\"idp_entity_id\":\"https://idp.example.com\",\"certificates\":[],\"allow_sha1\":false}',
             u.id, $now, $now, '{}', u.id, TRUE
      FROM orgs o, users u WHERE o.name = 'acme' AND u.username = 'loader';
    INSERT INTO org_sso (org_id, enabled, enforced, active_config_id)
      VALUES ((SELECT id FROM orgs WHERE name = 'acme'), TRUE, TRUE,
              (SELECT MAX(c.id) FROM sso_configs c JOIN orgs o ON o.id = c.org_id WHERE o.name = 'acme'))
      ON CONFLICT (org_id) DO UPDATE SET enabled = excluded.enabled, enforced = excluded.enforced,
        active_config_id = excluded.active_config_id"
}

# $others more members of the org, each signed in to the hub and through the
# IdP. PostgreSQL gets the statistics autovacuum would soon gather; the
# SQLite store never runs ANALYZE, so SQLite gets none.
other_members() { # backend database-url
  [ "$others" -gt 0 ] || return 0
  local now
  now=$(date +%s)
  run_sql "$1" "$2" "
    WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < $others)
    INSERT INTO users (username, display_name, password_hash, created_at)
      SELECT 'member' || n, 'Member', '!', $now FROM g;
    INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at)
      SELECT 'member-session-' || id, id, 'none', $now, $now + 30 * 86400
      FROM users WHERE username LIKE 'member%';
    INSERT INTO memberships (org_id, user_id, role, created_at)
      SELECT o.id, u.id, 'read', $now FROM orgs o, users u
      WHERE o.name = 'acme' AND u.username LIKE 'member%';
    INSERT INTO sso_sessions (hub_session_hash, org_id, user_id, config_id, subject, email,
                              created_at, expires_at)
      SELECT 'member-session-' || u.id, s.org_id, u.id, s.active_config_id, u.username,
             u.username || '@example.com', $now, $now + 30 * 86400
      FROM org_sso s JOIN orgs o ON o.id = s.org_id JOIN users u ON u.username LIKE 'member%'
      WHERE o.name = 'acme'"
  if [ "$1" = postgres ]; then psql "$2" -qc ANALYZE >/dev/null; fi
}

# The SSO session the IdP round trip would have opened for the loader's browser.
open_sso_session() { # backend database-url
  local now
  now=$(date +%s)
  run_sql "$1" "$2" "
    INSERT INTO sso_sessions (hub_session_hash, org_id, user_id, config_id, subject, email,
                              created_at, expires_at)
      SELECT '$SESSION_HASH', s.org_id, u.id, s.active_config_id, 'loader@example.com',
             'loader@example.com', $now, $now + 30 * 86400
      FROM org_sso s JOIN orgs o ON o.id = s.org_id JOIN users u ON u.username = 'loader'
      WHERE o.name = 'acme'"
}

wrk_run() { # seconds path [header]
  if [ $# -ge 3 ]; then
    wrk -t"$threads" -c"$connections" -d"$1s" --latency -H "$3" "$base$2"
  else
    wrk -t"$threads" -c"$connections" -d"$1s" --latency "$base$2"
  fi
}

measure() { # warm-up(0|1) seconds label path [header] -> "rps|p99"
  local warm=$1 seconds=$2 label=$3 out
  shift 3
  [ "$warm" = 1 ] && wrk_run 1 "$@" >/dev/null # not counted
  out=$(wrk_run "$seconds" "$@")
  if echo "$out" | grep -q "Non-2xx"; then
    echo "$label: some responses were not 2xx" >&2; echo "$out" >&2; exit 1
  fi
  local rps p99
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  echo "$rps|$p99"
}

# Prints one table row and leaves its requests/s in $work/figure. A row's
# measurements ("rps|p99|seconds", space-separated) make one figure: all its
# requests over all its seconds, and the worst p99. It is compared to the
# baseline (itself when empty) and, for an enforced row, to its SSO-off row.
row() { # backend label measurements baseline-rps [off-rps]
  python3 -c '
import sys
backend, label, parts, base, off = sys.argv[1:6]
def seconds_of(p):
    for unit, f in (("us", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0)):
        if p.endswith(unit):
            return float(p[: -len(unit)]) * f
    return float(p)
ms = [m.split("|") for m in parts.split()]
rps = sum(float(r) * float(t) for r, _, t in ms) / sum(float(t) for _, _, t in ms)
p99 = max((p for _, p, _ in ms), key=seconds_of)
line = f"{backend:9} {label:28} {rps:10.0f} req/s  p99 {p99:>9}  {rps / float(base or rps):6.3f} x baseline"
if off:
    ratio = rps / float(off)
    line += f"  {ratio:6.3f} x SSO off" + ("" if ratio >= 0.9 else "  (below the 0.90 goal)")
if len(ms) > 1:
    line += "   [halves: " + " / ".join(f"{float(r):.0f}" for r, _, _ in ms) + " req/s]"
print(line)
open(sys.argv[6], "w").write(f"{rps:.2f}")
' "$1" "$2" "$3" "$4" "${5:-}" "$work/figure"
}

# SSO off again, as `POST /api/orgs/acme/sso/disable` leaves org_sso. The
# disable also ends the SSO sessions; the one left here is not read while off.
sso_off() { # backend database-url
  run_sql "$1" "$2" "UPDATE org_sso SET enabled = FALSE, active_config_id = NULL"
}

run_backend() { # name database-url
  start_server "$2" "$1"
  seed
  local page=(/models/acme/secret "cookie: $COOKIE")
  local api=(/api/repos/model/acme/secret "authorization: Bearer $TOKEN")
  local healthz public
  healthz="$(measure 1 "$duration" healthz /healthz)|$duration"
  public="$(measure 1 "$duration" "public page" /models/acme/open)|$duration"
  # SSO off, enforced, enforced, off: each mode gets its seconds per target
  # in two halves, so that the machine getting faster or slower during the
  # run (other work on it, caches, the database growing) weighs on both.
  local h1=$(((duration + 1) / 2)) h2=$((duration / 2))
  [ "$h2" -ge 1 ] || h2=1
  local page_off api_off page_on api_on
  page_off="$(measure 1 "$h1" "private page, SSO off" "${page[@]}")|$h1"
  api_off="$(measure 1 "$h1" "API, token, SSO off" "${api[@]}")|$h1"
  # Enforced: without an SSO session both are refused at once (nothing is
  # cached), with the session they answer.
  enforce_sso "$1" "$2"
  expect 403 "${page[@]}"
  expect 403 "${api[@]}"
  other_members "$1" "$2"
  open_sso_session "$1" "$2"
  expect 200 "${page[@]}"
  expect 200 "${api[@]}"
  page_on="$(measure 0 "$h1" "private page, SSO enforced" "${page[@]}")|$h1"
  api_on="$(measure 0 "$h1" "API, token, SSO enforced" "${api[@]}")|$h1"
  page_on+=" $(measure 0 "$h2" "private page, SSO enforced" "${page[@]}")|$h2"
  api_on+=" $(measure 0 "$h2" "API, token, SSO enforced" "${api[@]}")|$h2"
  sso_off "$1" "$2"
  expect 200 "${page[@]}"
  page_off+=" $(measure 0 "$h2" "private page, SSO off" "${page[@]}")|$h2"
  api_off+=" $(measure 0 "$h2" "API, token, SSO off" "${api[@]}")|$h2"
  stop_server
  row "$1" "healthz (baseline)" "$healthz" ""
  local base_rps off_rps
  base_rps=$(<"$work/figure")
  row "$1" "public repo page" "$public" "$base_rps"
  row "$1" "private repo page, SSO off" "$page_off" "$base_rps"
  off_rps=$(<"$work/figure")
  row "$1" "  same, SSO enforced" "$page_on" "$base_rps" "$off_rps"
  row "$1" "API repo, token, SSO off" "$api_off" "$base_rps"
  off_rps=$(<"$work/figure")
  row "$1" "  same, SSO enforced" "$api_on" "$base_rps" "$off_rps"
}

echo "wrk: $threads threads, $connections connections, ${duration}s per target and mode (after 1s of warm-up), $(nproc) cores"
echo "SSO off and enforced are measured off, enforced, enforced, off: each figure is both its halves"
[ "$others" -gt 0 ] && echo "enforced with $others other members' live SSO sessions in the org"
printf '%-9s %-28s %16s  %13s  %17s  %s\n' backend target throughput latency "vs baseline" "enforced vs off"
run_backend sqlite "sqlite://$work/load.db"
psql "$pg_server" -qc "CREATE DATABASE $pg_db" >/dev/null
run_backend postgres "${pg_server%/*}/$pg_db"
