#!/usr/bin/env bash
# The PostgreSQL gateway against direct PostgreSQL and pgbouncer (session mode), in one run on
# one machine: pgbench select-only (8 clients, -j 2) in simple, extended and prepared modes, a
# 1-client latency run, a million-row result with a card column masked, and 500 connections held.
# Next to them, the relay floor (bench/relay-floor): a byte relay on the gateway's event-loop
# mechanics that enforces nothing, so the run shows what the runtime costs and what enforcement does.
# The gateway runs as shipped (Release, embedded store) with guardrails, masking and recording on
# (bench/pgbench-policy.yaml) and pgbench logs in with a real grant: the email as user, a personal
# token as password.
#   bench/pgbench.sh            BENCH_DURATION=8 (seconds per run), BENCH_ROUNDS=1
#   BENCH_QUICK=1               throughput and latency only (no TLS, million rows or 500 connections)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
duration=${BENCH_DURATION:-8}
rounds=${BENCH_ROUNDS:-1}
quick=${BENCH_QUICK:-0}
work=$(mktemp -d /tmp/appliance-pgbench.XXXXXX)
chmod 755 "$work"
# Ports the OS says are free now (a fixed range may hold another service's or a client's port).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pg_port=$(free_port) bouncer_port=$(free_port) gw_port=$(free_port) http_port=$(free_port) floor_port=$(free_port)
password="bench-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
admin="bench-admin-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/bouncer/pgbouncer.pid" ] && kill "$(cat "$work/bouncer/pgbouncer.pid")" 2>/dev/null || true
  scripts/pg-throwaway.sh stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
log() { echo "== $*" >&2; }

log "building the gateway (Release)"
dotnet publish appliance/Appliance.Gateway -c Release -o "$work/bin" --artifacts-path "$work/art" >/dev/null
dotnet publish bench/relay-floor -c Release -o "$work/floor" --artifacts-path "$work/floor-art" >/dev/null

log "throwaway PostgreSQL on $pg_port"
scripts/pg-throwaway.sh start "$work/pg" "$pg_port" "$password"
export PGHOST=127.0.0.1 PGSSLMODE=disable
PGPASSWORD=$password psql -p "$pg_port" -U postgres -q -v ON_ERROR_STOP=1 -c "CREATE ROLE bench LOGIN PASSWORD '$password'" -c "CREATE DATABASE bench OWNER bench"
PGPASSWORD=$password pgbench -i -s 5 -q -p "$pg_port" -U bench bench 2>&1 | tail -1

log "pgbouncer (session mode) on $bouncer_port"
scripts/setup-tools.sh pgbouncer jq
mkdir -p "$work/bouncer"
cat >"$work/bouncer/pgbouncer.ini" <<INI
[databases]
bench = host=127.0.0.1 port=$pg_port dbname=bench
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $work/bouncer/users.txt
pool_mode = session
max_client_conn = 1000
default_pool_size = 600
logfile = $work/bouncer/pgbouncer.log
pidfile = $work/bouncer/pgbouncer.pid
INI
printf '"bench" "%s"\n' "$password" >"$work/bouncer/users.txt"
[ "$(id -u)" = 0 ] && chown -R postgres "$work/bouncer"
as_pg pgbouncer -d "$work/bouncer/pgbouncer.ini" >/dev/null

log "relay floor on $floor_port"
"$work/floor/RelayFloor" "$floor_port" "$pg_port" >"$work/floor.log" 2>&1 &
floor_pid=$!
pids+=($floor_pid)

log "gateway on $gw_port (HTTP $http_port)"
APPLIANCE_CONFIG="$root/bench/pgbench-policy.yaml" APPLIANCE_DATA_DIR="$work/gateway" APPLIANCE_ADMIN_TOKEN="$admin" \
  APPLIANCE_HTTP_PORT=$http_port APPLIANCE_PG_PORT=$gw_port BENCH_PG_PORT=$pg_port BENCH_PG_PASSWORD=$password \
  "$work/bin/Appliance.Gateway" >"$work/gateway.log" 2>&1 &
gw_pid=$!
pids+=($gw_pid)
until curl -fs "http://127.0.0.1:$http_port/healthz" >/dev/null; do
  kill -0 $gw_pid 2>/dev/null || { cat "$work/gateway.log"; exit 1; }
  sleep 0.1
done

log "a grant for alice through the API"
api="http://127.0.0.1:$http_port/api"
token_for() { curl -fs -X POST "$api/users/$1/tokens" -H "Authorization: Bearer $admin" -H 'content-type: application/json' -d '{"name":"bench"}' | jq -r .token; }
alice=$(token_for alice@example.com)
bob=$(token_for bob@example.com)
grant=$(curl -fs -X POST "$api/requests" -H "Authorization: Bearer $alice" -H 'content-type: application/json' \
  -d '{"connection":"bench","duration":"4h","reason":"benchmark"}' | jq -r .id)
