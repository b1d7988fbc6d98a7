#!/usr/bin/env bash
# How late do grants end? Starts the gateway (Release, embedded store), opens N auto-approved
# grants expiring over ~20 s, waits, then reports endedAt - expiresAt (p50, p95, max) from the
# API, plus the time from process start to a healthy /healthz and the idle RSS.
#   bench/expiry-lateness.sh [N=100]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
work=$(mktemp -d /tmp/appliance-expiry.XXXXXX)
port=$(( 18000 + RANDOM % 1000 ))
admin="bench-admin-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"

dotnet publish appliance/Appliance.Gateway -c Release -o "$work/bin" >/dev/null
export APPLIANCE_CONFIG="$PWD/bench/expiry-policy.yaml" APPLIANCE_DATA_DIR="$work/data" APPLIANCE_ADMIN_TOKEN="$admin" \
  APPLIANCE_HTTP_PORT=$port APPLIANCE_PG_PORT=$(( port + 1 )) DOTNET_gcServer=0
start=$(date +%s%N)
"$work/bin/Appliance.Gateway" >"$work/gateway.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
until curl -fs "http://127.0.0.1:$port/healthz" >/dev/null; do
  kill -0 $pid 2>/dev/null || { cat "$work/gateway.log"; exit 1; }
  sleep 0.05
done
ready=$(date +%s%N)
echo "start to healthy: $(( (ready - start) / 1000000 )) ms"
sleep 5
echo "idle RSS after start: $(( $(ps -o rss= -p $pid) / 1024 )) MiB"

api="http://127.0.0.1:$port/api"
token=$(curl -fs -X POST "$api/users/bench@example.com/tokens" -H "Authorization: Bearer $admin" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
for i in $(seq 1 "$n"); do
  # Spread expiries over 10..29 s so the scheduler has many distinct instants to hit.
  curl -fs -X POST "$api/requests" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"connection\":\"bench\",\"duration\":\"$(( 10 + i % 20 ))s\"}" >/dev/null
done
echo "opened $n grants; waiting for them to expire"
sleep 32
curl -fs "$api/grants?status=expired,active&limit=1000" -H "Authorization: Bearer $token" | python3 -c '
import json, sys
from datetime import datetime
grants = json.load(sys.stdin)
def t(s): return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
late = sorted((t(g["endedAt"]) - t(g["expiresAt"])) * 1000 for g in grants if g["status"] == "expired")
still = sum(1 for g in grants if g["status"] == "active")
p = lambda q: late[min(len(late) - 1, int(q * len(late)))]
print(f"grants expired: {len(late)}, still active: {still}")
print(f"lateness ms: p50 {p(0.5):.1f}  p95 {p(0.95):.1f}  max {late[-1]:.1f}  min {late[0]:.1f}")
'
echo "RSS after $n grants: $(( $(ps -o rss= -p $pid) / 1024 )) MiB"
