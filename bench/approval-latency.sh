#!/usr/bin/env bash
# Approval latency: the time from a signed Approve click (the HTTP POST to chatops'
# /slack/interactions) to the first PostgreSQL login through the gateway's listener that the new
# grant lets in. Real gateway and chatops (Release, in one process), Slack emulated, a real
# PostgreSQL upstream; p50/p95 over N approvals, each on a fresh request, revoked before the next.
#   bench/approval-latency.sh [N=50]
# Uses the cluster of APPLIANCE_TEST_PG (a superuser connection string) when set; else starts a
# throwaway one with scripts/pg-throwaway.sh and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
work=$(mktemp -d /tmp/appliance-approval.XXXXXX)
chmod 755 "$work"
artifacts=${APPROVAL_LATENCY_ARTIFACTS:-/tmp/art-approval-latency}

cleanup() {
  if [ -d "$work/pg" ]; then scripts/pg-throwaway.sh stop "$work/pg" || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${APPLIANCE_TEST_PG:-}" ]; then
  port=$(( 57000 + RANDOM % 1000 ))
  password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 20)
  scripts/pg-throwaway.sh start "$work/pg" "$port" "$password" >/dev/null
  export APPLIANCE_TEST_PG="Host=127.0.0.1;Port=$port;Username=postgres;Password=$password"
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_gcServer=0
dotnet build bench/approval-latency -c Release --artifacts-path "$artifacts" -warnaserror >"$work/build.log" 2>&1 || {
  cat "$work/build.log"
  exit 1
}
log="${APPROVAL_LATENCY_LOG:-/tmp/approval-latency.log}"
dotnet "$artifacts/bin/ApprovalLatency/release/ApprovalLatency.dll" "$n" "$log"
