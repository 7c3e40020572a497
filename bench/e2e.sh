#!/usr/bin/env bash
# The end-to-end benchmark: in one run, the UDP floor (bench/udp_floor: recvmmsg + sendmmsg
# PUSH_ACK, nothing else) and the real daemon, each fed by `lorawan-bridge simulate` over
# loopback at saturation (closed loop), for: the embedded store; a platform configured (the
# durable outbox, delivery to `lorawan-bridge sink`); and, with E2E_MILLION=1, start-up with 1M
# provisioned devices. Prints uplinks/s, the ratio to the floor, the daemon's CPU per uplink
# (from /proc) and PUSH_ACK latency.
#   bench/e2e.sh [BUILD_DIR=build]   env: DURATION (5 s), DEVICES (1000), GATEWAYS (4), RUNS (1)
set -euo pipefail
BUILD=${1:-build}
BIN=$BUILD/lorawan-bridge
DURATION=${DURATION:-5}
DEVICES=${DEVICES:-1000}
GATEWAYS=${GATEWAYS:-4}
RUNS=${RUNS:-1}
WORK=$(mktemp -d /tmp/lb-e2e.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
TCK=$(getconf CLK_TCK)

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
# simulate's report -> "uplinks/s p50 p99 max"
sim() {
  "$BIN" simulate "$@" --gateways "$GATEWAYS" --duration "$DURATION" 2>/dev/null |
    awk '/uplinks\/s\)/ {gsub(/[(]/, ""); r = $(NF-1)}
         /^PUSH_ACK/ {p50 = $5; p99 = $8; mx = $11}
         END {print r, p50, p99, mx}'
}
wait_api() {
  for _ in $(seq 1 "${2:-600}"); do
    curl -sf "http://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
metric() { curl -sf "http://127.0.0.1:$1/metrics" | awk -v k="lorawan_bridge_$2" '$1 == k {print $2}'; }

"$BIN" simulate --devices "$DEVICES" --write-interfaces "$WORK/sim.yaml" 2>/dev/null
mkdir -p "$WORK/interfaces" && mv "$WORK/sim.yaml" "$WORK/interfaces/"

floor_run() {
  local port; port=$(freeport)
  "$BUILD/udp_floor" "$port" $((DURATION + 10)) >/dev/null & local pid=$!
  PIDS+=("$pid")
  sleep 0.2
  sim --devices "$DEVICES" --to "127.0.0.1:$port"
  kill "$pid" 2>/dev/null || true
}

# $1 name, $2 extra config; prints "uplinks/s p50 p99 max accepted cpu_us_per_uplink rss"
bridge_run() {
  local udp api dir; udp=$(freeport); api=$(freeport); dir="$WORK/$1"
  mkdir -p "$dir"
  cat >"$dir/bridge.yaml" <<EOF
listen: { udp: "127.0.0.1:$udp", api: "127.0.0.1:$api" }
store: { path: "$dir/bridge.db" }
interfaces_dir: "$WORK/interfaces"
gateways: { rate_per_source: 10000000 }
$2
EOF
  "$BIN" --config "$dir/bridge.yaml" >"$dir/log" 2>&1 & local pid=$!
  PIDS+=("$pid")
  wait_api "$api" || { echo "bridge $1 did not start" >&2; tail "$dir/log" >&2; return 1; }
  local before; before=$(cpu_ticks "$pid")
  local s; s=$(sim --devices "$DEVICES" --to "127.0.0.1:$udp")
  local after; after=$(cpu_ticks "$pid")
  sleep 0.5  # the last dedup windows close
  local accepted; accepted=$(metric "$api" uplinks_accepted_total)
  local rss; rss=$(rss_mb "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  awk -v s="$s" -v a="${accepted:-0}" -v t=$((after - before)) -v tck="$TCK" -v rss="$rss" \
    'BEGIN {c = 0; if (a > 0) c = t / tck * 1e6 / a; printf "%s %s %.1f %s\n", s, a, c, rss}'
}

sink_port=$(freeport)
"$BIN" sink --listen "127.0.0.1:$sink_port" >/dev/null 2>&1 & PIDS+=("$!")
sleep 0.2

printf '%-34s %10s %8s %10s %10s %10s %12s %8s\n' setup "uplinks/s" "vs floor" "ack p50" \
  "ack p99" "ack max" "CPU/uplink" "RSS MB"
for run in $(seq 1 "$RUNS"); do
  read -r f_rate f_p50 f_p99 f_max <<<"$(floor_run)"
  printf '%-34s %10s %8s %8sus %8sus %8sus %12s %8s\n' "floor (udp_floor)" "$f_rate" 1 \
    "$f_p50" "$f_p99" "$f_max" - -
  for setup in embedded platform; do
    extra=""
    [ "$setup" = platform ] && extra="platform: { base_url: \"http://127.0.0.1:$sink_port/api\", token: \"t\" }"
    read -r rate p50 p99 mx acc cpu rss <<<"$(bridge_run "$setup-$run" "$extra")"
    printf '%-34s %10s %8.2f %8sus %8sus %8sus %10sus %8s\n' "daemon, $setup ($acc accepted)" \
      "$rate" "$(echo "$rate / $f_rate" | bc -l)" "$p50" "$p99" "$mx" "$cpu" "$rss"
  done
done

if [ "${E2E_MILLION:-0}" = 1 ]; then
  "$BIN" simulate --devices 1000000 --write-interfaces "$WORK/interfaces/sim.yaml" 2>/dev/null
  udp=$(freeport); api=$(freeport)
  cat >"$WORK/million.yaml" <<EOF
listen: { udp: "127.0.0.1:$udp", api: "127.0.0.1:$api" }
store: { path: "$WORK/million.db" }
interfaces_dir: "$WORK/interfaces"
EOF
  start=$(date +%s.%N)
  "$BIN" --config "$WORK/million.yaml" >"$WORK/million.log" 2>&1 & pid=$!
  PIDS+=("$pid")
  if wait_api "$api" 6000; then
    printf '1M ABP devices: ready after %.1f s, RSS %s MB\n' \
      "$(echo "$(date +%s.%N) - $start" | bc)" "$(rss_mb "$pid")"
  else
    echo "1M ABP devices: not ready after 600 s, RSS $(rss_mb "$pid") MB"
  fi
fi
