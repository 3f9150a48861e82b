#!/usr/bin/env bash
# A real single-node Kafka broker in KRaft mode, run from Apache Kafka's jars resolved by Maven.
#   kafka.sh start   fetch the jars once into the cache, format storage once, start, wait until ready
#   kafka.sh status  exit 0 when a broker answers on KAFKA_PORT
#   kafka.sh stop    stop the broker this script started
# Idempotent: start on a running broker only checks it.
source "$(dirname "$0")/lib.sh"

KAFKA_VERSION=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$ROOT/scripts/services/kafka/pom.xml")
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
LIBS="$CACHE_DIR/kafka-$KAFKA_VERSION/libs"
HOME_DIR="$RUN_DIR/kafka"
PID_FILE="$HOME_DIR/broker.pid"
LOG_FILE="$HOME_DIR/broker.log"

ready() { node "$ROOT/scripts/services/kafka-ready.mjs" "127.0.0.1:$KAFKA_PORT" >/dev/null 2>&1; }
running_pid() { [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null && cat "$PID_FILE"; }

fetch() {
  [ -f "$LIBS/.complete" ] && return 0
  command -v mvn >/dev/null || fail "Kafka: Maven (mvn) is not installed, so the broker's jars cannot be resolved"
  command -v java >/dev/null || fail "Kafka: Java is not installed, so the broker cannot run"
  say "Kafka: resolving Apache Kafka $KAFKA_VERSION from Maven Central into $LIBS (once)"
  rm -rf "$LIBS" && mkdir -p "$LIBS"
  mvn -q -B -f "$ROOT/scripts/services/kafka/pom.xml" dependency:copy-dependencies \
      -DoutputDirectory="$LIBS" -DincludeScope=runtime >"$HOME_DIR/maven.log" 2>&1 \
    || { tail -n 30 "$HOME_DIR/maven.log" >&2; fail "Kafka: Maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (log: $HOME_DIR/maven.log)"; }
  touch "$LIBS/.complete"
}

configure() {
  mkdir -p "$HOME_DIR/data"
  cat >"$HOME_DIR/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$HOME_DIR/data
num.partitions=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=24
PROPS
  cat >"$HOME_DIR/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$LOG_FILE
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
PROPS
}

java_cmd() {
  java -Xms256m -Xmx${KAFKA_HEAP:-768m} -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$HOME_DIR/log4j.properties" -cp "$LIBS/*" "$@"
}

start() {
  mkdir -p "$HOME_DIR"
  if ready; then say "Kafka ready on 127.0.0.1:$KAFKA_PORT"; return 0; fi
  if port_open 127.0.0.1 "$KAFKA_PORT"; then
    fail "Kafka: port $KAFKA_PORT is taken by something that does not answer as a Kafka broker"
  fi
  fetch
  configure
  if [ ! -f "$HOME_DIR/data/meta.properties" ]; then
    say "Kafka: formatting storage in $HOME_DIR/data"
    java_cmd kafka.tools.StorageTool format -t "$(java_cmd kafka.tools.StorageTool random-uuid)" \
      -c "$HOME_DIR/server.properties" >"$HOME_DIR/format.log" 2>&1 \
      || { cat "$HOME_DIR/format.log" >&2; fail "Kafka: formatting storage failed"; }
  fi
  say "Kafka: starting broker $KAFKA_VERSION (KRaft) on 127.0.0.1:$KAFKA_PORT"
  nohup setsid bash -c "$(declare -f java_cmd); HOME_DIR='$HOME_DIR' LIBS='$LIBS' KAFKA_HEAP='${KAFKA_HEAP:-768m}' java_cmd kafka.Kafka '$HOME_DIR/server.properties'" \
    >"$HOME_DIR/stdout.log" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  if ! wait_until "${KAFKA_START_TIMEOUT:-90}" ready; then
    tail -n 40 "$LOG_FILE" "$HOME_DIR/stdout.log" >&2 2>/dev/null || true
    if ! running_pid >/dev/null; then fail "Kafka: the broker process exited during start-up (logs above)"; fi
    fail "Kafka: the broker did not become ready on 127.0.0.1:$KAFKA_PORT within ${KAFKA_START_TIMEOUT:-90} s (logs above)"
  fi
  say "Kafka ready on 127.0.0.1:$KAFKA_PORT"
}

stop() {
  local pid
  if pid=$(running_pid); then
    say "Kafka: stopping broker (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null
    rm -f "$PID_FILE"
  else
    say "Kafka: no broker started by this script is running"
  fi
}

case "${1:-start}" in
  start) start ;;
  status) ready && say "Kafka up on 127.0.0.1:$KAFKA_PORT" || { say "Kafka down"; exit 1; } ;;
  stop) stop ;;
  *) fail "usage: kafka.sh start|status|stop" ;;
esac
