#!/usr/bin/env bash
# Runs promtool (checks and unit-tests the Prometheus rules in deploy/observability/rules/).
# promtool comes from Debian's `prometheus` package, unpacked into .cache/prometheus/ rather
# than installed system-wide (scripts/dev/lib/debian-package.sh). Idempotent: a cached binary
# is reused.
#
# Usage: scripts/observability/promtool.sh <promtool args...>
#   e.g. scripts/observability/promtool.sh test rules deploy/observability/rules/tokenmeter.rules.test.yml
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../dev/lib/debian-package.sh
source "$root/scripts/dev/lib/debian-package.sh"
dest="$root/.cache/prometheus"
bin="$dest/bin/promtool"

install_promtool() {
  fetch_debian_binary prometheus usr/bin/promtool "$bin" || { echo "promtool: could not be installed" >&2; exit 1; }
}

if [[ ! -x "$bin" ]] || ! "$bin" --version >/dev/null 2>&1; then
  install_promtool
fi
"$bin" --version 2>&1 | head -n 1 >&2
exec "$bin" "$@"
