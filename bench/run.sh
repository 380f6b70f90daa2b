#!/usr/bin/env bash
# Runs every benchmark workload with its baseline and prints the tables; JSON figures go to
# bench/results/ (not committed). Usage: bench/run.sh [--smoke] [BUILD_DIR]
#   --smoke   tiny sizes, one run: proves the harness works (CI), says nothing about speed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
smoke=0
if [ "${1:-}" = "--smoke" ]; then smoke=1; shift; fi
build=${1:-$root/build}
out="$root/bench/results"
mkdir -p "$out"
if [ $smoke = 1 ]; then
  record_args=(--events 600 --runs 1) scale_args=(--events 3000 --probe 100)
else
  record_args=(--events 20000 --runs 5) scale_args=(--events 1000000 --probe 2000)
fi
echo "== capture and size (bench/record_bench ${record_args[*]}) =="
"$build/bench/record_bench" "${record_args[@]}" --json "$out/record.json"
echo
echo "== scale and streaming (bench/scale_bench ${scale_args[*]}) =="
"$build/bench/scale_bench" "$build/cli/glassbox" "${scale_args[@]}"
for extra in "$root"/bench/run.d/*.sh; do
  [ -x "$extra" ] || continue
  echo; echo "== $(basename "$extra" .sh) =="
  "$extra" "$build" "$smoke"
done
if [ -x "$build/bench/json_bench" ]; then
  echo; echo "== JSON libraries on the hot paths (bench/json_bench) =="
  if [ $smoke = 1 ]; then "$build/bench/json_bench" --events 200 --runs 1; else "$build/bench/json_bench"; fi
fi
if [ -x "$build/bench/scrub_bench" ]; then
  echo; echo "== anonymizing: scrubber, hashes, schema constraints (bench/scrub_bench) =="
  if [ $smoke = 1 ]; then "$build/bench/scrub_bench" 500; else "$build/bench/scrub_bench"; fi
fi
