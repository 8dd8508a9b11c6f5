#!/usr/bin/env bash
# A real Apache Kafka broker (KRaft, single node: broker + controller, loopback only) without Docker.
# The broker jars come from Maven Central (scripts/kafka/pom.xml) and run on the machine's JDK 17.
#
#   scripts/kafka.sh download   fetch the broker into the cache (once per version)
#   scripts/kafka.sh start      download if needed, format storage, start in the background, wait until it
#                               serves clients, print the bootstrap address (the only line on stdout)
#   scripts/kafka.sh status     exit 0 and print the address if running, exit 3 otherwise
#   scripts/kafka.sh stop       stop the broker started from this state dir and wait for it to exit
#   scripts/kafka.sh logs       print the broker log file path
#   scripts/kafka.sh acquire PID / release PID   shared use: start + lease for PID / drop the lease and stop
#                               when no live lease is left (the test suites' global setup/teardown use these);
#                               a watcher also stops it once every lease holder has died without releasing
#
# Environment (defaults):
#   KAFKA_PORT=9092                      client listener on 127.0.0.1
#   KAFKA_CONTROLLER_PORT=KAFKA_PORT+1   KRaft controller listener on 127.0.0.1
#   KAFKA_STATE_DIR=<repo>/.data/kafka   config, data, pid file and log of this broker
#   KAFKA_VERSION=3.9.1                  org.apache.kafka:kafka_2.13 version (4.1.0 works too)
#   INSIDERS_CACHE=~/.cache/insiders     jars go to $INSIDERS_CACHE/kafka/<version>/libs
#   KAFKA_HEAP_OPTS="-Xms256m -Xmx1g"    JVM heap
#   KAFKA_START_TIMEOUT=120              seconds to wait for the broker to serve clients
#   KAFKA_EPHEMERAL=0                    1: a (re)start begins with empty storage (test brokers)
#   JAVA_HOME                            JDK to use (else `java` on PATH); needs Java 17+
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
CACHE_ROOT="${INSIDERS_CACHE:-$HOME/.cache/insiders}"
KAFKA_HOME="$CACHE_ROOT/kafka/$KAFKA_VERSION"
LIBS_DIR="$KAFKA_HOME/libs"
STATE_DIR="${KAFKA_STATE_DIR:-$REPO_ROOT/.data/kafka}"
mkdir -p "$STATE_DIR"
STATE_DIR="$(cd "$STATE_DIR" && pwd)"
PID_FILE="$STATE_DIR/kafka.pid"
LOG_FILE="$STATE_DIR/kafka.log"
CONFIG_FILE="$STATE_DIR/server.properties"
LOG4J_FILE="$STATE_DIR/log4j.properties"   # Kafka 3.x (reload4j)
LOG4J2_FILE="$STATE_DIR/log4j2.properties" # Kafka 4.x (log4j 2)
DATA_DIR="$STATE_DIR/data"
CDS_ARCHIVE="$KAFKA_HOME/kafka-classes.jsa"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

