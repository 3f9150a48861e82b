#!/usr/bin/env bash
# Redis as this machine has it: checks 127.0.0.1:6379 and starts a server when none answers.
source "$(dirname "$0")/lib.sh"
REDIS_PORT_=${REDIS_PORT:-6379}

ready() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT_" ping 2>/dev/null)" = "PONG" ]; }

case "${1:-start}" in
  start)
    if ready; then say "Redis ready on 127.0.0.1:$REDIS_PORT_"; exit 0; fi
    command -v redis-server >/dev/null || fail "Redis is not reachable on 127.0.0.1:$REDIS_PORT_ and redis-server is not installed"
    say "starting Redis"
    mkdir -p "$RUN_DIR/redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT_" --save "" --appendonly no \
      --dir "$RUN_DIR/redis" --logfile "$RUN_DIR/redis/redis.log" || fail "redis-server could not start (see $RUN_DIR/redis/redis.log)"
    wait_until 15 ready || fail "Redis did not answer PING on 127.0.0.1:$REDIS_PORT_ within 15 s"
    say "Redis ready on 127.0.0.1:$REDIS_PORT_" ;;
  status) ready && say "Redis up on 127.0.0.1:$REDIS_PORT_" || { say "Redis down"; exit 1; } ;;
  stop) say "Redis belongs to the machine; not stopped" ;;
  *) fail "usage: redis.sh start|status|stop" ;;
esac
