#!/usr/bin/env bash
# JavaScript codecs: the device repository's examples and the cost of a call.
# `bench/codecs.sh [BUILD_DIR] [CORPUS]` runs `lorawan-bridge codec test` over every definition of
# CORPUS (default ../shared/corpora/ttn-device-repo, a checkout of the device repository's
# vendor/ folder works too), then times decodeUplink per call for a trivial codec (the fixed
# overhead) and three vendor codecs, in the bridge (bench/codec_bench.cpp, in-process) and in
# node called directly (bench/codec_node.js); medians of 5 rounds, and the ratio.
set -euo pipefail
BUILD=${1:-build}
CORPUS=${2:-$(dirname "$0")/../../shared/corpora/ttn-device-repo}
HERE=$(cd "$(dirname "$0")" && pwd)
if [ -d "$CORPUS" ]; then
  echo "codec test $CORPUS:"
  (cd "$CORPUS" && "$OLDPWD/$BUILD/lorawan-bridge" codec test . | tail -1) || true
fi
printf '\n%-40s %12s %12s %8s\n' "decodeUplink per call" "bridge us" "node us" ratio
row() {
  local name=$1 us file hex port n
  shift
  read -r us file hex port <<<"$("$BUILD/codec_bench" "$@")"
  if command -v node >/dev/null; then n=$(node "$HERE/codec_node.js" "$file" "$hex" "$port"); else n=-; fi
  printf '%-40s %12s %12s %8s\n' "$name" "$us" "$n" \
    "$(awk -v a="$us" -v b="$n" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}')"
}
row trivial "$HERE/../fixtures/codecs/js/trivial.js" 0102 1
for def in netvox/r718n1-codec.yaml dragino/lht65-codec.yaml adeunis/analog-codec.yaml; do
  [ -f "$CORPUS/$def" ] && row "$def" "$CORPUS/$def"
done
