#!/usr/bin/env bash
# Builds the concurrency tests under ThreadSanitizer and runs them (ctest label
# "concurrency"): threads sharing a Recorder, several Recorders on one journal; then the
# upload loop's tests, whose next batch is keyed and compressed on a worker thread (with the
# zstd context payloads share), and the
# other code that runs threads: a bundle's lines checked on two threads while the batch
# before is taken, export compressing on
# a helper thread, HMAC contexts kept per thread, a lock waited for while another thread holds
# it, the background sealer's checkpoints, the scrubber compiling on its own thread.
# Usage: scripts/test-tsan.sh [BUILD_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build-tsan}
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DGLASSBOX_WERROR=ON \
  -DGLASSBOX_BENCH=OFF -DGLASSBOX_SANITIZE=thread >/dev/null
cmake --build "$build" --target concurrency_test replay_test bundle_test base_test journal_test \
  privacy_test
# TSan's shadow memory does not fit every randomized layout of recent kernels: run without ASLR.
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  setarch "$(uname -m)" -R ctest --test-dir "$build" -L concurrency --output-on-failure -j2
TSAN_OPTIONS="halt_on_error=1" setarch "$(uname -m)" -R \
  "$build/tests/replay/replay_test" --gtest_filter='UploaderTest.*:Compress.*' --gtest_brief=1
TSAN_OPTIONS="halt_on_error=1" setarch "$(uname -m)" -R \
  "$build/tests/bundle/bundle_test" --gtest_filter='HostileTest.LinesCheckedOnTwoThreads*:HostileTest.AStreamedRead*:BundleTest.ExportAcrossBatches*' --gtest_brief=1
TSAN_OPTIONS="halt_on_error=1" setarch "$(uname -m)" -R \
  "$build/tests/base/base_test" --gtest_filter='HmacSha256.*' --gtest_brief=1
TSAN_OPTIONS="halt_on_error=1" setarch "$(uname -m)" -R \
  "$build/tests/privacy/privacy_test" --gtest_filter='ScrubberStartTest.*' --gtest_brief=1
TSAN_OPTIONS="halt_on_error=1" setarch "$(uname -m)" -R \
  "$build/tests/journal/journal_test" --gtest_filter='JournalTest.AppendWaits*:JournalTest.Background*' --gtest_brief=1
