#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests, benchmarks and the local demo database.
#   scripts/pg-throwaway.sh start <dir> <port> <superuser-password>
#   scripts/pg-throwaway.sh stop  <dir>
# Runs the server as the `postgres` OS user when invoked as root (initdb refuses root).
# The cluster has TLS on (self-signed) and users for each upstream auth method the gateway
# speaks: `postgres` (SCRAM-SHA-256), `md5_user` (MD5), `clear_user` (cleartext password); the
# last two are plain login roles. Its socket directory is private: local connections are trusted.
# Durability is off (fsync, full_page_writes): tests, benchmarks and the demo, never real data.
set -euo pipefail

cmd=${1:?start|stop}
dir=${2:?data directory}

find_bin() {
  local b
  for b in /usr/lib/postgresql/*/bin; do
    [ -x "$b/initdb" ] && { echo "$b"; return 0; }
  done
  return 1
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ensure_installed() {
  if ! find_bin >/dev/null; then
    echo "PostgreSQL server binaries not found; installing with apt" >&2
    if [ "$(id -u)" = 0 ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 || {
        apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2; }
    else
      sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
    fi
  fi
  # The Debian package starts its own cluster on 5432; ours uses its own port and directory.
}

case "$cmd" in
  start)
    port=${3:?port}
    password=${4:?superuser password}
    ensure_installed
    bin=$(find_bin)
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
      useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    # The Unix socket lives here and local connections are trusted: only the server's OS user (and root) may reach it.
    chmod 700 "$dir"
    if as_pg "$bin/pg_ctl" -D "$dir/pgdata" status >/dev/null 2>&1; then
      # Line 4 of postmaster.pid is the port it listens on.
      running_port=$(sed -n 4p "$dir/pgdata/postmaster.pid" 2>/dev/null)
      if [ -n "$running_port" ] && [ "$running_port" != "$port" ]; then
        echo "PostgreSQL in $dir is running on port $running_port, not $port: stop it first ($0 stop $dir)" >&2
        exit 1
      fi
      echo "PostgreSQL already running in $dir" >&2
      exit 0
    fi
    if [ ! -f "$dir/pgdata/PG_VERSION" ]; then
      pwfile=$(mktemp)
      printf '%s\n' "$password" >"$pwfile"
      [ "$(id -u)" = 0 ] && chown postgres "$pwfile"
      as_pg "$bin/initdb" -D "$dir/pgdata" -U postgres --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
      rm -f "$pwfile"
      # A self-signed certificate so clients (and the gateway's upstream leg) can use TLS.
      as_pg openssl req -new -x509 -days 3650 -nodes -subj "/CN=localhost" \
        -keyout "$dir/pgdata/server.key" -out "$dir/pgdata/server.crt" >/dev/null 2>&1
      as_pg chmod 600 "$dir/pgdata/server.key"
      as_pg tee -a "$dir/pgdata/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 700
shared_buffers = 128MB
ssl = on
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
CONF
      as_pg tee "$dir/pgdata/pg_hba.conf" >/dev/null <<HBA
local all all trust
host all clear_user 127.0.0.1/32 password
host all md5_user 127.0.0.1/32 md5
host all all 127.0.0.1/32 scram-sha-256
HBA
    fi
    # The port asked for now, not only the one written at initdb: a port changed later (a first
    # run that found it taken) is taken too (probe DC).
    if ! as_pg "$bin/pg_ctl" -D "$dir/pgdata" -l "$dir/postgres.log" -o "-p $port" -w -t 60 start >/dev/null; then
      echo "PostgreSQL did not start on port $port: $(tail -n 4 "$dir/postgres.log" | tr '\n' ' ')" >&2
      exit 1
    fi
    as_pg "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -q -v ON_ERROR_STOP=1 >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'md5_user') THEN
    SET password_encryption = 'md5';
    CREATE ROLE md5_user LOGIN PASSWORD '$password';
    SET password_encryption = 'scram-sha-256';
    CREATE ROLE clear_user LOGIN PASSWORD '$password';
  END IF;
END \$\$;
SQL
    echo "PostgreSQL running on 127.0.0.1:$port (data in $dir)" >&2
    ;;
  stop)
    bin=$(find_bin) || exit 0
    if [ -d "$dir/pgdata" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/pgdata" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    ;;
  *)
    echo "usage: $0 start <dir> <port> <password> | stop <dir>" >&2
    exit 2
    ;;
esac