curl -fs -X POST "$api/requests/$grant/approve" -H "Authorization: Bearer $bob" | jq -r '"grant \(.id) \(.status)"' >&2

target_args() {
  case $1 in
    direct) echo "-p $pg_port -U bench bench" ;;
    pgbouncer) echo "-p $bouncer_port -U bench bench" ;;
    floor) echo "-p $floor_port -U bench bench" ;;
    gateway) echo "-p $gw_port -U alice@example.com bench" ;;
  esac
}
target_password() { [ "$1" = gateway ] && echo "$alice" || echo "$password"; }

# The proxy's CPU (user + system, in clock ticks) from /proc: what it costs per transaction
# is steadier on a shared machine than its throughput.
target_pid() {
  case $1 in
    direct) echo "" ;;
    pgbouncer) cat "$work/bouncer/pgbouncer.pid" ;;
    floor) echo "$floor_pid" ;;
    gateway) echo "$gw_pid" ;;
  esac
}
cpu_ticks() { [ -n "$1" ] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
# Work a run left behind (the gateway's audit writer drains its queue) belongs to that run:
# wait until the proxy is idle (at most a tick in 0.2 s) before reading its CPU.
settled_ticks() {
  local last now
  last=$(cpu_ticks "$1")
  for _ in $(seq 50); do
    sleep 0.2
    now=$(cpu_ticks "$1")
    [ $(( now - last )) -le 1 ] && break
    last=$now
  done
  echo "$now"
}
ticks_per_second=$(getconf CLK_TCK)

# pgbench prints "latency average = X ms", "tps = Y (without initial connection time)" and
# "number of transactions actually processed: N".
bench_run() { # target mode clients threads -> "tps latency_ms proxy_cpu_us_per_transaction"
  local out pid before after
  pid=$(target_pid "$1")
  before=$(cpu_ticks "$pid")
  # shellcheck disable=SC2046
  out=$(PGPASSWORD=$(target_password "$1") pgbench -n -S -M "$2" -c "$3" -j "$4" -T "$duration" $(target_args "$1") 2>&1) || { echo "$out" >&2; return 1; }
  after=$(settled_ticks "$pid")
  if grep -q "failed transactions: [1-9]" <<<"$out"; then echo "$out" >&2; return 1; fi
  echo "$(awk '/^tps/ {print $3}' <<<"$out") $(awk '/^latency average/ {print $4}' <<<"$out")" \
    "$(awk -v t=$(( after - before )) -v hz="$ticks_per_second" '/^number of transactions actually processed/ {split($0, a, ": "); split(a[2], n, "/"); printf "%.1f", t / hz * 1e6 / n[1]}' <<<"$out")"
}

log "warming up the gateway (JIT tiers) and pgbouncer"
# A long-running gateway has compiled its login and logout paths long ago; here they are called
# 8 times per run, so without a connection per transaction (-C) first, the runtime was still
# recompiling them to tier 1 during the measured runs (up to 0.4 s of a core in one 6 s run).
for mode in simple extended prepared; do
  PGPASSWORD=$alice pgbench -n -S -M "$mode" -C -c 4 -j 2 -T 2 $(target_args gateway) >/dev/null 2>&1
  PGPASSWORD=$alice pgbench -n -S -M "$mode" -c 8 -j 2 -T 3 $(target_args gateway) >/dev/null 2>&1
  PGPASSWORD=$password pgbench -n -S -M "$mode" -c 8 -j 2 -T 1 $(target_args pgbouncer) >/dev/null 2>&1
  PGPASSWORD=$password pgbench -n -S -M "$mode" -c 8 -j 2 -T 2 $(target_args floor) >/dev/null 2>&1
done

declare -A tps lat cpu
targets=(direct pgbouncer floor gateway)
for round in $(seq "$rounds"); do
  for mode in simple extended prepared; do
    for t in "${targets[@]}"; do
      read -r v _ c < <(bench_run "$t" "$mode" 8 2)
      tps[$t,$mode]="${tps[$t,$mode]:-} $v"
      cpu[$t,$mode]="${cpu[$t,$mode]:-} $c"
      log "round $round $mode $t: $v tps, proxy CPU $c µs per transaction"
    done
  done
  for t in "${targets[@]}"; do
    read -r _ l _ < <(bench_run "$t" prepared 1 1)
    lat[$t]="${lat[$t]:-} $l"
    log "round $round latency $t: $l ms"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }

