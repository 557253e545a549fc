#!/usr/bin/env bash
# `make dev`: Kafka + FerretDB (or KAFKA_BROKERS / MONGO_URL), then the three built services
# with their logs in .local/dev/, waits until every /health/ready answers 200 and prints URLs.
# In the foreground it follows the logs until Ctrl-C, then stops everything it started.
# DEV_DETACH=1 returns once ready instead (stop later with `make dev-stop`).
#
# Ports: QUERY_API_PORT (3000), PRODUCER_PORT (3001), PROCESSOR_PORT (3002); DEV_STATE_DIR
# (.local/dev) holds the services' logs and pid files. It stops at the first step that fails, with
# the reason: a taken port (named with its holder), a server that did not start, a service that did
# not become ready. Nothing after that step is started.
# The producer runs its fleet simulator unless SIMULATOR_ENABLED=false, so the query API shows
# numbers within a minute.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
state="${DEV_STATE_DIR:-$root/.local/dev}"
mkdir -p "$state"
QUERY_API_PORT="${QUERY_API_PORT:-3000}" PRODUCER_PORT="${PRODUCER_PORT:-3001}" PROCESSOR_PORT="${PROCESSOR_PORT:-3002}"
declare -A ports=([query-api]="$QUERY_API_PORT" [producer]="$PRODUCER_PORT" [processor]="$PROCESSOR_PORT")
node_bin="$root/.cache/node/node_modules/.bin/node"
log() { echo "dev: $*" >&2; }
# shellcheck source=lib/ports.sh
source "$root/scripts/dev/lib/ports.sh"

stop_services() {
  for name in producer query-api processor; do
    local pidfile="$state/$name.pid"
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.3; done
      kill -0 "$(cat "$pidfile")" 2>/dev/null && kill -KILL "$(cat "$pidfile")" 2>/dev/null || true
      echo "dev: stopped $name" >&2
    fi
    rm -f "$pidfile"
  done
}

if [[ "${1:-}" == "stop" ]]; then
  stop_services
  scripts/dev/servers.sh down
  exit 0
fi

stop_services
check_free_ports QUERY_API_PORT PRODUCER_PORT PROCESSOR_PORT || { log "ERROR: not starting: a service port is taken"; exit 1; }
# A command substitution, not `< <(...)`: the exit status of `servers.sh up` must stop `make dev`
# here, or the services start without KAFKA_BROKERS / MONGO_URL and blame their configuration.
if ! server_env="$(scripts/dev/servers.sh up)"; then
  log "ERROR: the local servers did not start (the reason is above); no service was started"
  exit 1
fi
while IFS= read -r line; do [[ "$line" == *=* ]] && export "${line?}"; done <<<"$server_env"
export LOG_LEVEL="${LOG_LEVEL:-info}" HTTP_HOST="${HTTP_HOST:-127.0.0.1}"
# The demo fleet: the producer's simulator posts token usage and GPU readings (SIMULATOR_ENABLED=false
# turns it off; SIMULATOR_EVENTS_PER_SECOND sets the load).
export SIMULATOR_ENABLED="${SIMULATOR_ENABLED:-true}"
# The example price catalog (README "Costs"), which prices the simulator's Llama models and gives
# acme and globex a budget; PRICE_CATALOG_FILE= (set and empty) runs without one.
export PRICE_CATALOG_FILE="${PRICE_CATALOG_FILE-$root/deploy/compose/price-catalog.json}"

# The processor first: it creates the topics and indexes.
for name in processor query-api producer; do
  HTTP_PORT="${ports[$name]}" nohup "$node_bin" "dist/apps/$name/apps/$name/src/main.js" >"$state/$name.log" 2>&1 &
  echo $! >"$state/$name.pid"
  deadline=$((SECONDS + 60))
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${ports[$name]}/health/ready" || true)" == 200 ]]; do
    if ! kill -0 "$(cat "$state/$name.pid")" 2>/dev/null || ((SECONDS > deadline)); then
      echo "dev: $name did not become ready; last log lines:" >&2
      tail -n 30 "$state/$name.log" >&2
      stop_services
      exit 1
    fi
    sleep 0.5
  done
  echo "dev: $name ready" >&2
done

cat <<TXT

tokenmeter is running (logs in .local/dev/*.log):
  query API   http://127.0.0.1:${ports[query-api]}   e.g. /v1/events/tokens
  console     http://127.0.0.1:${ports[query-api]}/   the web console (in a browser)
  producer    http://127.0.0.1:${ports[producer]}   POST /v1/tokens, POST /v1/gpus, POST /v1/tokens/intervals
  processor   http://127.0.0.1:${ports[processor]}   /health/ready, /metrics
  Kafka       ${KAFKA_BROKERS}
  MongoDB     ${MONGO_URL%%\?*}
TXT
if [[ "$SIMULATOR_ENABLED" == true ]]; then
  cat <<TXT
  simulator   on (${SIMULATOR_EVENTS_PER_SECOND:-20} events/s); within a minute:
              curl -s http://127.0.0.1:${ports[query-api]}/v1/tokens/totals?groupBy=model
              curl -s http://127.0.0.1:${ports[query-api]}/v1/gpus
              curl -s http://127.0.0.1:${ports[query-api]}/v1/costs/totals?groupBy=tenant
TXT
fi
if [[ -n "${DEV_DETACH:-}" ]]; then echo "Detached: stop with make dev-stop."; else echo "Following the logs; Ctrl-C stops everything."; fi

if [[ -n "${DEV_DETACH:-}" ]]; then exit 0; fi
trap 'echo; stop_services; scripts/dev/servers.sh down; exit 0' INT TERM
tail -n 0 -F "$state"/*.log &
wait
