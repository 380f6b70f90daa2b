#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and fuzzes each for SECONDS, starting
# from a copy of its committed corpus (fuzz/corpus/<target>/). A crash fails the script and
# leaves its input in BUILD_DIR/artifacts/: add it to the corpus to make it a regression test.
# Usage: scripts/fuzz.sh [BUILD_DIR] [SECONDS]. BUILD_DIR may be a tree scripts/test.sh built
# with GLASSBOX_FUZZ=ON (see .ci/run); otherwise it is configured here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-fuzz}
seconds=${2:-20}
targets=(fuzz_event_json fuzz_schema fuzz_block fuzz_config fuzz_retry_after fuzz_bundle
  fuzz_salvage)
# A tree already configured for fuzzing (CI's sanitized test build) is used as it is.
if ! grep -q '^GLASSBOX_FUZZ:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DGLASSBOX_FUZZ=ON -DGLASSBOX_TESTS=OFF -DGLASSBOX_BENCH=OFF \
    -DGLASSBOX_SANITIZE="address;undefined;fuzzer-no-link" >/dev/null
fi
cmake --build "$build" --target "${targets[@]}"
mkdir -p "$build/artifacts"
for t in "${targets[@]}"; do
  work=$(mktemp -d)
  cp -r "$root/fuzz/corpus/$t/." "$work/"
  echo "fuzzing $t for ${seconds}s"
  status=0
  "$build/fuzz/$t" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
    -artifact_prefix="$build/artifacts/$t-" -print_final_stats=1 "$work" \
    >"$build/artifacts/$t.log" 2>&1 || status=$?
  grep -E "^(stat::number_of_executed_units|stat::new_units_added)|ERROR|SUMMARY" \
    "$build/artifacts/$t.log" || true
  rm -rf "$work"
  if [ "$status" -ne 0 ]; then
    # The sanitizer's own report (what, where, the stack): CI keeps only this output.
    grep -A12 -E "runtime error|==ERROR|deadly signal" "$build/artifacts/$t.log" | head -40 >&2 || true
    echo "fuzz target $t failed; inputs in $build/artifacts/" >&2
    exit 1
  fi
done
