#!/usr/bin/env bash
# Hostile load against a release binary on loopback, bounded in time and size:
#   1. a burst of concurrent logins with distinct unknown names (argon2 for each),
#   2. a flood of requests with invented HTTP methods and random paths,
#   3. slow clients: half-sent headers held open.
# Prints the peak RSS, the RSS after each phase, /healthz latency during it, and the
# size of /metrics. Usage:
#   scripts/abuse.sh [path/to/orgsso] [bursts=3] [burst_size=100]
# Needs curl and python3. Starts and stops its own server on a free port.
set -euo pipefail

BIN=${1:-target/release/orgsso}
BURSTS=${2:-3}
BURST=${3:-100}
FLOOD=${FLOOD:-3000}
SLOW=${SLOW:-200}

DATA=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
ORGSSO_LOG=warn "$BIN" serve --listen "127.0.0.1:$PORT" --base-url "$URL" --data-dir "$DATA" \
  >"$DATA/server.log" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA"; }
trap cleanup EXIT

for _ in $(seq 100); do curl -sf "$URL/healthz" >/dev/null && break; sleep 0.1; done

kib() { awk -v k="$1" '$1==k":" {print $2}' "/proc/$PID/status"; }
mib() { echo "$(( $(kib "$1") / 1024 )) MiB"; }
healthz_ms() { curl -s -o /dev/null -m 10 -w '%{time_total}' "$URL/healthz" | awk '{printf "%.0f", $1*1000}'; }

# Samples /healthz latency while a phase runs; prints "max Nms over K samples".
probe_start() { (
  set +e; max=0; n=0
  while [ -d "$DATA" ] && [ ! -e "$DATA/stop" ]; do
    ms=$(healthz_ms || echo 10000); n=$((n+1)); [ "$ms" -gt "$max" ] && max=$ms
    sleep 0.05
  done
  echo "healthz max ${max}ms over $n samples" >"$DATA/probe"
) & PROBE=$!; }
# Not in $(...): the probe must be a child of this shell to be waited for.
probe_stop() { touch "$DATA/stop"; wait "$PROBE"; rm -f "$DATA/stop"; h=$(cat "$DATA/probe"); }

echo "start: rss $(mib VmRSS)"

for b in $(seq "$BURSTS"); do
  probe_start
  pids=()
  for i in $(seq "$BURST"); do
    curl -s -o /dev/null -w '%{http_code}\n' -m 60 -H 'content-type: application/json' \
      -d "{\"login\":\"nobody-$b-$i\",\"password\":\"guess guess\"}" "$URL/api/login" >>"$DATA/codes" &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  probe_stop
  codes=$(sort "$DATA/codes" | uniq -c | awk '{printf "%s×%s ", $1, $2}'); rm -f "$DATA/codes"
  sleep 1
  echo "login burst $b ($BURST at once): $codes| peak rss $(mib VmHWM), rss after $(mib VmRSS) | $h"
done

before=$(curl -s "$URL/metrics" | wc -c)
probe_start
python3 - "$PORT" "$FLOOD" <<'EOF'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(f"X{i:07d} /made/up/{i} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    while s.recv(4096):
        pass
    s.close()
EOF
probe_stop
after=$(curl -s "$URL/metrics" | wc -c)
echo "method flood ($FLOOD invented methods and paths): /metrics $before → $after bytes | $h"

probe_start
python3 - "$PORT" "$SLOW" <<'EOF' >"$DATA/slow"
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
socks = []
for i in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finished
        socks.append(s)
    except OSError:
        break
start, open_ = time.time(), len(socks)
deadline = start + 20
while socks and time.time() < deadline:
    for s in list(socks):
        s.settimeout(0.01)
        try:
            if s.recv(4096) == b"":
                socks.remove(s)
        except socket.timeout:
            pass
        except OSError:
            socks.remove(s)
    time.sleep(0.1)
print(f"{open_} half-sent headers, {open_ - len(socks)} closed by the server within {time.time() - start:.1f}s")
EOF
probe_stop
echo "slow clients: $(cat "$DATA/slow") | $h | rss $(mib VmRSS)"
