#!/usr/bin/env bash
# Runs every libFuzzer target of a LB_FUZZ build tree for SECONDS each (or RUNS inputs each when
# FUZZ_RUNS is set), starting from fixtures/fuzz/<target>/, and prints execs per target. A crash
# leaves its input in fuzz-artifacts/<target>/ and fails the run: minimize it into
# fixtures/fuzz/<target>/ so the normal tests replay it.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build-asan}
SECONDS_EACH=${2:-20}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
failed=0
printf '%-16s %12s %10s %8s\n' target execs exec/s result
for bin in "$BUILD_DIR"/fuzz_*; do
  t=$(basename "$bin"); t=${t#fuzz_}
  work=$(mktemp -d); mkdir -p "fuzz-artifacts/$t"
  cp fixtures/fuzz/"$t"/* "$work"/
  limit=(-max_total_time="$SECONDS_EACH")
  # A fixed seed (FUZZ_SEED, default 1) makes the short CI run replay the same mutations each
  # time; long runs pass FUZZ_SEED=0 for a random one.
  limit+=(-seed="${FUZZ_SEED:-1}")
  [ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS")
  # The config and interface targets build codecs; a slow input is a finding only past 10 s.
  if "$bin" "$work" "${limit[@]}" -timeout=10 -rss_limit_mb=4096 -max_len=4096 -print_final_stats=1 \
       -artifact_prefix="fuzz-artifacts/$t/" >"$work.log" 2>&1; then result=ok; else result=CRASH; failed=1; fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work.log" | grep -o '[0-9]*$' || echo 0)
  rate=$(grep -o 'exec/s: [0-9]*' "$work.log" | tail -1 | grep -o '[0-9]*$' || echo 0)
  printf '%-16s %12s %10s %8s\n' "$t" "$execs" "$rate" "$result"
  [ "$result" = ok ] || tail -40 "$work.log"
  rm -rf "$work" "$work.log"
done
exit $failed
