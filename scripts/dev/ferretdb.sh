#!/usr/bin/env bash
# Local FerretDB 1.24.2 (MongoDB wire protocol, SQLite backend) without Docker.
#
#   scripts/dev/ferretdb.sh install   build the binary once into .cache/bin/ferretdb (needs Go)
#   scripts/dev/ferretdb.sh start     check its ports, install if needed, start in background
#   scripts/dev/ferretdb.sh check-ports  fail, naming the holder, if a port it would listen on is taken
#   scripts/dev/ferretdb.sh wait      block until {ping: 1} succeeds (deadline)
#   scripts/dev/ferretdb.sh stop      SIGTERM, wait, SIGKILL after a deadline
#   scripts/dev/ferretdb.sh status    print "running (pid N) ..." or "not running" (exit 0 / 3)
#   scripts/dev/ferretdb.sh reset     stop and delete data/logs under .local/ferretdb
#
# Env: FERRETDB_PORT (27018), FERRETDB_DEBUG_PORT (18088; "-" disables the metrics/pprof listener),
#      FERRETDB_LOG_LEVEL (INFO), FERRETDB_WAIT_SECONDS (60), FERRETDB_STOP_SECONDS (20),
#      FERRETDB_STATE_DIR (.local/ferretdb; another folder runs a second, independent server).
#
# TLS (opt-in): FERRETDB_TLS_PORT=<port> adds a TLS listener next to the plain one, with the server
# certificate of scripts/dev/certs.sh in DEV_TLS_DIR (.local/tls); FERRETDB_TLS_CLIENT_CERTS=1 also
# requires client certificates signed by that CA. FERRETDB_AUTH=1 turns on FerretDB's experimental
# SCRAM authentication (--test-enable-new-auth) with the user FERRETDB_USERNAME (tokenmeter) of the
# database FERRETDB_AUTH_DB (tokenmeter), created at the first start with a random password kept in
# <state>/auth/<user>.password. After `wait`, <state>/tls.env holds the client settings
# (MONGO_URL, MONGO_TLS_CA_FILE, MONGO_USERNAME, MONGO_PASSWORD_FILE). See README.md for what
# FerretDB's authentication covers and what it does not.
#
# Why not plain `go install ...@v1.24.2`: the resulting binary panics at startup
# ("Invalid build/version/version.txt file content") because version.txt is generated
# by FerretDB's release tooling and is absent from the module zip. So this script copies the
# module source from the Go module cache, writes build/version/version.txt and builds there.
#
# One patch, FERRETDB_ID_INDEX_PATCH (default 1; 0 builds the stock source): FerretDB 1.24.2's
# SQLite backend filters `_id` with the expression `_ferretdb_sjson->'$._id'` while the unique
# `_id_` index it creates is on `_ferretdb_sjson->"_id"`. SQLite matches index expressions by
# their text, so no `_id` lookup, update or delete ever uses the index: each one parses every
# document of the collection (40 ms instead of 0.03 ms per lookup at 8,800 documents, growing
# with the collection). The patch makes the filter the index's own expression; both select the
# same documents. Our code works on the stock build too, only slower (scripts/dev/README.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=lib/process.sh
source "$root/scripts/dev/lib/process.sh"
# shellcheck source=lib/ports.sh
source "$root/scripts/dev/lib/ports.sh"
FERRETDB_VERSION="1.24.2"
FERRETDB_PORT="${FERRETDB_PORT:-27018}"
FERRETDB_DEBUG_PORT="${FERRETDB_DEBUG_PORT:-18088}"
FERRETDB_LOG_LEVEL="${FERRETDB_LOG_LEVEL:-INFO}"
FERRETDB_WAIT_SECONDS="${FERRETDB_WAIT_SECONDS:-60}"
FERRETDB_STOP_SECONDS="${FERRETDB_STOP_SECONDS:-20}"
FERRETDB_ID_INDEX_PATCH="${FERRETDB_ID_INDEX_PATCH:-1}"
FERRETDB_TLS_PORT="${FERRETDB_TLS_PORT:-}"
FERRETDB_TLS_CLIENT_CERTS="${FERRETDB_TLS_CLIENT_CERTS:-0}"
FERRETDB_AUTH="${FERRETDB_AUTH:-0}"
FERRETDB_USERNAME="${FERRETDB_USERNAME:-tokenmeter}"
FERRETDB_AUTH_DB="${FERRETDB_AUTH_DB:-tokenmeter}"
package="tokenmeter-dev"
[[ "$FERRETDB_ID_INDEX_PATCH" == "1" ]] && package="tokenmeter-dev-id-index"

bin="$root/.cache/bin/ferretdb"
src="$root/.cache/ferretdb-src/v$FERRETDB_VERSION"
state="${FERRETDB_STATE_DIR:-$root/.local/ferretdb}"
tls_dir="${DEV_TLS_DIR:-$root/.local/tls}"
password_file="$state/auth/$FERRETDB_USERNAME.password"
data="$state/data"
pidfile="$state/ferretdb.pid"
logfile="$state/ferretdb.log"

