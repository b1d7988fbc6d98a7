#!/usr/bin/env bash
# Takes a fresh clone to a running appliance.
#
#   scripts/install.sh [start]   start everything, print the next steps
#   scripts/install.sh stop      stop everything it started (data and .env stay)
#   scripts/install.sh restart   stop, rebuild, start
#   scripts/install.sh status    what runs, where, healthy or not
#   option --native              run natively even when a Docker engine is there
#
# With a Docker engine: .env (from .env.example, fresh secrets) and the compose stack
# (compose/docker-compose.yml). Without one: the gateway and chatops built (Release, into .run/)
# and started as background processes on the embedded store, and a demo PostgreSQL with fake
# customers on 127.0.0.1:$DEMO_DB_PORT when PostgreSQL server binaries exist.
#
# Safe to run twice: .env is never overwritten, a healthy running service is left alone (an
# unhealthy one is restarted), the demo database is seeded only when it does not exist yet.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
run="$root/.run"
compose_file="$root/compose/docker-compose.yml"
start_timeout=${APPLIANCE_START_TIMEOUT:-90}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

warnings=()
log() { printf '==> %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; warnings+=("$*"); }
die() { printf 'install: %s\n' "$*" >&2; exit 1; }

# ---- .env ------------------------------------------------------------------------------------

secret() {
  if command -v openssl >/dev/null; then openssl rand -hex 32
  else head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; fi
}

# .env from .env.example, every `change-me` replaced by its own fresh secret. Never overwrites.
ensure_env() {
  if [ -f .env ]; then
    log "keeping the existing .env"
    return
  fi
  [ -f .env.example ] || die ".env.example is missing: is this a clone of the repository?"
  local line tmp
  mkdir -p "$run"
  tmp=$(mktemp "$run/env.XXXXXX")
  chmod 600 "$tmp"
  while IFS= read -r line || [ -n "$line" ]; do
    if [[ $line =~ ^([A-Za-z_][A-Za-z0-9_]*)=change-me$ ]]; then
      printf '%s=%s\n' "${BASH_REMATCH[1]}" "$(secret)"
    else
      printf '%s\n' "$line"
    fi
  done <.env.example >"$tmp"
  mv "$tmp" .env
  log "created .env with fresh secrets (readable only by you)"
}

# Exports .env's NAME=value lines without evaluating them as shell; the environment wins, as
# with compose.
load_env() {
  local line name number=0
  while IFS= read -r line || [ -n "$line" ]; do
    number=$((number + 1))
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    if [[ ! $line =~ ^([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]]; then
      warn ".env line $number is not NAME=value: ignored"
      continue
    fi
    name=${BASH_REMATCH[1]}
    [ -n "${!name+set}" ] || export "$name=${BASH_REMATCH[2]}"
  done <.env
  http_port=${APPLIANCE_HTTP_PORT:-8080}
  pg_port=${APPLIANCE_PG_PORT:-15432}
  chatops_port=${CHATOPS_HTTP_PORT:-8081}
  demo_port=${DEMO_DB_PORT:-5433}
  demo_name=${DEMO_DB_NAME:-demo}
  demo_user=${DEMO_DB_USER:-demo_reader}
  # The example's URLs name the example's ports: with other ports set, they follow (probe BB: the
  # gateway sent its events to another install's chatops).
  [ "${APPLIANCE_CHATOPS_URL:-}" != http://localhost:8081 ] || export APPLIANCE_CHATOPS_URL="http://localhost:$chatops_port"
  [ "${APPLIANCE_URL:-}" != http://localhost:8080 ] || export APPLIANCE_URL="http://localhost:$http_port"
}

# A hand-copied .env.example would start services with known secrets: refuse.
check_secrets() {
  local name
  for name in "$@"; do
    [ "${!name:-change-me}" != change-me ] \
      || die "$name in .env is empty or still 'change-me': set a secret (openssl rand -hex 32)"
  done
}

# ---- helpers ---------------------------------------------------------------------------------

healthy() { curl -fsS --max-time 2 -o /dev/null "$1" 2>/dev/null; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

now_ms() { date +%s%3N; }

docker_engine() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

# ---- native: the gateway and chatops as processes --------------------------------------------

# The pid of a running service we started (its pid file names a live process running our
# binary), or nothing and status 1.
service_pid() {
  local pid
  pid=$(cat "$run/$1.pid" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  case "$(ps -o args= -p "$pid" 2>/dev/null)" in
    "$run/$1/"*) echo "$pid" ;;
    *) return 1 ;;
  esac
}

# Publishes a project (Release) into .run/<name>; intermediate output stays under .run/build so
# the checkout's bin/ and obj/ are not touched.
publish() {
  local name=$1 project=$2
  log "building $name (Release)"
  if ! dotnet publish "$project" -c Release -o "$run/$name" --artifacts-path "$run/build" \
      -v quiet -nologo >"$run/build-$name.log" 2>&1; then
    tail -n 30 "$run/build-$name.log" >&2
    return 1
  fi
}

# Starts .run/<name>/<app> in the background (its own session, so it outlives this script and
# the terminal) and waits until <health url> answers 200.
launch() {
  local name=$1 app=$2 url=$3 pid started elapsed
  # The log names people, addresses and sessions; what the service writes (the embedded store)
  # holds token hashes and the audit: for this user only (probe DC: they were world-readable).
  (umask 077 && printf '\n=== %s: start %s ===\n' "$(date -u +%FT%TZ)" "$name" >>"$run/$name.log")
  chmod 600 "$run/$name.log"
  started=$(now_ms)
  (umask 077 && exec setsid "$run/$name/$app" >>"$run/$name.log" 2>&1 </dev/null) &
  pid=$!
  echo "$pid" >"$run/$name.pid"
  while ! healthy "$url"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$run/$name.pid"
      printf '%s exited during start. Last lines of %s:\n' "$name" "$run/$name.log" >&2
      tail -n 25 "$run/$name.log" >&2
      return 1
    fi
    elapsed=$(( $(now_ms) - started ))
    if (( elapsed > start_timeout * 1000 )); then
      printf '%s (pid %s) did not answer %s within %ss; it is left running. See %s\n' \
        "$name" "$pid" "$url" "$start_timeout" "$run/$name.log" >&2
      return 1
    fi
    sleep 0.2
  done
  elapsed=$(( $(now_ms) - started ))
  log "$name is up: pid $pid, healthy $((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000)))s after start, log $run/$name.log"
}

# start_service <name> <project> <app> <port> [other ports it listens on]: leaves a healthy one
# alone, restarts an unhealthy one.
start_service() {
  local name=$1 project=$2 app=$3 port=$4 url pid
  url="http://localhost:$port/healthz"
  if pid=$(service_pid "$name"); then
    if healthy "$url"; then
      log "$name is already running (pid $pid) and healthy: left as it is"
      return 0
    fi
    log "$name (pid $pid) is running but not healthy: restarting it"
    stop_service "$name"
  fi
  for port in "$port" "${@:5}"; do
    if port_in_use "$port"; then
      printf 'port %s is taken by a process this script did not start; free it or set the port in .env\n' "$port" >&2
      return 1
    fi
  done
  port=$4
  publish "$name" "$project" || return 1
  launch "$name" "$app" "$url"
}

# Before a restart stops anything: a port .env names that another process holds (not the service
# of ours on it now) would leave the stack stopped (probe DK).
check_ports_for_restart() {
  command -v ss >/dev/null || return 0
  local port name owner ours
  for name in gateway:$http_port gateway:$pg_port chatops:$chatops_port; do
    port=${name#*:}
    owner=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)
    [ -n "$owner" ] || continue
    ours=$(service_pid "${name%%:*}" || true)
    if [ "$owner" != "$ours" ]; then
      printf 'port %s in .env is taken by another process (pid %s)\n' "$port" "$owner" >&2
      return 1
    fi
  done
}

stop_service() {
  local name=$1 pid deadline
  if ! pid=$(service_pid "$name"); then
    rm -f "$run/$name.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    warn "$name (pid $pid) ignored SIGTERM for 20s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$run/$name.pid"
  log "stopped $name (pid $pid)"
}

# ---- native: the demo database ---------------------------------------------------------------

have_pg_server() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }

# psql as the demo server's superuser, over its Unix socket (trusted locally).
demo_psql() {
  psql -h "$run/demo-db" -p "$demo_port" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"
}

start_demo_db() {
  case "${DEMO_DB_HOST:-127.0.0.1}" in
    127.0.0.1 | localhost) ;;
    *) log "the demo connection points at $DEMO_DB_HOST: no local demo database started"; return 0 ;;
  esac
  if ! have_pg_server || ! command -v psql >/dev/null; then
    warn "no PostgreSQL server binaries (apt-get install postgresql): the demo database was not started"
    return 0
  fi
  if ! scripts/pg-throwaway.sh start "$run/demo-db" "$demo_port" "$DEMO_DB_SUPERUSER_PASSWORD"; then
    warn "the demo database did not start on port $demo_port: see $run/demo-db/postgres.log"
    return 0
  fi
  local exists
  exists=$(demo_psql -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$demo_name'")
  if [ -n "$exists" ]; then
    # Never re-seeded; only the reader's password follows .env.
    demo_psql -d "$demo_name" -v role="$demo_user" -v password="$DEMO_DB_PASSWORD" \
      <<<"ALTER ROLE :\"role\" PASSWORD :'password';" \
      || warn "could not set the password of $demo_user in the demo database (was DEMO_DB_USER changed after seeding?)"
    log "demo database '$demo_name' on 127.0.0.1:$demo_port: kept as it is"
    return 0
  fi
  demo_psql -d postgres -c "CREATE DATABASE \"$demo_name\""
  if ! demo_psql -d "$demo_name" -v reader_role="$demo_user" -v reader_password="$DEMO_DB_PASSWORD" \
      -f "$root/compose/demo-db/demo.sql"; then
    # Leave no half-seeded database behind: the next run would take it as seeded.
    demo_psql -d postgres -c "DROP DATABASE \"$demo_name\"" || true
    warn "seeding the demo database failed (see above)"
    return 0
  fi
  log "demo database '$demo_name' seeded on 127.0.0.1:$demo_port (customers, orders; reader $demo_user)"
}

stop_demo_db() {
  if [ -d "$run/demo-db/pgdata" ] && have_pg_server; then
    scripts/pg-throwaway.sh stop "$run/demo-db"
    log "stopped the demo database"
  fi
}

# ---- native: commands ------------------------------------------------------------------------

native_start() {
  log "no Docker engine (or --native): running natively"
  # PostgreSQL, psql, curl, openssl when missing; jq for the next steps below.
  scripts/setup-tools.sh jq || warn "scripts/setup-tools.sh failed: continuing with what is installed"
  command -v dotnet >/dev/null || die "the .NET 10 SDK is required (https://dot.net)"
  command -v curl >/dev/null || die "curl is required"
  ensure_env
  load_env
  check_secrets APPLIANCE_ADMIN_TOKEN APPLIANCE_CHATOPS_TOKEN DEMO_DB_PASSWORD DEMO_DB_SUPERUSER_PASSWORD
  mkdir -p "$run"
  # Logs and binaries inside are the user's; the demo database's server user must pass through (probe DK: a umask of 077 made it 700).
  chmod 711 "$run"
  start_demo_db
  start_service gateway appliance/Appliance.Gateway Appliance.Gateway "$http_port" "$pg_port" \
    || die "the gateway did not start (log: $run/gateway.log)"
  if [ -f chatops/Appliance.Chatops/Appliance.Chatops.csproj ]; then
    start_service chatops chatops/Appliance.Chatops Appliance.Chatops "$chatops_port" \
      || warn "chatops did not start (log: $run/chatops.log); the gateway runs without it"
  fi
  next_steps
}

native_stop() {
  load_env
  stop_service chatops
  stop_service gateway
  stop_demo_db
}

native_status() {
  load_env
  local name port pid
  for name in gateway chatops; do
    [ "$name" = gateway ] && port=$http_port || port=$chatops_port
    if pid=$(service_pid "$name"); then
      if healthy "http://localhost:$port/healthz"; then
        printf '%-8s running, healthy   pid %s, port %s, RSS %s KiB, log %s\n' \
          "$name" "$pid" "$port" "$(ps -o rss= -p "$pid" | tr -d ' ')" "$run/$name.log"
      else
        printf '%-8s running, UNHEALTHY pid %s, port %s, log %s\n' "$name" "$pid" "$port" "$run/$name.log"
      fi
    else
      printf '%-8s stopped\n' "$name"
    fi
  done
  if [ -d "$run/demo-db/pgdata" ] && pg_isready -q -h 127.0.0.1 -p "$demo_port" 2>/dev/null; then
    printf '%-8s running            127.0.0.1:%s, data %s\n' demo-db "$demo_port" "$run/demo-db"
  else
    printf '%-8s stopped\n' demo-db
  fi
}

# ---- compose ---------------------------------------------------------------------------------

compose() {
  # Two installs on one Docker host need two names: the same name would take over the other's
  # containers and volumes (probe DC).
  local project=${COMPOSE_PROJECT_NAME:-appliance}
  if docker compose version >/dev/null 2>&1; then
    docker compose -p "$project" -f "$compose_file" --env-file "$root/.env" "$@"
  elif command -v docker-compose >/dev/null; then
    docker-compose -p "$project" -f "$compose_file" --env-file "$root/.env" "$@"
  else
    die "a Docker engine runs but neither 'docker compose' nor 'docker-compose' is installed"
  fi
}

docker_start() {
  log "Docker engine found: starting the compose stack"
  ensure_env
  load_env
  check_secrets APPLIANCE_ADMIN_TOKEN APPLIANCE_CHATOPS_TOKEN DEMO_DB_PASSWORD DEMO_DB_SUPERUSER_PASSWORD \
    STORE_DB_PASSWORD SEQ_ADMIN_PASSWORD
  compose up -d --build
  log "waiting for the gateway on http://localhost:$http_port/healthz"
  local deadline=$((SECONDS + start_timeout + 120))
  until healthy "http://localhost:$http_port/healthz"; do
    ((SECONDS < deadline)) || die "the gateway is not healthy yet; see: docker compose -p ${COMPOSE_PROJECT_NAME:-appliance} -f compose/docker-compose.yml logs gateway"
    sleep 1
  done
  log "gateway is up"
  command -v jq >/dev/null || warn "the next steps use jq: install it (e.g. apt-get install jq)"
  next_steps
}

# ---- next steps ------------------------------------------------------------------------------

next_steps() {
  local api="http://localhost:$http_port"
  cat <<STEPS

The appliance runs: API $api, PostgreSQL listener localhost:$pg_port, chatops http://localhost:$chatops_port.
Next steps (config/appliance.yaml: alice asks for access to 'demo', bob approves):

  # tokens for alice and bob, made with the admin token from .env
  ADMIN=\$(sed -n 's/^APPLIANCE_ADMIN_TOKEN=//p' '$root/.env')
  ALICE=\$(curl -s -X POST $api/api/users/alice@example.com/tokens -H "Authorization: Bearer \$ADMIN" | jq -r .token)
  BOB=\$(curl -s -X POST $api/api/users/bob@example.com/tokens -H "Authorization: Bearer \$ADMIN" | jq -r .token)

  # alice asks for the demo database for an hour, with a reason
  ID=\$(curl -s -X POST $api/api/requests -H "Authorization: Bearer \$ALICE" -H 'Content-Type: application/json' \\
        -d '{"connection":"demo","duration":"1h","reason":"investigating order 4411"}' | jq -r .id)

  # bob approves (alice cannot approve her own request)
  curl -s -X POST $api/api/requests/\$ID/approve -H "Authorization: Bearer \$BOB" | jq '{id, status, expiresAt}'

  # alice gets credentials for her grant (good for any number of sessions until the grant ends) and connects through the gateway
  URI=\$(curl -s -X POST $api/api/grants/\$ID/credentials -H "Authorization: Bearer \$ALICE" | jq -r .uri)
  psql "\$URI" -c 'SELECT full_name, email, ssn, card_number FROM customers LIMIT 5'   # masked
  psql "\$URI" -c "SELECT id, note FROM orders WHERE note LIKE '%card%' LIMIT 3"        # found in free text too
  psql "\$URI" -c 'DROP TABLE orders'                                                   # refused

Status: scripts/install.sh status    Stop: scripts/install.sh stop    Operations: docs/operations.md
STEPS
}

# ---- main ------------------------------------------------------------------------------------

native=false
flags=()
command=start
for arg in "$@"; do
  case "$arg" in
    --native) native=true; flags+=(--native) ;;
    start | stop | restart | status) command=$arg ;;
    -h | --help) sed -n '2,16p' "$0"; exit 0 ;;
    *) die "unknown argument '$arg' (start | stop | restart | status, --native)" ;;
  esac
