#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft: broker and controller in one JVM) on 127.0.0.1, without Docker.
#
#   infra/kafka/broker.sh fetch    download the broker jars from Maven Central (cached; no-op when present)
#   infra/kafka/broker.sh start    fetch, format storage (once), start, wait until it accepts connections
#   infra/kafka/broker.sh stop     stop the broker started from this data directory
#   infra/kafka/broker.sh status   say whether it runs
#   infra/kafka/broker.sh logs     follow the broker's log file
#
# Settings (environment):
#   TEAMFLOW_KAFKA_PORT             client port                    (default 9092)
#   TEAMFLOW_KAFKA_CONTROLLER_PORT  KRaft controller port          (default 9093)
#   TEAMFLOW_KAFKA_DATA_DIR         data, config, pid and log file (default <repo>/var/kafka)
#   TEAMFLOW_KAFKA_VERSION          Apache Kafka version           (default: the pom's, 4.1.1)
#   TEAMFLOW_KAFKA_HEAP             JVM heap                       (default 512m)
#   TEAMFLOW_KAFKA_START_TIMEOUT    seconds to wait for readiness  (default 90)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
port="${TEAMFLOW_KAFKA_PORT:-9092}"
cport="${TEAMFLOW_KAFKA_CONTROLLER_PORT:-9093}"
data="${TEAMFLOW_KAFKA_DATA_DIR:-$repo/var/kafka}"
version="${TEAMFLOW_KAFKA_VERSION:-$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")}"
heap="${TEAMFLOW_KAFKA_HEAP:-512m}"
timeout="${TEAMFLOW_KAFKA_START_TIMEOUT:-90}"
lib="$here/lib/$version"
pidfile="$data/broker.pid"

say() { echo "[kafka] $*" >&2; }

fetch() {
  if [ -f "$lib/kafka_2.13-$version.jar" ]; then return 0; fi
  say "fetching Apache Kafka $version jars from Maven Central (first run only)..."
  mvn -q -B -f "$here/pom.xml" -Dkafka.version="$version" package >"$here/mvn.log" 2>&1 \
    || { say "mvn failed; see $here/mvn.log"; tail -20 "$here/mvn.log" >&2; exit 1; }
  say "jars in $lib"
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

java_cmd() {
  java -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Dkafka.logs.dir="$data" \
    -Dlog4j2.configurationFile="$here/log4j2.properties" -cp "$lib/*" "$@"
}

write_config() {
  mkdir -p "$data/log"
  cat >"$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$data/log
num.partitions=4
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=-1
log.segment.bytes=268435456
PROPS
}

start() {
  if running; then say "already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"; return 0; fi
  if port_open "$port"; then say "port $port is taken by another process; set TEAMFLOW_KAFKA_PORT"; exit 1; fi
  fetch
  write_config
  if [ ! -f "$data/log/meta.properties" ]; then
    say "formatting KRaft storage in $data/log"
    java_cmd kafka.tools.StorageTool format -g -t "$(java_cmd kafka.tools.StorageTool random-uuid)" \
      -c "$data/server.properties" >"$data/format.log" 2>&1 \
      || { say "storage format failed:"; cat "$data/format.log" >&2; exit 1; }
  fi
  say "starting Apache Kafka $version on 127.0.0.1:$port (data $data)"
  # setsid: the broker gets no Ctrl-C meant for whoever started it; `stop` ends it.
  setsid java -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -Dkafka.logs.dir="$data" \
    -Dlog4j2.configurationFile="$here/log4j2.properties" -cp "$lib/*" \
    kafka.Kafka "$data/server.properties" >"$data/stdout.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  local waited=0
  until port_open "$port" && grep -q "Kafka Server started\|KafkaRaftServer.*started\|Transition from STARTING to STARTED" "$data/server.log" 2>/dev/null; do
    if ! running; then say "broker exited during start; last log lines:"; tail -30 "$data/server.log" "$data/stdout.log" >&2 2>/dev/null || true; exit 1; fi
    if [ "$waited" -ge "$((timeout * 10))" ]; then say "not ready after ${timeout}s; see $data/server.log"; exit 1; fi
    sleep 0.1; waited=$((waited + 1))
  done
  say "ready on 127.0.0.1:$port after $((waited / 10)).$((waited % 10))s (pid $(cat "$pidfile"), log $data/server.log)"
}

stop() {
  if ! running; then say "not running"; rm -f "$pidfile"; return 0; fi
  local pid; pid="$(cat "$pidfile")"
  say "stopping broker pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then say "still alive after 30s, killing"; kill -KILL "$pid" 2>/dev/null || true; fi
  rm -f "$pidfile"
  say "stopped"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running (pid $(cat "$pidfile")) on 127.0.0.1:$port"; else echo "stopped"; exit 3; fi ;;
  logs) exec tail -F "$data/server.log" ;;
  -h|--help|help|"") sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' ; [ -n "${1:-}" ] || exit 2 ;;
  *) say "unknown command: $1 (try --help)"; exit 2 ;;
esac
