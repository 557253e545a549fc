#!/usr/bin/env bash
# `make test`: static checks, then the six jest tiers (unit; the deploy artifacts, offline; then
# integration, e2e, the console in headless Chromium and faults against real servers), then stops
# the servers it started. Writes
# .local/test-results/summary.txt with the closing line "N passed, N failed" (counted from jest's
# JSON results) and prints it last.
set -uo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root" || exit 1
results="$root/.local/test-results"
rm -rf "$results"
mkdir -p "$results"
export NODE_OPTIONS="--experimental-vm-modules --disable-warning=ExperimentalWarning"
status=0
step() { echo; echo "==> $*"; }

step "static checks (typecheck, lint, format, schema and OpenAPI drift, dashboards and alert rules)"
npx tsc -p tsconfig.json --noEmit || status=1
npx tsc -p apps/console/tsconfig.json --noEmit || status=1
npx eslint . || status=1
npx prettier --check . >/dev/null || { npx prettier --list-different .; echo "prettier: the files above need formatting (npm run format)"; status=1; }
npm run --silent schemas:check || status=1
npm run --silent openapi:check || status=1
# Dashboards and rules use only metrics the apps expose; promtool unit-tests the alert rules.
npm run --silent observability:check || status=1

step "build"
rm -rf dist
{ npx nest build producer && npx nest build processor && npx nest build query-api && npm run --silent build:console; } ||
  status=1

step "unit tests"
npx jest --config jest.config.js --json --outputFile="$results/unit.json" || status=1

step "deploy artifacts, offline (Helm charts, Terraform, docker compose, Dockerfile), and the scripts (scripts/dev on ports of their own)"
# The tools come from the Go module proxy and PyPI; the first build takes several minutes.
# Without them the tier still runs: the tests that need a tool fail naming it, the others
# (the scripts/dev checks on their own ports) still count.
if ! scripts/deploy/tools.sh all; then
  echo "deploy tools could not be installed"
  status=1
fi
npx jest --config test/jest-deploy.config.js --json --outputFile="$results/deploy.json" || status=1

step "starting Kafka and FerretDB"
server_env="$(scripts/dev/servers.sh up)" || { echo "servers did not start"; status=1; }
trap 'scripts/dev/servers.sh down >/dev/null 2>&1 || true' EXIT
if [[ -n "${server_env:-}" ]]; then
  while IFS= read -r line; do [[ "$line" == *=* ]] && export "${line?}"; done <<<"$server_env"

  step "integration tests (real Kafka + FerretDB)"
  npx jest --config test/jest-integration.config.js --json --outputFile="$results/integration.json" || status=1

  step "end-to-end tests (three services over HTTP)"
  npx jest --config test/jest-e2e.config.js --json --outputFile="$results/e2e.json" || status=1

  step "browser tests (the web console in headless Chromium, against the three services)"
  # Debian's chromium (apt-get, about 20 s the first time); without it the tier still runs and
  # every test fails naming `make chromium`.
  scripts/dev/ensure-chromium.sh || status=1
  npx jest --config test/jest-browser.config.js --json --outputFile="$results/browser.json" || status=1

  step "fault-injection tests (kills, broker restart, database outage, scaling, duplicates, poison)"
  npx jest --config test/jest-faults.config.js --json --outputFile="$results/faults.json" || status=1
fi

step "stopping servers"
scripts/dev/servers.sh down || true
trap - EXIT

node scripts/test/summary.js "$results" >"$results/summary.txt" || status=1
cat "$results/summary.txt"
exit $status
