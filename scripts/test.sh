#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test. Usage: scripts/test.sh [BUILD_DIR]
# GLASSBOX_SANITIZE="address;undefined" builds with sanitizers; GLASSBOX_FUZZ=ON (with CC=clang
# CXX=clang++ and "fuzzer-no-link" among the sanitizers) also builds the libFuzzer targets, so
# scripts/fuzz.sh can fuzz from the same tree.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
"$root/scripts/install-deps.sh"
# Line tables (-g1) are enough for test failures and sanitizer reports and cost far less to
# build than full debug info. Sanitized builds exist to run the tests: -O1 keeps them quick to
# build, and the benchmarks are left out (together this halves their build time).
opt=-O2
flags=()
if [ -n "${GLASSBOX_SANITIZE:-}" ]; then
  opt=-O1
  flags=(-DGLASSBOX_BENCH=OFF)
fi
flags+=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="$opt -g1 -DNDEBUG"
        -DCMAKE_C_FLAGS_RELWITHDEBINFO="$opt -g1 -DNDEBUG")
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLASSBOX_WERROR=ON \
  -DGLASSBOX_SANITIZE="${GLASSBOX_SANITIZE:-}" -DGLASSBOX_FUZZ="${GLASSBOX_FUZZ:-OFF}" \
  "${flags[@]}" >/dev/null
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure -j2 --timeout 600
