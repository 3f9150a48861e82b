#!/usr/bin/env bash
# Starts (or checks) everything the tests and the local distributed mode need.
# Fails naming the service that could not be started, and why.
source "$(dirname "$0")/lib.sh"
dir="$(dirname "$0")"
bash "$dir/postgres.sh" start
bash "$dir/redis.sh" start
bash "$dir/kafka.sh" start
