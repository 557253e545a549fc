#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) without Docker.
#
#   scripts/dev/kafka.sh fetch                 download the jars once (Maven) into .cache/kafka/<version>/libs
#   scripts/dev/kafka.sh start                 check its ports, fetch if needed, format storage once, start in background
#   scripts/dev/kafka.sh check-ports           fail, naming the holder, if a port it would listen on is taken
#   scripts/dev/kafka.sh wait                  block until the broker answers a metadata request (deadline)
#   scripts/dev/kafka.sh stop                  SIGTERM, wait, SIGKILL after a deadline
#   scripts/dev/kafka.sh status                print "running (pid N) ..." or "not running" (exit 0 / 3)
#   scripts/dev/kafka.sh run-class <Class> ... run any Kafka class with the same classpath
#                                              (e.g. org.apache.kafka.tools.ProducerPerformance)
#   scripts/dev/kafka.sh reset                 stop and delete data/logs under .local/kafka
#
# Env: KAFKA_VERSION (4.4.0), KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (19093),
#      KAFKA_NUM_PARTITIONS (6), KAFKA_AUTO_CREATE_TOPICS (false), KAFKA_HEAP_OPTS (-Xms128m -Xmx512m),
#      KAFKA_WAIT_SECONDS (60), KAFKA_STOP_SECONDS (30), KAFKA_LOG_LEVEL (INFO),
#      KAFKA_STATE_DIR (.local/kafka; another folder runs a second, independent broker),
#      KAFKA_CLUSTER_ID (unset: a new id from Kafka's own generator; used only to format new storage).
#
# SASL_SSL (opt-in): KAFKA_SASL_SSL_PORT=<port> adds a SASL_SSL listener with SCRAM-SHA-512 next to
# the PLAINTEXT one (which stays the inter-broker listener and what everything else uses).
# Certificates come from scripts/dev/certs.sh in DEV_TLS_DIR (.local/tls); the SCRAM user
# KAFKA_SASL_USERNAME (tokenmeter) gets a random password, generated once, in
# <state>/sasl/<user>.password. After `wait`, <state>/sasl-ssl.env holds the client settings
# (KAFKA_BROKERS, KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_TLS_CA_FILE), one VAR=value a line.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=lib/process.sh
source "$root/scripts/dev/lib/process.sh"
# shellcheck source=lib/ports.sh
source "$root/scripts/dev/lib/ports.sh"
KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
KAFKA_NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-6}"
KAFKA_AUTO_CREATE_TOPICS="${KAFKA_AUTO_CREATE_TOPICS:-false}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}"
KAFKA_WAIT_SECONDS="${KAFKA_WAIT_SECONDS:-60}"
KAFKA_STOP_SECONDS="${KAFKA_STOP_SECONDS:-30}"
KAFKA_LOG_LEVEL="${KAFKA_LOG_LEVEL:-INFO}"
KAFKA_SASL_SSL_PORT="${KAFKA_SASL_SSL_PORT:-}"
KAFKA_SASL_USERNAME="${KAFKA_SASL_USERNAME:-tokenmeter}"
KAFKA_CLUSTER_ID="${KAFKA_CLUSTER_ID:-}"
# log4j2 version used for the broker's logging backend (the Kafka poms do not pull one in).
LOG4J_VERSION="${KAFKA_LOG4J_VERSION:-2.25.5}"

cache="$root/.cache/kafka/$KAFKA_VERSION"
libs="$cache/libs"
state="${KAFKA_STATE_DIR:-$root/.local/kafka}"
tls_dir="${DEV_TLS_DIR:-$root/.local/tls}"
sasl_dir="$state/sasl"
password_file="$sasl_dir/$KAFKA_SASL_USERNAME.password"
data="$state/data-$KAFKA_VERSION"  # per version: a 4.x-formatted log dir is not readable by 3.x
logs="$state/logs"
pidfile="$state/kafka.pid"
props="$state/server.properties"
log4jconf="$state/log4j2.properties"
outfile="$logs/kafka.out"

log() { echo "kafka: $*" >&2; }
die() { echo "kafka: ERROR: $*" >&2; exit 1; }

major="${KAFKA_VERSION%%.*}"

sasl_enabled() { [[ -n "$KAFKA_SASL_SSL_PORT" ]]; }

