#!/usr/bin/env bash
# Installs what building, testing and running the appliance natively needs, when missing:
# the .NET SDK check, PostgreSQL server and client (psql, pgbench), openssl.
set -euo pipefail

need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
command -v psql >/dev/null || need_apt+=(postgresql-client)
command -v pgbench >/dev/null || need_apt+=(postgresql-contrib)
command -v curl >/dev/null || need_apt+=(curl)
for extra in "$@"; do
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

if ! command -v dotnet >/dev/null; then
  echo "The .NET 10 SDK is required (https://dot.net). It was not found on PATH." >&2
  exit 1
fi
