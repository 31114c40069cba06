#!/usr/bin/env bash
# Load figures for the hub, on SQLite and on PostgreSQL in one run, with wrk
# on loopback. For each backend: /healthz (the baseline: no database), a
# public repository page, a private repository page with a session cookie,
# and an API call with an access token. Prints requests/s and p99 latency,
# and each figure as a ratio to the baseline of the same backend and run.
#   usage: scripts/load.sh [SECONDS_PER_TARGET]   (default 10)
# Env: ORGSSO_LOAD_DATABASE_URL (PostgreSQL server URL, default
#   postgres://postgres@127.0.0.1:5432/postgres; a scratch database is created
#   and dropped), WRK_THREADS (2), WRK_CONNECTIONS (32), ORGSSO_BIN.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

duration=${1:-10}
threads=${WRK_THREADS:-2}
connections=${WRK_CONNECTIONS:-32}
pg_server=${ORGSSO_LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }

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

start_server() { # database-url
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

seed() { # -> sets COOKIE and TOKEN
  local jar="$work/jar" pw="load-test-password"
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
  COOKIE="orgsso_session=$(awk '$6=="orgsso_session"{print $7}' "$jar")"
  # Every target must answer 200 before it is measured.
  curl -fs -o /dev/null "$base/models/acme/open"
  curl -fs -o /dev/null -H "cookie: $COOKIE" "$base/models/acme/secret"
  curl -fs -o /dev/null -H "authorization: Bearer $TOKEN" "$base/api/repos/model/acme/secret"
}

measure() { # label path [header]
  local out
  if [ $# -ge 3 ]; then
    out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -H "$3" "$base$2")
  else
    out=$(wrk -t"$threads" -c"$connections" -d"${duration}s" --latency "$base$2")
  fi
  if echo "$out" | grep -q "Non-2xx"; then
    echo "$1: some responses were not 2xx" >&2; echo "$out" >&2; exit 1
  fi
  local rps p99
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  echo "$1|$rps|$p99"
}

run_backend() { # name database-url
  start_server "$2" "$1"
  seed
  local rows=()
  rows+=("$(measure "healthz (baseline)" /healthz)")
  rows+=("$(measure "public repo page" /models/acme/open)")
  rows+=("$(measure "private repo page, session" /models/acme/secret "cookie: $COOKIE")")
  rows+=("$(measure "API repo, token" /api/repos/model/acme/secret "authorization: Bearer $TOKEN")")
  stop_server
  local base_rps=${rows[0]#*|}; base_rps=${base_rps%%|*}
  for row in "${rows[@]}"; do
    IFS='|' read -r label rps p99 <<<"$row"
    python3 -c 'import sys; l,b,r,p,base=sys.argv[1:]; print(f"{b:9} {l:28} {float(r):10.0f} req/s  p99 {p:>9}  {float(r)/float(base):6.3f} x baseline")' \
      "$label" "$1" "$rps" "$p99" "$base_rps"
  done
}

echo "wrk: $threads threads, $connections connections, ${duration}s per target, $(nproc) cores"
echo "backend   target                            throughput          latency     ratio"
run_backend sqlite "sqlite://$work/load.db"
psql "$pg_server" -qc "CREATE DATABASE $pg_db" >/dev/null
run_backend postgres "${pg_server%/*}/$pg_db"
