#!/usr/bin/env bash
# Bring up / tear down the local Kafka + FerretDB pair used by tests and benchmarks.
#
#   scripts/dev/servers.sh up      start what is missing, wait for both, print KAFKA_BROKERS=... and MONGO_URL=...
#   scripts/dev/servers.sh down    stop the servers this script started
#   scripts/dev/servers.sh status  status of both local servers
#   scripts/dev/servers.sh env     print the two lines only (no starting, no waiting)
#
# External servers: if KAFKA_BROKERS is set, no local Kafka is started (up only waits for it);
# if MONGO_URL is set, no local FerretDB is started (up only pings it).
# A port a server needs that is already taken stops `up` before any server starts, naming the port,
# its variable and the process that holds it. SERVERS_STATE_DIR (.local/servers) keeps the marks of
# what `up` started.
# Typical use:  eval "$(scripts/dev/servers.sh up)"   or   scripts/dev/servers.sh up > .env.servers
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dev="$root/scripts/dev"
# Which servers `up` started, so that `down` stops those and no others.
marks="${SERVERS_STATE_DIR:-$root/.local/servers}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
FERRETDB_PORT="${FERRETDB_PORT:-27018}"
MONGO_DB="${MONGO_DB:-tokenmeter}"

kafka_brokers="${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
mongo_url="${MONGO_URL:-mongodb://127.0.0.1:$FERRETDB_PORT/$MONGO_DB}"

log() { echo "servers: $*" >&2; }

print_env() {
  echo "KAFKA_BROKERS=$kafka_brokers"
  echo "MONGO_URL=$mongo_url"
}

# A server that cannot start stops `up` with a line naming it, below that server's own
# "kafka: ERROR" / "ferretdb: ERROR" lines that say why.
fail() { log "ERROR: $*"; exit 1; }

up() {
  local t0=$SECONDS servers=() pids=() failed=() i server
  if [[ -z "${KAFKA_BROKERS:-}" ]]; then servers+=(kafka); else log "KAFKA_BROKERS is set; not starting a local Kafka"; fi
  if [[ -z "${MONGO_URL:-}" ]]; then servers+=(ferretdb); else log "MONGO_URL is set; not starting a local FerretDB"; fi
  # Every server's ports before any server starts: a taken port leaves nothing half started.
  for server in "${servers[@]}"; do "$dev/$server.sh" check-ports || failed+=("$server"); done
  ((${#failed[@]} == 0)) || fail "${failed[*]} cannot start (a port is taken, see above); no server was started"
  "$dev/ensure-node.sh" >&2
  mkdir -p "$marks"
  # Start (fetching/building on first use) in parallel; each script has its own deadlines.
  for server in "${servers[@]}"; do
    "$dev/$server.sh" status >/dev/null 2>&1 || touch "$marks/$server.started"
    "$dev/$server.sh" start &
    pids+=($!)
  done
  for i in "${!servers[@]}"; do wait "${pids[$i]}" || failed+=("${servers[$i]}"); done
  ((${#failed[@]} == 0)) || fail "${failed[*]} failed to start (see above); a server that did start runs until \`$0 down\`"

  if [[ -z "${KAFKA_BROKERS:-}" ]]; then
    "$dev/kafka.sh" wait || fail "kafka did not become ready (see above)"
  else
    "$dev/kafka.sh" wait "$kafka_brokers" || fail "the Kafka of KAFKA_BROKERS ($kafka_brokers) did not answer"
  fi
  if [[ -z "${MONGO_URL:-}" ]]; then
    "$dev/ferretdb.sh" wait || fail "ferretdb did not become ready (see above)"
  else
    "$dev/ferretdb.sh" wait "$mongo_url" || fail "the database of MONGO_URL did not answer"
  fi
  log "up in $((SECONDS - t0)) s"
  print_env
}

down() {
  if [[ -f "$marks/kafka.started" ]]; then "$dev/kafka.sh" stop; rm -f "$marks/kafka.started"; fi
  if [[ -f "$marks/ferretdb.started" ]]; then "$dev/ferretdb.sh" stop; rm -f "$marks/ferretdb.started"; fi
}

status() {
  local rc=0
  "$dev/kafka.sh" status || rc=3
  "$dev/ferretdb.sh" status || rc=3
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) print_env ;;
  *)
    echo "usage: $0 {up|down|status|env}" >&2
    exit 2
    ;;
esac
