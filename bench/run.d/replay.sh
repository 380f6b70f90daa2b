#!/usr/bin/env bash
# Upload events/s and wire bytes per event to a loopback collector (bench/replay_bench.py).
# Called by bench/run.sh with BUILD_DIR and SMOKE (1 = tiny sizes).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${2:-0}" = 1 ]; then args=(--events 300 --runs 1 --days 2 --per-day 200); else
  args=(--events 20000 --runs 3 --days 12 --per-day 5000)
fi
python3 "$root/bench/replay_bench.py" "$1/cli/glassbox" "${args[@]}" \
  --json "$root/bench/results/replay.json"
