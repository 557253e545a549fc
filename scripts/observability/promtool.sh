#!/usr/bin/env bash
# Runs promtool (checks and unit-tests the Prometheus rules in deploy/observability/rules/).
# promtool comes from Debian's `prometheus` package, unpacked into .cache/prometheus/ rather
# than installed system-wide: `apt-get download` fetches the .deb and `dpkg-deb -x` extracts
# it, so nothing runs as a package hook and nothing outside the repo changes. Idempotent: a
# cached binary is reused. Debian's mirrors are reachable from CI; GitHub releases may not be.
#
# Usage: scripts/observability/promtool.sh <promtool args...>
#   e.g. scripts/observability/promtool.sh test rules deploy/observability/rules/tokenmeter.rules.test.yml
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dest="$root/.cache/prometheus"
bin="$dest/bin/promtool"

install_promtool() {
  local tmp
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' RETURN
  # As root, apt downloads as its unprivileged _apt user; let it write here (else it warns).
  if [[ $EUID -eq 0 ]] && id _apt >/dev/null 2>&1; then chown _apt "$tmp"; fi
  echo "promtool: fetching Debian's prometheus package into .cache/prometheus/" >&2
  # apt-get download writes into the current directory.
  if ! (cd "$tmp" && apt-get download prometheus >&2); then
    echo "promtool: download failed; refreshing the package lists and retrying" >&2
    apt-get update >&2
    (cd "$tmp" && apt-get download prometheus >&2)
  fi
  local deb
  deb="$(find "$tmp" -maxdepth 1 -name 'prometheus_*.deb' | head -n 1)"
  [[ -n "$deb" ]] || { echo "promtool: apt-get download produced no prometheus_*.deb" >&2; exit 1; }
  dpkg-deb -x "$deb" "$tmp/root"
  [[ -x "$tmp/root/usr/bin/promtool" ]] || { echo "promtool: $deb has no usr/bin/promtool" >&2; exit 1; }
  mkdir -p "$dest/bin"
  # Copy then rename, so a concurrent run never executes a half-written binary.
  cp "$tmp/root/usr/bin/promtool" "$bin.tmp"
  chmod +x "$bin.tmp"
  mv -f "$bin.tmp" "$bin"
}

if [[ ! -x "$bin" ]] || ! "$bin" --version >/dev/null 2>&1; then
  install_promtool
fi
"$bin" --version 2>&1 | head -n 1 >&2
exec "$bin" "$@"
