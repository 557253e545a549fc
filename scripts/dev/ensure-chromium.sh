#!/usr/bin/env bash
# Chromium for the console's browser tests and screenshots (`make chromium`): Debian's `chromium`
# package, driven by playwright-core through its executablePath (Playwright's own browser
# downloads are not reachable here). CHROMIUM_PATH names another binary. Idempotent: prints the
# version when it is there already; installs it with apt-get otherwise (needs root).
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x "$chromium" ]]; then
  echo "chromium: $("$chromium" --headless --no-sandbox --version 2>/dev/null || echo "$chromium")" >&2
  exit 0
fi
if [[ -n "${CHROMIUM_PATH:-}" ]]; then
  echo "chromium: CHROMIUM_PATH=$CHROMIUM_PATH is not an executable file" >&2
  exit 1
fi
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null; then
  echo "chromium: $chromium is missing; install Debian's chromium package (apt-get install chromium) or set CHROMIUM_PATH" >&2
  exit 1
fi
echo "chromium: installing Debian's chromium package (about 20 s)" >&2
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
echo "chromium: $("$chromium" --headless --no-sandbox --version 2>/dev/null)" >&2
