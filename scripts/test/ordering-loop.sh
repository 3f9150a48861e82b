#!/usr/bin/env bash
# Runs the two global-log ordering tests N times (default 20) and reports any failure.
# Usage: npm run test:ordering-loop [-- N]
set -uo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-20}
failed=0
for i in $(seq 1 "$runs"); do
  if TEST_SERVICES="${TEST_SERVICES:-}" npx vitest run tests/event-store/postgres-global-order.int.spec.ts >".run/ordering-loop-$i.log" 2>&1; then
    echo "ordering run $i/$runs: passed"
  else
    failed=$((failed + 1))
    echo "ordering run $i/$runs: FAILED (log: .run/ordering-loop-$i.log)"
  fi
done
echo "ordering loop: $((runs - failed)) of $runs runs passed"
[ "$failed" -eq 0 ]
