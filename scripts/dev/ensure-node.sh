#!/usr/bin/env bash
# Makes a Node.js 24 LTS binary available at .cache/node/bin/node.
# The build machine's node may be older (20 is end-of-life); Node 24 comes from the npm
# registry's `node` package, which ships the platform binary as a dependency, so nothing
# outside the registry is fetched. Idempotent: does nothing when the pinned version is there.
set -euo pipefail
NODE_VERSION="${TOKENMETER_NODE_VERSION:-24.21.0}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="$root/.cache/node"
bin="$dest/node_modules/.bin/node"

if [[ -x "$bin" ]] && [[ "$("$bin" --version)" == "v$NODE_VERSION" ]]; then
  exit 0
fi
if command -v node >/dev/null && [[ "$(node --version)" == "v$NODE_VERSION" ]] && [[ -z "${TOKENMETER_FORCE_NODE_INSTALL:-}" ]]; then
  mkdir -p "$dest/node_modules/.bin"
  ln -sf "$(command -v node)" "$bin"
  exit 0
fi
echo "ensure-node: installing Node.js $NODE_VERSION from the npm registry into .cache/node" >&2
mkdir -p "$dest"
npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$dest" "node@$NODE_VERSION" >&2
"$bin" --version >/dev/null
