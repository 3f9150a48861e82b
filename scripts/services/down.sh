#!/usr/bin/env bash
# Stops what the project started (Kafka); PostgreSQL and Redis belong to the machine.
source "$(dirname "$0")/lib.sh"
bash "$(dirname "$0")/kafka.sh" stop
