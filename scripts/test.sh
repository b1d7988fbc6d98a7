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
port=${APPLIANCE_TEST_PG_PORT:-$(( 56000 + RANDOM % 2000 ))}
password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)

cleanup() {
  scripts/pg-throwaway.sh stop "$work/pg" || true
  rm -rf "$work"
}
trap cleanup EXIT

scripts/pg-throwaway.sh start "$work/pg" "$port" "$password"
export APPLIANCE_TEST_PG="Host=127.0.0.1;Port=$port;Username=postgres;Password=$password"
export APPLIANCE_TEST_PG_SOCKET_DIR="$work/pg"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

dotnet build Appliance.sln -c Release -warnaserror
# Test assemblies run one after another: the 2-core CI machine also hosts PostgreSQL, and
# the gateway tests time real expiries.
dotnet test Appliance.sln -c Release --no-build -m:1 --logger "console;verbosity=normal" "$@"
