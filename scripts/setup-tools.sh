#!/usr/bin/env bash
# Installs what building, testing and running the appliance natively needs, when missing:
# the .NET SDK check, PostgreSQL server and client (psql, pgbench), openssl.
#   scripts/setup-tools.sh [--test-clients] [extra commands to apt-get install, e.g. jq]
# --test-clients (scripts/test.sh) adds the other clients the gateway tests drive: a JDK with
# pgjdbc (DBeaver's driver), and Node.js with npm and node-postgres (`npm ci` from its lock file).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

test_clients=false
extras=()
for arg in "$@"; do
  case "$arg" in
    --test-clients) test_clients=true ;;
    *) extras+=("$arg") ;;
  esac
done

need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v psql >/dev/null || need_apt+=(postgresql-client)
command -v pgbench >/dev/null || need_apt+=(postgresql-contrib)
command -v curl >/dev/null || need_apt+=(curl)
if $test_clients; then
  # The JDBC probe is a single-file source program: `java Probe.java` compiles it in memory,
  # which takes a JDK, not only a runtime.
  command -v javac >/dev/null || need_apt+=(default-jdk-headless)
  [ -f /usr/share/java/postgresql.jar ] || need_apt+=(libpostgresql-jdbc-java)
  command -v node >/dev/null || need_apt+=(nodejs)
  command -v npm >/dev/null || need_apt+=(npm)
  # pgbouncer as an upstream (the gateway in front of a pooler); Debian installs it under /usr/sbin.
  [ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null || need_apt+=(pgbouncer)
fi
for extra in "${extras[@]}"; do
  command -v "$extra" >/dev/null || need_apt+=("$extra")
done

if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing: ${need_apt[*]}" >&2
  sudo_cmd=()
  [ "$(id -u)" = 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_apt[@]}" >&2 || {
    "${sudo_cmd[@]}" apt-get update -q >&2
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need_apt[@]}" >&2
  }
fi

if $test_clients; then
  # node-postgres at the version the lock file pins, beside the probe that uses it.
  (cd "$root/tests/Appliance.Gateway.Tests/Postgres/Clients/node" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi

if ! command -v dotnet >/dev/null; then
  echo "The .NET 10 SDK is required (https://dot.net). It was not found on PATH." >&2
  exit 1
fi
