#!/usr/bin/env bash
# The sanitizer run: a second build tree with clang-16, ASan + UBSan (every report fatal) and
# libFuzzer instrumentation; runs the whole test suite in it, then each fuzz target for
# FUZZ_SECONDS (default 20) from its seed corpus. Any sanitizer report or fuzz crash fails.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
BUILD_DIR=${SAN_BUILD_DIR:-build-asan}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
# -O1 and line tables only: sanitizer reports keep file:line, the tree builds about twice as fast.
CC=clang-16 CXX=clang++-16 cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DLB_WERROR=ON -DLB_SANITIZE=ON -DLB_FUZZ=ON -DLB_BUILD_BENCH=OFF >/dev/null
cmake --build "$BUILD_DIR" -j"$(nproc)"
# SpiderMonkey's own allocations are not ours to report (detect_leaks=0); everything else aborts.
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
(cd "$BUILD_DIR" && ctest --output-on-failure -j"$(nproc)" --timeout 600)
./scripts/fuzz.sh "$BUILD_DIR" "$FUZZ_SECONDS"
