#!/usr/bin/env bash
# `npm run bench:query`: builds the services if needed, starts the local Kafka and FerretDB
# (or uses MONGO_URL when set), and runs apps/query-api/bench/query.bench.ts with the arguments.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
# The project's Node 24 (the machine's node may be older), for the bench and the API it starts.
scripts/dev/ensure-node.sh
export PATH="$root/.cache/node/node_modules/.bin:$PATH"
[[ -f dist/apps/query-api/apps/query-api/src/main.js ]] || npm run --silent build
if [[ -z "${MONGO_URL:-}" ]]; then
  # Not `< <(...)`: a server that does not start must stop the bench here (servers.sh says why).
  server_env="$(scripts/dev/servers.sh up)"
  while IFS= read -r line; do [[ "$line" == *=* ]] && export "${line?}"; done <<<"$server_env"
fi
exec node -r @swc-node/register apps/query-api/bench/query.bench.ts "$@"
