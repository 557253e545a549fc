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
# Typical use:  eval "$(scripts/dev/servers.sh up)"   or   scripts/dev/servers.sh up > .env.servers
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
dev="$root/scripts/dev"
marks="$root/.local/servers"
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

up() {
  local t0=$SECONDS pids=() rc=0
  mkdir -p "$marks"
  "$dev/ensure-node.sh" >&2
  # Start (fetching/building on first use) both in parallel; each script has its own deadlines.
  if [[ -z "${KAFKA_BROKERS:-}" ]]; then
    "$dev/kafka.sh" status >/dev/null 2>&1 || touch "$marks/kafka.started"
    "$dev/kafka.sh" start &
    pids+=($!)
  else
    log "KAFKA_BROKERS is set; not starting a local Kafka"
  fi
  if [[ -z "${MONGO_URL:-}" ]]; then
    "$dev/ferretdb.sh" status >/dev/null 2>&1 || touch "$marks/ferretdb.started"
    "$dev/ferretdb.sh" start &
    pids+=($!)
  else
    log "MONGO_URL is set; not starting a local FerretDB"
  fi
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  [[ $rc -eq 0 ]] || { log "ERROR: a server failed to start"; exit 1; }

  if [[ -z "${KAFKA_BROKERS:-}" ]]; then "$dev/kafka.sh" wait; else "$dev/kafka.sh" wait "$kafka_brokers"; fi
  if [[ -z "${MONGO_URL:-}" ]]; then "$dev/ferretdb.sh" wait; else "$dev/ferretdb.sh" wait "$mongo_url"; fi
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
