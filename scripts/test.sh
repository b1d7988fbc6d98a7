#!/usr/bin/env bash
# Runs every test of the solution against a throwaway PostgreSQL cluster started here and
# stopped on exit. Exits non-zero on any failure.
#   scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Store]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/setup-tools.sh --test-clients

work=$(mktemp -d /tmp/appliance-test.XXXXXX)
chmod 755 "$work"
password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)

cleanup() {
  scripts/pg-throwaway.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT

# A port below the kernel's ephemeral range, so an outbound connection of this machine (a
# package download, another job) cannot be holding it; one that fails to bind (taken between
# the look and the start) is tried again on another. CI once failed here: "could not create any
# TCP/IP sockets" on a port inside the ephemeral range.
pick_port() {
  local low candidate
  low=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$low" -gt 21000 ] || low=32768
  for _ in $(seq 50); do
    candidate=$(( 20000 + RANDOM % (low - 20000) ))
    if ! ss -Htan "( sport = :$candidate )" 2>/dev/null | grep -q .; then
      echo "$candidate"; return 0
    fi
  done
  echo $(( 20000 + RANDOM % (low - 20000) ))
}

if [ -n "${APPLIANCE_TEST_PG_PORT:-}" ]; then
  port=$APPLIANCE_TEST_PG_PORT
  scripts/pg-throwaway.sh start "$work/pg" "$port" "$password"
else
  for attempt in 1 2 3 4 5; do
    port=$(pick_port)
    scripts/pg-throwaway.sh start "$work/pg" "$port" "$password" && break
    [ "$attempt" = 5 ] && { echo "PostgreSQL for the tests did not start after $attempt tries" >&2; exit 1; }
    echo "retrying on another port" >&2
  done
fi
export APPLIANCE_TEST_PG="Host=127.0.0.1;Port=$port;Username=postgres;Password=$password"
export APPLIANCE_TEST_PG_SOCKET_DIR="$work/pg"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build Appliance.sln -c Release -warnaserror
# Test assemblies run one after another: the 2-core CI machine also hosts PostgreSQL, and
# the gateway tests time real expiries. CI shows only the end of what this prints, so the
# failures (name and message, without the stack) and each assembly's totals are repeated last.
log="$work/test.log"
status=0
dotnet test Appliance.sln -c Release --no-build -m:1 --logger "console;verbosity=normal" "$@" \
  2>&1 | tee "$log" || status=$?
echo
echo "== summary =="
awk '/^  Failed /{n=20; print; next} /^  (Stack Trace|Standard Output Messages):/{n=0} n>0{n--; print}' "$log"
grep -E "^(Test Run|Total tests:|     (Passed|Failed|Skipped):)|^The active test run was aborted|Test host process crashed" "$log" || true
exit "$status"
