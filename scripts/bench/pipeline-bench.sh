#!/usr/bin/env bash
# `npm run bench`: builds the services if needed, starts the local Kafka and FerretDB (or uses
# KAFKA_BROKERS and MONGO_URL when both are set), and runs scripts/bench/pipeline/main.ts.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
scripts/dev/ensure-node.sh
export PATH="$root/.cache/node/node_modules/.bin:$PATH"
# --help and --redraw need neither the built services nor the servers.
for arg in "$@"; do
  case "$arg" in
    -h | --help | --redraw) exec node -r @swc-node/register scripts/bench/pipeline/main.ts "$@" ;;
  esac
done
[[ -f dist/apps/processor/apps/processor/src/main.js ]] || npm run --silent build
if [[ -z "${KAFKA_BROKERS:-}" || -z "${MONGO_URL:-}" ]]; then
  # Not `< <(...)`: a server that does not start must stop the bench here (servers.sh says why).
  server_env="$(scripts/dev/servers.sh up)"
  while IFS= read -r line; do [[ "$line" == *=* ]] && export "${line?}"; done <<<"$server_env"
fi
exec node -r @swc-node/register scripts/bench/pipeline/main.ts "$@"