# The TLS material and the SCRAM password of the SASL_SSL listener (both made once, then reused).
prepare_sasl_ssl() {
  [[ "$KAFKA_SASL_SSL_PORT" =~ ^[0-9]{1,5}$ ]] || die "KAFKA_SASL_SSL_PORT must be a port number"
  [[ "$KAFKA_SASL_USERNAME" =~ ^[A-Za-z0-9._-]{1,64}$ ]] || die "KAFKA_SASL_USERNAME must be 1-64 chars of A-Z a-z 0-9 . _ -"
  "$root/scripts/dev/certs.sh" "$tls_dir" >/dev/null
  mkdir -p "$sasl_dir"
  chmod 700 "$sasl_dir"
  if [[ ! -s "$password_file" ]]; then
    (umask 077 && openssl rand -hex 24 | tr -d '\n' >"$password_file")
    log "generated the SCRAM password of $KAFKA_SASL_USERNAME in ${password_file#"$root"/}"
  fi
}

sasl_listener_config() {
  cat <<EOF
# SASL_SSL listener (KAFKA_SASL_SSL_PORT): SCRAM-SHA-512 over TLS, PEM key and trust stores.
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.ssl.keystore.type=PEM
listener.name.sasl_ssl.ssl.keystore.location=$tls_dir/server-keystore.pem
listener.name.sasl_ssl.ssl.truststore.type=PEM
listener.name.sasl_ssl.ssl.truststore.location=$tls_dir/ca.pem
listener.name.sasl_ssl.ssl.client.auth=requested
EOF
}

fetch() {
  if [[ -f "$cache/.complete" ]] && compgen -G "$libs/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found (need Maven 3.x)"
  log "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into ${cache#"$root"/} ..."
  local t0=$SECONDS tmp
  tmp="$(mktemp -d)"
  # Logging backend: Kafka 4.x uses log4j2 (+ slf4j 1.7 binding); 3.x uses reload4j.
  local logdeps
  if [[ "$major" -ge 4 ]]; then
    logdeps="
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>$LOG4J_VERSION</version></dependency>"
  else
    logdeps="
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>"
  fi
  cat >"$tmp/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.tokenmeter</groupId>
  <artifactId>kafka-dist</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-server</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-clients</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version>
      <!-- Connect (and its Jetty/Jersey stack) is not needed for the broker or the perf tools. -->
      <exclusions><exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion></exclusions>
    </dependency>$logdeps
  </dependencies>
</project>
EOF
  rm -rf "$libs.tmp"
  mkdir -p "$libs.tmp"
  if ! mvn -q -B -Dstyle.color=never -f "$tmp/pom.xml" org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$libs.tmp" >&2; then
    rm -rf "$tmp" "$libs.tmp"
    die "maven fetch failed"
  fi
  rm -rf "$tmp" "$libs"
  mv "$libs.tmp" "$libs"
  touch "$cache/.complete"
  log "fetched $(ls "$libs" | wc -l) jars in $((SECONDS - t0)) s"
}

classpath() { echo "$libs/*"; }

write_config() {
  mkdir -p "$data" "$logs"
  local listeners="PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT"
  local advertised="PLAINTEXT://127.0.0.1:$KAFKA_PORT" protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if sasl_enabled; then
    listeners+=",SASL_SSL://127.0.0.1:$KAFKA_SASL_SSL_PORT"
    advertised+=",SASL_SSL://127.0.0.1:$KAFKA_SASL_SSL_PORT"
    protocols+=",SASL_SSL:SASL_SSL"
  fi
  cat >"$props" <<EOF
# Generated by scripts/dev/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=$protocols
log.dirs=$data
num.partitions=$KAFKA_NUM_PARTITIONS
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=$KAFKA_AUTO_CREATE_TOPICS
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=104857600
log.retention.check.interval.ms=60000
EOF
  if sasl_enabled; then sasl_listener_config >>"$props"; fi
  cat >"$log4jconf" <<EOF
status = warn
name = tokenmeter-dev-kafka
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = $logs/server.log
appender.file.filePattern = $logs/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = $KAFKA_LOG_LEVEL
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.controller.name = org.apache.kafka.controller
logger.controller.level = INFO
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = WARN
EOF
  # Kafka 3.x logs through reload4j (log4j 1 syntax).
  cat >"$state/log4j.properties" <<EOF
log4j.rootLogger=$KAFKA_LOG_LEVEL, FILE
log4j.appender.FILE=org.apache.log4j.RollingFileAppender
log4j.appender.FILE.File=$logs/server.log
log4j.appender.FILE.MaxFileSize=20MB
log4j.appender.FILE.MaxBackupIndex=3
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
EOF
}

java_log_opts() {
  if [[ "$major" -ge 4 ]]; then
    echo "-Dlog4j2.configurationFile=$log4jconf"
  else
    echo "-Dlog4j.configuration=file:$state/log4j.properties"
  fi
}