log() { echo "ferretdb: $*" >&2; }
die() { echo "ferretdb: ERROR: $*" >&2; exit 1; }

installed() {
  [[ -x "$bin" ]] || return 1
  local out
  out="$("$bin" --version 2>/dev/null || true)"
  [[ "$out" == *"version: v$FERRETDB_VERSION"$'\n'* && "$out" == *"package: $package"$'\n'* ]]
}

install() {
  if installed; then
    return 0
  fi
  command -v go >/dev/null || die "go not found (need Go 1.24+)"
  log "building FerretDB v$FERRETDB_VERSION into ${bin#"$root"/} (first time: ~2 min on 2 cores) ..."
  local t0=$SECONDS moddir tmp
  tmp="$(mktemp -d)"
  # Outside any module, so `go mod download` fetches just this module (from the Go module proxy).
  moddir="$(cd "$tmp" && GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@v$FERRETDB_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  rmdir "$tmp"
  [[ -n "$moddir" && -d "$moddir" ]] || die "go mod download failed"
  rm -rf "$src"
  mkdir -p "$(dirname "$src")" "$(dirname "$bin")"
  cp -r "$moddir" "$src"
  chmod -R u+w "$src"
  echo "v$FERRETDB_VERSION" >"$src/build/version/version.txt"
  echo "$package" >"$src/build/version/package.txt"
  if [[ "$FERRETDB_ID_INDEX_PATCH" == "1" ]]; then
    local metadata="$src/internal/backends/sqlite/metadata/metadata.go" content
    local old="IDColumn = DefaultColumn + \"->'\$._id'\"" new='IDColumn = DefaultColumn + `->"_id"`'
    content="$(<"$metadata")"
    [[ "$content" == *"$old"* ]] || die "patch: '$old' not found in $metadata"
    printf '%s\n' "${content/"$old"/"$new"}" >"$metadata"
    log "patched the SQLite _id filter to use the _id index (FERRETDB_ID_INDEX_PATCH=1)"
  fi
  (cd "$src" && GOFLAGS=-buildvcs=false go build -o "$bin.tmp" ./cmd/ferretdb) || die "go build failed"
  mv "$bin.tmp" "$bin"
  installed || die "built binary does not report version v$FERRETDB_VERSION ($package)"
  log "installed in $((SECONDS - t0)) s"
}

tls_enabled() { [[ -n "$FERRETDB_TLS_PORT" ]]; }
auth_enabled() { [[ "$FERRETDB_AUTH" == "1" ]]; }

# Flags of the optional TLS listener and SCRAM authentication (one per line).
security_flags() {
  if tls_enabled; then
    [[ "$FERRETDB_TLS_PORT" =~ ^[0-9]{1,5}$ ]] || die "FERRETDB_TLS_PORT must be a port number"
    "$root/scripts/dev/certs.sh" "$tls_dir" >/dev/null
    echo "--listen-tls=127.0.0.1:$FERRETDB_TLS_PORT"
    echo "--listen-tls-cert-file=$tls_dir/server.pem"
    echo "--listen-tls-key-file=$tls_dir/server.key"
    if [[ "$FERRETDB_TLS_CLIENT_CERTS" == "1" ]]; then echo "--listen-tls-ca-file=$tls_dir/ca.pem"; fi
  fi
  if auth_enabled; then
    [[ "$FERRETDB_USERNAME" =~ ^[A-Za-z0-9._-]{1,64}$ ]] || die "FERRETDB_USERNAME must be 1-64 chars of A-Z a-z 0-9 . _ -"
    # The setup user is created only together with its database, on the first start.
    echo "--test-enable-new-auth"
    echo "--setup-database=$FERRETDB_AUTH_DB"
    echo "--setup-username=$FERRETDB_USERNAME"
  fi
}

# Before anything is built or written: a taken port is named with its holder, not found later as
# a bind error in the log.
check_ports() {
  # Running already: the ports are its own, and start has nothing to do.
  pid_alive && return 0
  check_free_ports FERRETDB_PORT FERRETDB_DEBUG_PORT FERRETDB_TLS_PORT || die "not starting FerretDB: a port it needs is taken"
}