done

use_docker=false
if ! $native && docker_engine; then use_docker=true; fi

case "$command" in
  start)
    if $use_docker; then docker_start; else native_start; fi
    ;;
  stop)
    [ -f .env ] || { log "no .env: nothing was installed here"; exit 0; }
    native_stop
    if $use_docker; then compose stop && log "stopped the compose stack (volumes kept)"; fi
    ;;
  restart)
    # A policy or .env edit that does not load must not turn a running gateway into a stopped
    # one: the installed gateway checks them first, and nothing is stopped when they fail.
    if [ -f .env ]; then
      load_env
      refused="nothing was stopped; fix it and restart again"
      ! $use_docker || (check_secrets STORE_DB_PASSWORD SEQ_ADMIN_PASSWORD) || die "$refused"
      (check_secrets APPLIANCE_ADMIN_TOKEN APPLIANCE_CHATOPS_TOKEN DEMO_DB_PASSWORD DEMO_DB_SUPERUSER_PASSWORD) || die "$refused"
      if ! $use_docker; then
        check_ports_for_restart || die "$refused"
        for name in gateway chatops; do
          app=Appliance.Gateway; [ $name = chatops ] && app=Appliance.Chatops
          if [ -x "$run/$name/$app" ]; then
            (umask 077 && "$run/$name/$app" --check >/dev/null 2>"$run/check.err") \
              || { cat "$run/check.err" >&2; die "the $name settings above do not load: $refused"; }
          fi
        done
      fi
    fi
    "$0" stop "${flags[@]}"
    exec "$0" start "${flags[@]}"
    ;;
  status)
    [ -f .env ] || { log "no .env: nothing was installed here"; exit 0; }
    native_status
    if $use_docker; then compose ps; fi
    ;;
esac

if [ ${#warnings[@]} -gt 0 ]; then
  printf '\nWarnings:\n' >&2
  printf '  - %s\n' "${warnings[@]}" >&2
fi