java_cmd() {
  command -v java >/dev/null || die "java not found (need JDK 17+)"
  # shellcheck disable=SC2086
  java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    "$(java_log_opts)" -Dkafka.logs.dir="$logs" -cp "$(classpath)" "$@"
}

format_storage() {
  if [[ -f "$data/meta.properties" ]]; then
    return 0
  fi
  local cid="$KAFKA_CLUSTER_ID" fmtlog="$logs/format.log" scram=()
  if [[ -z "$cid" ]]; then
    # Kafka's own generator (Uuid.randomUuid): a version 4 UUID in URL-safe base64, never one that
    # starts with "-" (4.4 skips any with a "-"), which 16 raw random bytes would be 1 time in 64.
    if ! cid="$(java_cmd kafka.tools.StorageTool random-uuid 2>"$fmtlog")"; then
      cat "$fmtlog" >&2
      die "kafka-storage random-uuid failed"
    fi
  fi
  # 16 bytes in URL-safe base64 without padding; "-" and "_" may come first.
  [[ "$cid" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "cluster id '$cid' is not 22 base64url characters (KAFKA_CLUSTER_ID)"
  log "formatting KRaft storage (cluster id $cid)"
  if sasl_enabled; then
    # SCRAM credentials are KRaft metadata: written at format time, before the broker first starts.
    scram=(--add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USERNAME,password=$(cat "$password_file")]")
  fi
  # --cluster-id=<id> as one argument: as a separate one, an id starting with "-" reads as an option.
  if ! java_cmd kafka.tools.StorageTool format --cluster-id="$cid" -c "$props" "${scram[@]}" >"$fmtlog" 2>&1; then
    cat "$fmtlog" >&2
    die "storage format failed"
  fi
  if sasl_enabled; then scram_mark >"$data/scram-user"; fi
}

# What the SCRAM credential in the metadata was made from (user + password digest, not the password).
scram_mark() { echo "$KAFKA_SASL_USERNAME $(openssl dgst -sha256 -r "$password_file" | cut -d' ' -f1)"; }

# Storage formatted before SASL_SSL was switched on (or with another password): upsert the SCRAM
# credential through the PLAINTEXT listener with Kafka's own ConfigCommand (kafka-configs.sh).
ensure_scram_user() {
  local mark
  mark="$(scram_mark)"
  [[ -f "$data/scram-user" && "$(cat "$data/scram-user")" == "$mark" ]] && return 0
  log "creating SCRAM-SHA-512 user $KAFKA_SASL_USERNAME with kafka-configs (ConfigCommand)"
  if ! java_cmd org.apache.kafka.tools.ConfigCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" --alter \
      --entity-type users --entity-name "$KAFKA_SASL_USERNAME" \
      --add-config "SCRAM-SHA-512=[password=$(cat "$password_file")]" >"$logs/scram.log" 2>&1; then
    cat "$logs/scram.log" >&2
    die "creating the SCRAM user failed"
  fi
  echo "$mark" >"$data/scram-user"
}

write_client_env() {
  cat >"$state/sasl-ssl.env" <<EOF
KAFKA_BROKERS=127.0.0.1:$KAFKA_SASL_SSL_PORT
KAFKA_SECURITY_PROTOCOL=sasl_ssl
KAFKA_SASL_MECHANISM=scram-sha-512
KAFKA_SASL_USERNAME=$KAFKA_SASL_USERNAME
KAFKA_SASL_PASSWORD_FILE=$password_file
KAFKA_TLS_CA_FILE=$tls_dir/ca.pem
EOF
}

# Before anything is fetched or written: a taken port is named with its holder, not found later
# as a bind error in the broker's log.
check_ports() {
  # Running already: the ports are its own, and start has nothing to do.
  pid_alive && return 0
  check_free_ports KAFKA_PORT KAFKA_CONTROLLER_PORT KAFKA_SASL_SSL_PORT || die "not starting Kafka: a port it needs is taken"
}

start() {
  if pid_alive; then
    log "already running (pid $(cat "$pidfile"))"
    return 0
  fi
  check_ports
  fetch
  if sasl_enabled; then prepare_sasl_ssl; fi
  write_config
  format_storage
  local extra=""
  if sasl_enabled; then extra=", SASL_SSL $KAFKA_SASL_SSL_PORT"; fi
  log "starting Kafka $KAFKA_VERSION on 127.0.0.1:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT$extra), logs in ${logs#"$root"/}"
  # setsid: own process group, so the broker is not killed with the calling shell's job.
  setsid bash -c 'exec "$@"' _ java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true "$(java_log_opts)" -Dkafka.logs.dir="$logs" \
    -cp "$(classpath)" kafka.Kafka "$props" >"$outfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
  echo "$KAFKA_VERSION 127.0.0.1:$KAFKA_PORT" >"$state/kafka.running"
  sleep 0.5
  if ! pid_alive; then
    tail -n 40 "$outfile" "$logs/server.log" >&2 2>/dev/null || true
    die "broker exited immediately"
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
  local brokers="${1:-}" deadline=$((SECONDS + KAFKA_WAIT_SECONDS)) node v a
  if [[ -z "$brokers" ]]; then
    # The address the local broker was started with (it may differ from this shell's KAFKA_PORT).
    read -r v a <"$state/kafka.running" 2>/dev/null || a=""
    brokers="${a:-127.0.0.1:$KAFKA_PORT}"
  fi
  node="$(node_bin)"
  log "waiting for Kafka at $brokers (up to ${KAFKA_WAIT_SECONDS}s)"
  while ((SECONDS < deadline)); do
    if [[ -z "${1:-}" ]] && ! pid_alive; then
      tail -n 40 "$outfile" "$logs/server.log" >&2 2>/dev/null || true
      die "broker process is not running"
    fi
    if "$node" "$root/scripts/dev/lib/kafka-ping.js" "$brokers" 2>/dev/null; then
      log "Kafka is ready at $brokers"
      if [[ -z "${1:-}" ]] && sasl_enabled; then
        ensure_scram_user
        write_client_env
        log "SASL_SSL listener on 127.0.0.1:$KAFKA_SASL_SSL_PORT; client settings in ${state#"$root"/}/sasl-ssl.env"
      fi
      return 0
    fi
    sleep 1
  done
  log "Kafka did not answer at $brokers within ${KAFKA_WAIT_SECONDS}s"
  if [[ -z "${1:-}" ]]; then
    log "--- tail of ${logs#"$root"/}/server.log ---"
    tail -n 40 "$logs/server.log" >&2 2>/dev/null || true
    tail -n 20 "$outfile" >&2 2>/dev/null || true
  fi
  exit 1
}

stop() {
  stop_process "$KAFKA_STOP_SECONDS" "$state/kafka.running"
}

status() {
  if pid_alive; then
    local v a
    read -r v a <"$state/kafka.running" 2>/dev/null || { v="$KAFKA_VERSION"; a="127.0.0.1:$KAFKA_PORT"; }
    echo "kafka: running (pid $(cat "$pidfile")) on $a, version $v"
  else
    echo "kafka: not running"
    return 3
  fi
}

cmd="${1:-}"
shift || true
case "$cmd" in
  fetch) fetch ;;
  start) start ;;
  check-ports) check_ports ;;
  stop) stop ;;
  status) status ;;
  wait) wait_ready "${1:-}" ;;
  run-class)
    [[ $# -ge 1 ]] || die "usage: $0 run-class <fully.qualified.Class> [args...]"
    fetch
    mkdir -p "$state"
    # Tools log WARN+ to stderr (like kafka-run-class.sh with tools-log4j), never to the broker's file.
    printf '%s\n' 'status = warn' 'appender.err.type = Console' 'appender.err.name = STDERR' \
      'appender.err.target = SYSTEM_ERR' 'appender.err.layout.type = PatternLayout' \
      'appender.err.layout.pattern = [%d] %p %m (%c)%n' 'rootLogger.level = WARN' \
      'rootLogger.appenderRef.err.ref = STDERR' >"$state/tools-log4j2.properties"
    printf '%s\n' 'log4j.rootLogger=WARN, stderr' 'log4j.appender.stderr=org.apache.log4j.ConsoleAppender' \
      'log4j.appender.stderr.Target=System.err' 'log4j.appender.stderr.layout=org.apache.log4j.PatternLayout' \
      'log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n' >"$state/tools-log4j.properties"
    # shellcheck disable=SC2086
    exec java ${KAFKA_TOOL_HEAP_OPTS:--Xmx512m} -Dlog4j2.configurationFile="$state/tools-log4j2.properties" \
      -Dlog4j.configuration="file:$state/tools-log4j.properties" -cp "$(classpath)" "$@"
    ;;
  reset)
    stop
    rm -rf "$data" "$logs" "$props" "$state/sasl-ssl.env"
    log "deleted ${state#"$root"/}/{data,logs}"
    ;;
  *)
    echo "usage: $0 {fetch|start|check-ports|stop|status|wait [brokers]|run-class <Class> args...|reset}" >&2
    exit 2
    ;;
esac