echo
echo "pgbench -S, scale 5, ${duration}s per run, median of $rounds round(s)"
printf '%-10s %10s %10s %10s %10s %8s %8s %8s   %s\n' mode direct pgbouncer floor gateway gw/pgb gw/dir floor/pgb "proxy CPU per transaction"
for mode in simple extended prepared; do
  d=$(median <<<"${tps[direct,$mode]}") b=$(median <<<"${tps[pgbouncer,$mode]}") f=$(median <<<"${tps[floor,$mode]}") g=$(median <<<"${tps[gateway,$mode]}")
  printf '%-10s %10.0f %10.0f %10.0f %10.0f %8s %8s %8s   pgbouncer %s µs, floor %s µs, gateway %s µs\n' "$mode" "$d" "$b" "$f" "$g" \
    "$(ratio "$g" "$b")" "$(ratio "$g" "$d")" "$(ratio "$f" "$b")" \
    "$(median <<<"${cpu[pgbouncer,$mode]}")" "$(median <<<"${cpu[floor,$mode]}")" "$(median <<<"${cpu[gateway,$mode]}")"
done
d=$(median <<<"${lat[direct]}") b=$(median <<<"${lat[pgbouncer]}") f=$(median <<<"${lat[floor]}") g=$(median <<<"${lat[gateway]}")
printf '%-10s %10s %10s %10s %10s   added: pgbouncer %.3f ms, floor %.3f ms, gateway %.3f ms\n' "latency" "${d}ms" "${b}ms" "${f}ms" "${g}ms" \
  "$(awk -v a="$b" -v b="$d" 'BEGIN{print a-b}')" "$(awk -v a="$f" -v b="$d" 'BEGIN{print a-b}')" "$(awk -v a="$g" -v b="$d" 'BEGIN{print a-b}')"
[ "$quick" = 1 ] && exit 0

# TLS on the client leg (pgbouncer here has no certificate): TLS sessions run on threads in the gateway.
tls_d=$(PGSSLMODE=require bench_run direct prepared 8 2 | cut -d' ' -f1)
tls_g=$(PGSSLMODE=require bench_run gateway prepared 8 2 | cut -d' ' -f1)
printf 'TLS client leg, prepared: direct %.0f tps, gateway %.0f tps, gw/dir %s\n' "$tls_d" "$tls_g" "$(ratio "$tls_g" "$tls_d")"

echo
# Luhn-valid test card numbers (the detector checks Luhn), one per row in turn.
query="SELECT g AS id, 'customer ' || g AS name, (ARRAY['4111 1111 1111 1111', '5500-0000-0000-0004', '340000000000009', '4012888888881881'])[g % 4 + 1] AS card FROM generate_series(1, 1000000) g"
timed_select() { # target -> seconds
  local start end
  start=$(date +%s%N)
  # shellcheck disable=SC2046
  PGPASSWORD=$(target_password "$1") psql -X -q $(target_args "$1" | sed 's/^-p/-p/') -c "$query" >"$work/$1.out"
  end=$(date +%s%N)
  awk -v ns=$(( end - start )) 'BEGIN {printf "%.3f", ns / 1e9}'
}
sel_d="" sel_g=""
for _ in 1 2 3; do sel_d="$sel_d $(timed_select direct)"; sel_g="$sel_g $(timed_select gateway)"; done
d=$(median <<<"$sel_d") g=$(median <<<"$sel_g")
masked=$(grep -c '\*\*\*\*' "$work/gateway.out" || true)
echo "1,000,000 rows with a card column via psql (median of 3): direct ${d}s, gateway ${g}s, ratio $(ratio "$g" "$d"); rows masked by the gateway: $masked"
if grep -qE '4111 1111 1111 1111|5500-0000-0000-0004|340000000000009|4012888888881881' "$work/gateway.out"; then echo "ERROR: an unmasked card number left the gateway" >&2; exit 1; fi

echo
rss() { awk '/VmRSS/ {print $2}' "/proc/$gw_pid/status"; }
threads() { awk '/Threads/ {print $2}' "/proc/$gw_pid/status"; }
before=$(rss)
PGPASSWORD=$alice pgbench -n -S -c 500 -j 2 -T 20 -R 500 $(target_args gateway) >"$work/held.out" 2>&1 &
held=$!
sleep 15
during=$(rss) nthreads=$(threads)
wait $held || { cat "$work/held.out" >&2; exit 1; }
echo "500 connections held: RSS ${before} KiB idle, ${during} KiB with 500 sessions ($nthreads threads): $(( (during - before) / 500 )) KiB per connection; $(grep -E 'failed transactions' "$work/held.out")"
