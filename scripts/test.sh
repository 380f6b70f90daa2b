#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test. Usage: scripts/test.sh [BUILD_DIR]
# GLASSBOX_SANITIZE="address;undefined" builds with sanitizers.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
"$root/scripts/install-deps.sh"
flags=()
if [ -n "${GLASSBOX_SANITIZE:-}" ]; then
  # Sanitized builds exist to run the tests: line tables are enough for their reports, -O1
  # keeps them fast, and the benchmarks are left out (this halves their build time).
  flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
         -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DGLASSBOX_BENCH=OFF)
fi
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DGLASSBOX_WERROR=ON \
  -DGLASSBOX_SANITIZE="${GLASSBOX_SANITIZE:-}" "${flags[@]}" >/dev/null
cmake --build "$build"
ctest --test-dir "$build" --output-on-failure -j2 --timeout 600
