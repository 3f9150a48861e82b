#!/usr/bin/env bash
# Prints the state of each service; exits non-zero when one is down.
source "$(dirname "$0")/lib.sh"
dir="$(dirname "$0")"
rc=0
for service in postgres redis kafka; do bash "$dir/$service.sh" status || rc=1; done
exit $rc