if [ -n "${JAVA_HOME:-}" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA="java"; fi

say() { echo "kafka: $*" >&2; }
die() { echo "kafka: error: $*" >&2; exit 1; }

require_java() {
  command -v "$JAVA" >/dev/null 2>&1 || die "java not found (install a JDK 17 or set JAVA_HOME)"
  local major
  major="$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  [ "${major%%.*}" -ge 17 ] 2>/dev/null || die "Java 17+ required, found '${major:-unknown}' ($JAVA)"
}

# --- download -------------------------------------------------------------------------------------------

download() {
  if [ -f "$LIBS_DIR/.complete" ]; then return 0; fi
  command -v mvn >/dev/null 2>&1 || die "maven (mvn) is required to fetch Kafka $KAFKA_VERSION from Maven Central"
  say "downloading Apache Kafka $KAFKA_VERSION from Maven Central into $LIBS_DIR"
  mkdir -p "$KAFKA_HOME"
  local tmp
  tmp="$(mktemp -d "$KAFKA_HOME/libs.tmp.XXXXXX")"
  if ! mvn -q -B -Dstyle.color=never -f "$REPO_ROOT/scripts/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >&2; then
    rm -rf "$tmp"
    die "maven could not fetch org.apache.kafka:kafka_2.13:$KAFKA_VERSION"
  fi
  [ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" ] || { rm -rf "$tmp"; die "kafka_2.13-$KAFKA_VERSION.jar missing after download"; }
  touch "$tmp/.complete"
  rm -rf "$LIBS_DIR" "$CDS_ARCHIVE"
  mv "$tmp" "$LIBS_DIR"
  say "downloaded $(find "$LIBS_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS_DIR" | cut -f1))"
}

# --- process helpers ------------------------------------------------------------------------------------

# The pid from the pid file if that process is alive and is the broker of this state dir.
running_pid() {
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "kafka.Kafka $CONFIG_FILE" || return 1
  echo "$pid"
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

probe() {
  if [ -f "$REPO_ROOT/node_modules/kafkajs/package.json" ] && command -v node >/dev/null 2>&1; then
    (cd "$REPO_ROOT" && node scripts/kafka/probe.js "$BOOTSTRAP") 2>/dev/null
  elif command -v kcat >/dev/null 2>&1; then
    kcat -b "$BOOTSTRAP" -L -m 2 >/dev/null 2>&1
  else
    port_in_use "$KAFKA_PORT" && grep -q 'Kafka Server started' "$LOG_FILE"
  fi
}

# --- configuration --------------------------------------------------------------------------------------

write_config() {
  cat >"$CONFIG_FILE" <<EOF
# Generated by scripts/kafka.sh — single-node KRaft broker on loopback. Edits are overwritten on start.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$BOOTSTRAP
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA_DIR

# one node: everything has one replica
num.partitions=6
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
# convenient for development; tests and apps create their topics explicitly
auto.create.topics.enable=true
delete.topic.enable=true
# consumers of a fresh group start at once instead of waiting 3 s for more members
group.initial.rebalance.delay.ms=0

# a small machine
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
background.threads=4
log.retention.hours=168
log.segment.bytes=268435456
log.retention.check.interval.ms=300000
EOF
  cat >"$LOG4J_FILE" <<'EOF'
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.controller=INFO
log4j.logger.kafka.log.LogCleaner=WARN
log4j.logger.org.apache.kafka.storage.internals.log=WARN
log4j.logger.kafka.authorizer.logger=WARN
EOF
  cat >"$LOG4J2_FILE" <<'EOF'
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = warn
logger.storage.name = org.apache.kafka.storage.internals.log
logger.storage.level = warn
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = warn
EOF
}

java_opts() {
  # Fast start on a small machine: an application class-data sharing archive of the broker's classes
  # (written at the first clean stop, mapped on later starts); G1 with short pauses as kafka-server-start.sh.
  local opts=(${KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}
    -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35
    -XX:+ExplicitGCInvokesConcurrent -XX:+UseStringDeduplication -XX:CICompilerCount=2
    -Djava.awt.headless=true -Dlog4j.configuration="file:$LOG4J_FILE" -Dlog4j2.configurationFile="$LOG4J2_FILE"
    -Dkafka.logs.dir="$STATE_DIR")
  if [ -f "$CDS_ARCHIVE" ]; then
    opts+=(-XX:SharedArchiveFile="$CDS_ARCHIVE" -Xshare:auto)
  else
    opts+=(-XX:ArchiveClassesAtExit="$STATE_DIR/classes.jsa.tmp" -Xlog:cds=off)
  fi
  printf '%s\n' "${opts[@]}"
}

format_storage() {
  [ -f "$DATA_DIR/meta.properties" ] && return 0
  local cluster_id
  # A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (not starting with '-').
  while :; do
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [ "${cluster_id:0:1}" != "-" ] && break
  done
  say "formatting storage in $DATA_DIR (cluster id $cluster_id)"
  "$JAVA" -Xshare:auto -XX:TieredStopAtLevel=1 -Dlog4j.configuration="file:$LOG4J_FILE" -Dlog4j2.configurationFile="$LOG4J2_FILE" \
    -cp "$LIBS_DIR/*" kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG_FILE" --ignore-formatted \
    >"$STATE_DIR/format.log" 2>&1 || { cat "$STATE_DIR/format.log" >&2; die "kafka-storage format failed"; }
}

# --- commands -------------------------------------------------------------------------------------------

# One start/stop/acquire/release at a time per state dir. The broker never inherits the lock (9>&-), but a
# broker started by an older copy of this script might: give up waiting after a while instead of hanging.
lock_state_dir() {
  exec 9>"$STATE_DIR/.lock"
  flock -w 60 9 || say "could not lock $STATE_DIR/.lock within 60s, going on without it"
}

start() {
  require_java
  local pid
  if pid="$(running_pid)"; then
    say "already running (pid $pid) at $BOOTSTRAP"
    echo "$BOOTSTRAP"
    return 0
  fi
  rm -f "$PID_FILE"
  if port_in_use "$KAFKA_PORT"; then die "port $KAFKA_PORT is in use by another process (set KAFKA_PORT)"; fi
  if port_in_use "$KAFKA_CONTROLLER_PORT"; then
    die "controller port $KAFKA_CONTROLLER_PORT is in use (set KAFKA_CONTROLLER_PORT)"
  fi
  download
  write_config
  if [ "${KAFKA_EPHEMERAL:-0}" = "1" ] && [ -d "$DATA_DIR" ]; then
    say "KAFKA_EPHEMERAL=1: starting from empty storage"
    rm -rf "$DATA_DIR"
  fi
  format_storage
  local started=$SECONDS
  local opts
  mapfile -t opts < <(java_opts)
  say "starting Kafka $KAFKA_VERSION on $BOOTSTRAP (controller 127.0.0.1:$KAFKA_CONTROLLER_PORT, log $LOG_FILE)"
  # setsid: the broker outlives this script and the caller's process group (Ctrl-C of a test run)
  setsid "$JAVA" "${opts[@]}" -cp "$LIBS_DIR/*" kafka.Kafka "$CONFIG_FILE" >>"$LOG_FILE" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      tail -n 30 "$LOG_FILE" >&2 || true
      die "broker exited during start-up (log: $LOG_FILE)"
    fi
    if port_in_use "$KAFKA_PORT" && probe; then break; fi
    if [ $((SECONDS - started)) -ge "$START_TIMEOUT" ]; then
      tail -n 30 "$LOG_FILE" >&2 || true
      stop_pid "$pid"
      die "broker did not serve clients within ${START_TIMEOUT}s (log: $LOG_FILE)"
    fi
    sleep 0.2
  done
  say "ready in $((SECONDS - started))s (pid $pid)"
  echo "$BOOTSTRAP"
}

stop_pid() {
  local pid="$1" waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  # a clean shutdown takes a few seconds (and writes the class-data archive on the first run)
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge 600 ]; then
      say "broker (pid $pid) did not stop within 60s, killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$PID_FILE"
  adopt_cds_archive
}

# The class-data archive written at the first clean exit becomes the shared one (atomic rename).
adopt_cds_archive() {
  if [ -s "$STATE_DIR/classes.jsa.tmp" ]; then mv -f "$STATE_DIR/classes.jsa.tmp" "$CDS_ARCHIVE"; fi
  rm -f "$STATE_DIR/classes.jsa.tmp"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    adopt_cds_archive
    say "not running"
    return 0
  fi
  say "stopping (pid $pid)"
  stop_pid "$pid"
  say "stopped"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    say "running (pid $pid), Kafka $KAFKA_VERSION, log $LOG_FILE"
    echo "$BOOTSTRAP"
    return 0
  fi
  say "not running (state dir $STATE_DIR)"
  return 3
}

# Shared use (test runs of several people on one machine): `acquire HOLDER_PID` starts the broker if needed
# and records a lease for that process; `release HOLDER_PID` drops the lease (and those of dead processes)
# and stops the broker when no lease is left.
acquire() {
  local holder="$1"
  [[ "$holder" =~ ^[0-9]+$ ]] || die "acquire needs the pid of the process using the broker"
  start
  mkdir -p "$STATE_DIR/leases"
  touch "$STATE_DIR/leases/$holder"
  # a watcher stops the broker once every lease holder is gone, also when they die without `release`
  # (a test run killed by Ctrl-C or a timeout)
  local watcher
  watcher="$(cat "$STATE_DIR/watcher.pid" 2>/dev/null || true)"
  if ! { [[ "$watcher" =~ ^[0-9]+$ ]] && kill -0 "$watcher" 2>/dev/null; }; then
    setsid bash "${BASH_SOURCE[0]}" watch </dev/null >>"$STATE_DIR/kafka.sh.log" 2>&1 9>&- &
    echo "$!" >"$STATE_DIR/watcher.pid"
  fi
}

# Live lease holders; leases of dead processes are removed.
count_leases() {
  local lease left=0
  for lease in "$STATE_DIR"/leases/*; do
    [ -e "$lease" ] || continue
    if kill -0 "$(basename "$lease")" 2>/dev/null; then left=$((left + 1)); else rm -f "$lease"; fi
  done
  echo "$left"
}

watch_leases() {
  while running_pid >/dev/null; do
    sleep 5
    [ "$(count_leases)" -gt 0 ] && continue
    lock_state_dir
    # re-check under the lock: an acquire may have added a lease meanwhile
    if [ "$(count_leases)" -eq 0 ] && running_pid >/dev/null; then
      say "no live lease holder left, stopping"
      stop
    fi
    exec 9>&-
  done
  rm -f "$STATE_DIR/watcher.pid"
}

release() {
  local holder="$1" left
  [[ "$holder" =~ ^[0-9]+$ ]] || die "release needs the pid given to acquire"
  rm -f "$STATE_DIR/leases/$holder"
  left="$(count_leases)"
  if [ "$left" -gt 0 ]; then
    say "still used by $left other process(es), leaving it running"
    return 0
  fi
  stop
}

# who did what to this broker (helps when several test runs share it)
caller=""
[ "$PPID" -gt 1 ] && caller="$(tr '\0' ' ' </proc/$PPID/cmdline 2>/dev/null | cut -c1-120)"
echo "$(date -u +%FT%TZ) $$ ppid=$PPID $* ($caller)" >>"$STATE_DIR/kafka.sh.log" 2>/dev/null || true

case "${1:-}" in
  start) lock_state_dir; start ;;
  stop) lock_state_dir; stop ;;
  acquire) lock_state_dir; acquire "${2:-}" ;;
  release) lock_state_dir; release "${2:-}" ;;
  watch) watch_leases ;;
  status) status ;;
  download) require_java; download; say "Kafka $KAFKA_VERSION in $LIBS_DIR" ;;
  logs) echo "$LOG_FILE" ;;
  *)
    sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
