#!/usr/bin/env bash
# Replay demo, called by scripts/demo.sh with the glassbox binary: starts the project's test
# collector on a free loopback port, points a config at it, explains the policy decision,
# uploads, and shows what arrived and what inspect says now. Uses GLASSBOX_JOURNAL and
# XDG_CONFIG_HOME from demo.sh. Usage: scripts/demo-replay.sh GLASSBOX_BINARY
set -euo pipefail
gb=${1:?usage: demo-replay.sh GLASSBOX_BINARY}
root=$(cd "$(dirname "$0")/.." && pwd)
: "${GLASSBOX_JOURNAL:?run from scripts/demo.sh (or export GLASSBOX_JOURNAL)}"
: "${XDG_CONFIG_HOME:?run from scripts/demo.sh (or export XDG_CONFIG_HOME)}"
work=$(mktemp -d)
collector_pid=
cleanup() {
  if [ -n "$collector_pid" ]; then kill "$collector_pid" 2>/dev/null || true; wait "$collector_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

python3 "$root/tests/e2e/collector.py" --port 0 --store "$work/store" --port-file "$work/port" \
  >"$work/collector.log" 2>&1 &
collector_pid=$!
# The collector writes its port file once it is listening; wait for that (bounded).
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "collector did not start:"; cat "$work/collector.log"; exit 1; }
port=$(cat "$work/port")

mkdir -p "$XDG_CONFIG_HOME/glassbox"
cat >"$XDG_CONFIG_HOME/glassbox/config.toml" <<TOML
[upload]
endpoint = "http://127.0.0.1:$port/v1/events"
compression = "zstd"
max_batch_events = 2
jitter = "15m"          # cron runs spread out; --no-jitter skips it for this run by hand
TOML

echo; echo "== replay: upload to a collector on 127.0.0.1:$port when policy permits =="
step cat "$XDG_CONFIG_HOME/glassbox/config.toml"
step "$gb" replay --explain
rc=0
step "$gb" replay --no-jitter -v || rc=$?
echo "exit code $rc (0 = everything due was sent; 75 = deferred or transient; 1 = needs a person)"

echo; echo "== what the collector received (one line per request) =="
grep '^POST' "$work/collector.log" || true
echo "distinct batches stored (named by Idempotency-Key = SHA-256 of the body):"
ls "$work/store"
echo "the ledger records the same SHA-256 for every batch sent:"
step "$gb" inspect ledger

echo; echo "== afterwards =="
step "$gb" inspect
step "$gb" replay --no-jitter -v
