#!/usr/bin/env bash
# Debian's Chromium, which the browser tests (tests/web) and `npm run screenshots` drive through
# playwright-core. Playwright's own browser download cannot work here (only package registries are
# reachable), so the browser comes from apt. As root a missing one is installed; otherwise this
# says why the browser tests will be skipped, and does not fail the run.
source "$(dirname "$0")/lib.sh"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

present() { [ -x "$CHROMIUM" ] && "$CHROMIUM" --version >/dev/null 2>&1; }

case "${1:-start}" in
  start)
    if present; then say "$("$CHROMIUM" --version) at $CHROMIUM"; exit 0; fi
    if [ "$(id -u)" != 0 ]; then
      say "WARNING: $CHROMIUM is missing and this is not root, so it cannot be installed: the browser tests will be skipped (install it with: sudo apt-get install -y chromium)"
      exit 0
    fi
    command -v apt-get >/dev/null || fail "$CHROMIUM is missing and there is no apt-get to install Debian's chromium"
    say "installing Debian's chromium (apt-get install -y chromium)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >"$RUN_DIR/chromium-apt.log" 2>&1 || fail "apt-get update failed (see $RUN_DIR/chromium-apt.log)"
    apt-get install -y -qq --no-install-recommends chromium >>"$RUN_DIR/chromium-apt.log" 2>&1 || fail "apt-get install chromium failed (see $RUN_DIR/chromium-apt.log)"
    present || fail "chromium was installed but $CHROMIUM does not run (see $RUN_DIR/chromium-apt.log)"
    say "$("$CHROMIUM" --version) installed at $CHROMIUM" ;;
  status) present && say "$("$CHROMIUM" --version) at $CHROMIUM" || { say "chromium missing at $CHROMIUM"; exit 1; } ;;
  stop) say "chromium is not a server; nothing to stop" ;;
  *) fail "usage: chromium.sh start|status|stop" ;;
esac
