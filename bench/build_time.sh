#!/usr/bin/env bash
# Cold build of the demo's binary, no ccache: `bench/build_time.sh [SRC_DIR] [BUILD_TYPE] [FLAGS]`
# prints the seconds it took on $(nproc) cores and the binary's size. Run it for two trees in a
# row (e.g. an older checkout in a git worktree) to compare on the same, otherwise quiet, machine.
set -euo pipefail
SRC=${1:-$(cd "$(dirname "$0")/.." && pwd)}
TYPE=${2:-Release}
DIR=$(mktemp -d /tmp/lb-build-time.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
shift $(( $# > 2 ? 2 : $# ))
CCACHE_DISABLE=1 cmake -S "$SRC" -B "$DIR" -DCMAKE_BUILD_TYPE="$TYPE" -DLB_BUILD_TESTS=OFF \
  -DLB_BUILD_BENCH=OFF "$@" >/dev/null
start=$(date +%s.%N)
CCACHE_DISABLE=1 cmake --build "$DIR" -j"$(nproc)" --target lorawan-bridge >/dev/null
end=$(date +%s.%N)
printf '%s %s: %.0f s, binary %s bytes\n' "$SRC" "$TYPE" "$(echo "$end - $start" | bc)" \
  "$(stat -c %s "$DIR/lorawan-bridge")"
