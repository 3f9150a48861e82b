# Shared helpers of the service scripts. Sourced, not run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUN_DIR="${TRADING_CORE_RUN_DIR:-$ROOT/.run}"
CACHE_DIR="${TRADING_CORE_CACHE:-$HOME/.cache/trading-core}"
mkdir -p "$RUN_DIR" "$CACHE_DIR"

say() { printf '[services] %s\n' "$*" >&2; }
fail() { printf '[services] FAILED: %s\n' "$*" >&2; exit 1; }

# port_open HOST PORT: true when something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_until SECONDS COMMAND...: retries COMMAND every 0.5 s until it succeeds or time runs out.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}
