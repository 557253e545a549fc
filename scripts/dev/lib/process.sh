# shellcheck shell=bash
# Process helpers shared by kafka.sh and ferretdb.sh (sourced, not run).
# Both expect: $pidfile, and a log() function.
# shellcheck disable=SC2154 # pidfile is set by the sourcing script

# True when the process of $pidfile is alive.
pid_alive() {
  [[ -f "$pidfile" ]] || return 1
  local pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

# stop_process SECONDS [FILE...]: SIGTERM, wait up to SECONDS, then SIGKILL; removes $pidfile
# and the extra state files given.
stop_process() {
  local grace="$1"
  shift
  if ! pid_alive; then
    log "not running"
    rm -f "$pidfile"
    return 0
  fi
  local pid deadline
  pid="$(cat "$pidfile")"
  log "stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + grace))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.3; done
  if kill -0 "$pid" 2>/dev/null; then
    log "still alive after ${grace}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.3
  fi
  rm -f "$pidfile" "$@"
  log "stopped"
}
