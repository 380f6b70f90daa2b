#!/usr/bin/env bash
# Embedding overhead: C++ API, C API, Python package and one `glassbox record` process per event
# (bench/python_overhead.py, which runs bench/embed_bench). Called by bench/run.sh BUILD SMOKE.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=$1 smoke=${2:-0}
lib="$build/capi/libglassbox.so.0"
args=()
if [ "$smoke" = 1 ]; then args=(--events 200 --runs 1 --processes 3); fi
# A sanitizer build's library loads into python only with the ASan runtime preloaded.
asan=$(ldd "$lib" | awk '/libasan/ {print $3}')
if [ -n "$asan" ]; then export LD_PRELOAD="$asan" ASAN_OPTIONS=detect_leaks=0; fi
python3 "$here/python_overhead.py" --bin "$build/cli/glassbox" --library "$lib" \
  --embed-bench "$build/bench/embed_bench" "${args[@]}"