start() {
  if pid_alive; then
    log "already running (pid $(cat "$pidfile"))"
    return 0
  fi
  check_ports
  install
  mkdir -p "$data"
  local debug_addr="-" flags=() extra=""
  if [[ "$FERRETDB_DEBUG_PORT" != "-" ]]; then debug_addr="127.0.0.1:$FERRETDB_DEBUG_PORT"; fi
  mapfile -t flags < <(security_flags)
  if auth_enabled && [[ ! -s "$password_file" ]]; then
    mkdir -p "$(dirname "$password_file")"
    (umask 077 && openssl rand -hex 24 | tr -d '\n' >"$password_file")
  fi
  if tls_enabled; then extra+=", TLS 127.0.0.1:$FERRETDB_TLS_PORT"; fi
  if auth_enabled; then extra+=", SCRAM user $FERRETDB_USERNAME"; fi
  log "starting FerretDB v$FERRETDB_VERSION (sqlite) on 127.0.0.1:$FERRETDB_PORT$extra, debug $debug_addr, log ${logfile#"$root"/}"
  # The setup password goes through the environment, not the command line (visible in ps).
  FERRETDB_SETUP_PASSWORD="$(if auth_enabled; then cat "$password_file"; fi)" setsid "$bin" \
    --handler=sqlite \
    --sqlite-url="file:$data/" \
    --listen-addr="127.0.0.1:$FERRETDB_PORT" \
    --debug-addr="$debug_addr" \
    --state-dir="$state" \
    --telemetry=disable \
    --log-level="$FERRETDB_LOG_LEVEL" \
    --log-format=text \
    "${flags[@]}" \
    >>"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
  echo "$FERRETDB_PORT" >"$state/ferretdb.port"
  sleep 0.3
  if ! pid_alive; then
    tail -n 30 "$logfile" >&2 || true
    die "FerretDB exited immediately"
  fi
}

node_bin() {
  local n="$root/.cache/node/node_modules/.bin/node"
  if [[ ! -x "$n" ]]; then
    "$root/scripts/dev/ensure-node.sh" >&2 || true
  fi
  if [[ -x "$n" ]]; then echo "$n"; else command -v node || die "node not found"; fi
}

wait_ready() {
  local port url deadline=$((SECONDS + FERRETDB_WAIT_SECONDS)) node
  # Default: the port the local server was started with (may differ from this shell's FERRETDB_PORT).
  port="$(cat "$state/ferretdb.port" 2>/dev/null || echo "$FERRETDB_PORT")"
  url="${1:-mongodb://127.0.0.1:$port/tokenmeter}"
  node="$(node_bin)"
  log "waiting for MongoDB protocol at ${url%%\?*} (up to ${FERRETDB_WAIT_SECONDS}s)"
  while ((SECONDS < deadline)); do
    if [[ -z "${1:-}" ]] && ! pid_alive; then
      tail -n 30 "$logfile" >&2 || true
      die "FerretDB process is not running"
    fi
    if "$node" "$root/scripts/dev/lib/mongo-ping.js" "$url" 2>/dev/null; then
      log "ready"
      if [[ -z "${1:-}" ]] && { tls_enabled || auth_enabled; }; then
        write_client_env
        log "client settings in ${state#"$root"/}/tls.env"
      fi
      return 0
    fi
    sleep 1
  done
  log "no answer to ping within ${FERRETDB_WAIT_SECONDS}s"
  if [[ -z "${1:-}" ]]; then
    log "--- tail of ${logfile#"$root"/} ---"
    tail -n 30 "$logfile" >&2 || true
  fi
  exit 1
}

write_client_env() {
  local port
  port="$(cat "$state/ferretdb.port" 2>/dev/null || echo "$FERRETDB_PORT")"
  {
    if tls_enabled; then
      echo "MONGO_URL=mongodb://127.0.0.1:$FERRETDB_TLS_PORT/$FERRETDB_AUTH_DB"
      echo "MONGO_TLS=true"
      echo "MONGO_TLS_CA_FILE=$tls_dir/ca.pem"
      if [[ "$FERRETDB_TLS_CLIENT_CERTS" == "1" ]]; then echo "MONGO_TLS_CERT_KEY_FILE=$tls_dir/client-cert-key.pem"; fi
    else
      echo "MONGO_URL=mongodb://127.0.0.1:$port/$FERRETDB_AUTH_DB"
    fi
    if auth_enabled; then
      echo "MONGO_USERNAME=$FERRETDB_USERNAME"
      echo "MONGO_PASSWORD_FILE=$password_file"
    fi
  } >"$state/tls.env"
}

stop() {
  stop_process "$FERRETDB_STOP_SECONDS" "$state/ferretdb.port"
}

status() {
  if pid_alive; then
    echo "ferretdb: running (pid $(cat "$pidfile")) on 127.0.0.1:$(cat "$state/ferretdb.port" 2>/dev/null || echo "$FERRETDB_PORT"), version $FERRETDB_VERSION"
  else
    echo "ferretdb: not running"
    return 3
  fi
}

cmd="${1:-}"
shift || true
case "$cmd" in
  install) install ;;
  start) start ;;
  check-ports) check_ports ;;
  stop) stop ;;
  status) status ;;
  wait) wait_ready "${1:-}" ;;
  reset)
    stop
    rm -rf "$data" "$logfile" "$state/state.json"
    log "deleted ${state#"$root"/}/data and log"
    ;;
  *)
    echo "usage: $0 {install|start|check-ports|stop|status|wait [mongo-url]|reset}" >&2
    exit 2
    ;;
esac
