# shellcheck shell=bash
# Port checks shared by kafka.sh, ferretdb.sh and dev.sh (sourced, not run): before a server or
# service starts, a port that another process already listens on is reported with the variable
# that sets it and the process that holds it, instead of a bind error deep in a log or, worse, a
# client later talking to the wrong server. Expects a log() function.
# Everything binds 127.0.0.1, so a listener conflicts when it is on 127.0.0.1 or on every address.

# Addresses of /proc/net/tcp{,6} (hex, as the kernel prints them) that a bind on 127.0.0.1 collides
# with: 127.0.0.1, 0.0.0.0, [::], [::ffff:127.0.0.1] and [::ffff:0.0.0.0] (Java listens on these).
_ports_conflicting_addresses="0100007F 00000000 00000000000000000000000000000000 0000000000000000FFFF00000100007F 0000000000000000FFFF000000000000"

# listening_inodes PORT: the socket inodes listening on PORT (one a line); fails when the kernel
# tables cannot be read (not Linux).
listening_inodes() {
  local port_hex
  port_hex="$(printf '%04X' "$1")"
  [[ -r /proc/net/tcp ]] || return 1
  # Columns: sl local_address rem_address st ... inode (10th); st 0A is LISTEN.
  awk -v port="$port_hex" -v addrs="$_ports_conflicting_addresses" '
    BEGIN { n = split(addrs, list, " "); for (i = 1; i <= n; i++) ok[list[i]] = 1 }
    $4 == "0A" { split($2, addr, ":"); if (addr[2] == port && (addr[1] in ok)) print $10 }
  ' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# port_in_use PORT: true when something listens on PORT where a 127.0.0.1 bind would collide.
port_in_use() {
  local inodes
  if inodes="$(listening_inodes "$1")"; then
    [[ -n "$inodes" ]]
  else
    # No /proc: a connection that is accepted means a listener (refused is immediate on loopback).
    (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}

# port_holder PORT: "pid N (command line)" of the process listening on PORT, or nothing when it
# cannot be known (another user's process, seen only by root; or neither ss nor /proc).
port_holder() {
  local port="$1" pid="" inode
  if command -v ss >/dev/null 2>&1; then
    # users:(("ferretdb",pid=11301,fd=8))
    pid="$(ss -Hltnp "sport = :$port" 2>/dev/null | sed -n 's/.*users:((".*",pid=\([0-9]*\),.*/\1/p' | head -n 1)"
  fi
  if [[ -z "$pid" ]]; then
    for inode in $(listening_inodes "$port" || true); do
      pid="$(find /proc/[0-9]*/fd -lname "socket:\[$inode\]" 2>/dev/null | head -n 1 | cut -d/ -f3)"
      [[ -n "$pid" ]] && break
    done
  fi
  [[ -n "$pid" ]] || return 0
  local cmd
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  cmd="${cmd% }"
  if ((${#cmd} > 160)); then cmd="${cmd:0:157}..."; fi
  echo "pid $pid${cmd:+ ($cmd)}"
}

# check_free_ports VAR...: each VAR names a variable holding a port. Logs one line per port that is
# taken (variable, port, holder) and fails if any is; an empty variable or "-" is skipped.
check_free_ports() {
  local var port holder taken=0
  for var in "$@"; do
    port="${!var:-}"
    [[ -n "$port" && "$port" != "-" ]] || continue
    [[ "$port" =~ ^[0-9]{1,5}$ ]] || { log "ERROR: $var=$port is not a port number"; taken=1; continue; }
    port_in_use "$port" || continue
    holder="$(port_holder "$port")"
    [[ -n "$holder" ]] || holder="a process this user cannot see (sudo ss -ltnp \"sport = :$port\" names it)"
    log "ERROR: port $port ($var) on 127.0.0.1 is already in use by $holder; stop it or set $var to a free port"
    taken=1
  done
  return "$taken"
}
