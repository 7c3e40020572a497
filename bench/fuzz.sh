#!/usr/bin/env bash
# Long fuzz run: every libFuzzer target of the sanitizer tree for RUNS inputs (default 1,000,000),
# printing execs and exec/s per target. Builds the tree first (scripts/sanitize.sh's settings).
# Crashes land in fuzz-artifacts/<target>/; minimize them into fixtures/fuzz/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-1000000}
BUILD_DIR=${SAN_BUILD_DIR:-build-asan}
if [ ! -d "$BUILD_DIR" ]; then
  CC=clang-16 CXX=clang++-16 cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DLB_SANITIZE=ON -DLB_FUZZ=ON -DLB_BUILD_BENCH=OFF >/dev/null
fi
cmake --build "$BUILD_DIR" -j"$(nproc)" >/dev/null
FUZZ_SEED=${FUZZ_SEED:-0} FUZZ_RUNS=$RUNS ./scripts/fuzz.sh "$BUILD_DIR"
