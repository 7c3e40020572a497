#!/usr/bin/env bash
# A cold build of the demo's binary, no ccache, on $(nproc) cores: prints seconds and the
# binary's size. `bench/build_time.sh [SRC_DIR] [demo|tests]`: `demo` (default) uses
# scripts/demo.sh's settings, `tests` the test tree's (RelWithDebInfo, Makefiles, one file per
# compile). Run two in a row on a quiet machine to compare (e.g. an older checkout in a git
# worktree with `tests`, which is how its demo built).
set -euo pipefail
SRC=${1:-$(cd "$(dirname "$0")/.." && pwd)}
MODE=${2:-demo}
DIR=$(mktemp -d /tmp/lb-build-time.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
if [ "$MODE" = demo ]; then
  ARGS=(-G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG"
        -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=16 -DCMAKE_EXE_LINKER_FLAGS=-s)
else
  ARGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi
CCACHE_DISABLE=1 cmake -S "$SRC" -B "$DIR" "${ARGS[@]}" -DLB_BUILD_TESTS=OFF -DLB_BUILD_BENCH=OFF \
  >/dev/null
start=$(date +%s.%N)
# CPU seconds of the compilers too: on a shared machine they vary less than the wall time.
/usr/bin/time -f '%U %S' -o "$DIR/cpu" env CCACHE_DISABLE=1 \
  cmake --build "$DIR" -j"$(nproc)" --target lorawan-bridge >/dev/null
end=$(date +%s.%N)
printf '%s (%s): %.0f s, %.0f CPU s, binary %s bytes\n' "$SRC" "$MODE" \
  "$(echo "$end - $start" | bc)" "$(awk '{print $1 + $2}' "$DIR/cpu")" \
  "$(stat -c %s "$DIR/lorawan-bridge")"
