#!/usr/bin/env bash
# PostgreSQL as this machine has it: checks 127.0.0.1:5432 and starts the cluster when it is down.
source "$(dirname "$0")/lib.sh"
PGHOST_=127.0.0.1 PGPORT_=${PGPORT:-5432}

ready() { pg_isready -q -h "$PGHOST_" -p "$PGPORT_" 2>/dev/null || port_open "$PGHOST_" "$PGPORT_"; }

case "${1:-start}" in
  start)
    if ready; then say "PostgreSQL ready on $PGHOST_:$PGPORT_"; exit 0; fi
    command -v pg_ctlcluster >/dev/null || fail "PostgreSQL is not reachable on $PGHOST_:$PGPORT_ and pg_ctlcluster is not installed to start it"
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
    [ -n "$version" ] || fail "PostgreSQL is not reachable on $PGHOST_:$PGPORT_ and no cluster is configured under /etc/postgresql"
    say "starting PostgreSQL $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || fail "pg_ctlcluster could not start PostgreSQL $version"
    wait_until 30 ready || fail "PostgreSQL did not accept connections on $PGHOST_:$PGPORT_ within 30 s"
    say "PostgreSQL ready on $PGHOST_:$PGPORT_" ;;
  status) ready && say "PostgreSQL up on $PGHOST_:$PGPORT_" || { say "PostgreSQL down"; exit 1; } ;;
  stop) say "PostgreSQL belongs to the machine; not stopped" ;;
  *) fail "usage: postgres.sh start|status|stop" ;;
esac
