#!/usr/bin/env bash
# Bundle export / inspect / import / replay --bundle events/s (bench/bundle_bench.py).
# Called by bench/run.sh with BUILD_DIR and SMOKE (1 = tiny sizes).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ "${2:-0}" = 1 ]; then args=(--events 300 --runs 1); else args=(--events 100000 --runs 3); fi
python3 "$root/bench/bundle_bench.py" "$1/cli/glassbox" "${args[@]}" \
  --json "$root/bench/results/bundle.json"
