#!/usr/bin/env bash
# The end-to-end benchmark: in one run, the UDP floor (bench/udp_floor: recvmmsg + sendmmsg
# PUSH_ACK, nothing else) and the real daemon, each fed by `lorawan-bridge simulate` over
# loopback at saturation (closed loop), for: the embedded store; a platform configured (the
# durable outbox, delivery to `lorawan-bridge sink`); and, with E2E_MILLION=1, start-up with 1M
# provisioned devices. Prints uplinks/s, the ratio to the floor, the daemon's CPU per uplink
# (from /proc) and PUSH_ACK latency; then, with the platform configured, the uplink -> POST
# latency beyond the dedup window at 10%, 50% and 90% of that saturation (the sink compares each
# event's receivedAt with its arrival: millisecond resolution), and how fast a backlog of
# BACKLOG (200k) events in the durable outbox drains to the sink after a restart.
#   bench/e2e.sh [BUILD_DIR=build]   env: DURATION (5 s), DEVICES (1000), GATEWAYS (4), RUNS (1),
#                                         WINDOW (16 per gateway),
#                                         BACKLOG (200000; 0 skips), E2E_MILLION (0)
set -euo pipefail
BUILD=${1:-build}
BIN=$BUILD/lorawan-bridge
DURATION=${DURATION:-5}
DEVICES=${DEVICES:-1000}
GATEWAYS=${GATEWAYS:-4}
RUNS=${RUNS:-1}
# Frames in flight per gateway in the closed loop: 16 saturates both the floor and the daemon
# here; a deeper window only queues (PUSH_ACK latency then measures the sender's queue).
WINDOW=${WINDOW:-16}
WORK=$(mktemp -d /tmp/lb-e2e.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"
}
trap cleanup EXIT
TCK=$(getconf CLK_TCK)

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
# Runs a command; its CPU time (user + system, seconds) goes to $WORK/sender.cpu.
cpu_of() {
  python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write("%.6f\n" % (r.ru_utime + r.ru_stime))
sys.exit(rc)' "$WORK/sender.cpu" "$@"
}
# simulate's report -> "uplinks/s p50 p99 max sender_us_per_uplink seconds" (the sender's own
# CPU: on a 2-core machine what it takes is what the receiver cannot have)
sim() {
  local limit=(--duration "$DURATION")
  [[ " $* " == *" --count "* ]] && limit=()
  [[ " $* " == *" --rate "* ]] || limit+=(--window "$WINDOW")
  # As a packet forwarder: 100 ms for a PUSH_ACK. A datagram the bridge sheds past its backlog
  # frees its place in the window then, not after simulate's default second.
  limit+=(--ack-timeout 100)
  cpu_of "$BIN" simulate "$@" --gateways "$GATEWAYS" "${limit[@]}" 2>/dev/null |
    tee -a "$WORK/sim.log" |
    awk -v cpufile="$WORK/sender.cpu" '/^sent / {sent = $2; secs = $(NF-3)}
         /uplinks\/s\)/ {gsub(/[(]/, ""); r = $(NF-1)}
         /^PUSH_ACK/ {p50 = $5; p99 = $8; mx = $11}
         END {getline cpu < cpufile; s = sent > 0 ? sprintf("%.1f", cpu * 1e6 / sent) : "-"
              print r, p50, p99, mx, s, secs}'
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
# Share of the machine's CPU time that was busy (all cores) over a stretch: /proc/stat.
cpu_busy_start() { awk '/^cpu / {print $2+$3+$4+$6+$7+$8, $2+$3+$4+$5+$6+$7+$8}' /proc/stat >"$WORK/stat0"; }
cpu_busy() {
  read -r b0 t0 <"$WORK/stat0"
  awk -v b0="$b0" -v t0="$t0" '/^cpu / {b = $2+$3+$4+$6+$7+$8; t = b + $5;
    printf "%.0f%%", (t > t0 ? 100 * (b - b0) / (t - t0) : 0)}' /proc/stat
}

# $1 name, $2 extra config, then simulate's extra arguments; prints
# "accepted/s p50 p99 max sender_us accepted cpu_us_per_uplink rss dropped" (accepted per second
# of sending; dropped: datagrams past the bridge's bounded backlog, never answered)
bridge_run() {
  local name=$1 extra=$2; shift 2
  local udp api dir; udp=$(freeport); api=$(freeport); dir="$WORK/$name"
  mkdir -p "$dir"
  cat >"$dir/bridge.yaml" <<EOF
listen: { udp: "127.0.0.1:$udp", api: "127.0.0.1:$api" }
store: { path: "$dir/bridge.db" }
interfaces_dir: "$WORK/interfaces"
gateways: { rate_per_source: 10000000 }
$extra
EOF
  "$BIN" --config "$dir/bridge.yaml" >"$dir/log" 2>&1 & local pid=$!
  PIDS+=("$pid")
  wait_api "$api" || { echo "bridge $name did not start" >&2; tail "$dir/log" >&2; return 1; }
  local before; before=$(cpu_ticks "$pid")
  local s; s=$(sim --devices "$DEVICES" --to "127.0.0.1:$udp" "$@")
  local after; after=$(cpu_ticks "$pid")
  sleep 0.5  # the last dedup windows close
  local accepted; accepted=$(metric "$api" uplinks_accepted_total)
  local dropped; dropped=$(metric "$api" 'udp_datagrams_dropped_total{reason="overload"}')
  curl -sf "http://127.0.0.1:$api/metrics" >"$dir/metrics.txt" || true  # for a look afterwards
  local rss; rss=$(rss_mb "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  awk -v s="$s" -v a="${accepted:-0}" -v t=$((after - before)) -v tck="$TCK" -v rss="$rss" \
    -v d="${dropped:-0}" 'BEGIN {c = 0; if (a > 0) c = t / tck * 1e6 / a; split(s, f, " ");
      r = f[6] > 0 ? sprintf("%.0f", a / f[6]) : f[1]
      printf "%s %s %s %s %s %s %.1f %s %s\n", r, f[2], f[3], f[4], f[5], a, c, rss, d}'
}

platform_cfg() {
  echo "platform: { base_url: \"http://127.0.0.1:$1/api\", token: \"t\", outbox_max_rows: 1000000 }"
}
sink_stats() { curl -sf -X "${2:-GET}" "http://127.0.0.1:$1/_sink/${3:-stats}"; }

sink_port=$(freeport)
"$BIN" sink --listen "127.0.0.1:$sink_port" --quiet >/dev/null 2>&1 & PIDS+=("$!")
sleep 0.2

# CPU/uplink: the receiver's (the daemon's, from /proc); sender: simulate's own; busy: the
# machine's CPU (both cores) in use during the run.
printf '%-34s %10s %8s %10s %10s %10s %12s %8s %6s %8s\n' setup "uplinks/s" "vs floor" "ack p50" \
  "ack p99" "ack max" "CPU/uplink" "sender" "busy" "RSS MB"
for run in $(seq 1 "$RUNS"); do
  cpu_busy_start
  read -r f_rate f_p50 f_p99 f_max f_sender _ <<<"$(floor_run)"
  printf '%-34s %10s %8s %8sus %8sus %8sus %12s %6sus %6s %8s\n' "floor (udp_floor)" "$f_rate" 1 \
    "$f_p50" "$f_p99" "$f_max" - "$f_sender" "$(cpu_busy)" -
  for setup in embedded platform; do
    extra=""
    [ "$setup" = platform ] && extra=$(platform_cfg "$sink_port")
    [ "$setup" = platform ] && sink_stats "$sink_port" POST reset >/dev/null
    cpu_busy_start
    read -r rate p50 p99 mx sender acc cpu rss dropped <<<"$(bridge_run "$setup-$run" "$extra")"
    printf '%-34s %10s %8.2f %8sus %8sus %8sus %10sus %6sus %6s %8s\n' \
      "daemon, $setup ($acc, $dropped dropped)" "$rate" "$(echo "$rate / $f_rate" | bc -l)" \
      "$p50" "$p99" "$mx" "$cpu" "$sender" "$(cpu_busy)" "$rss"
    # "Accepted and delivered, sustained": what the sink had when the bridge stopped, half a
    # second after the sender (delivery does not run behind).
    if [ "$setup" = platform ]; then
      delivered=$(sink_stats "$sink_port" | sed 's/.*"received":\([0-9]*\).*/\1/')
      printf '%-34s %10s\n' "  of which at the sink by then" "$delivered"
    fi
  done
done

# Uplink -> POST beyond the dedup window (200 ms), rate-limited at a share of the platform
# setup's saturation (its last run).
echo
printf '%-34s %10s %12s %12s %12s\n' "uplink -> POST beyond the window" "uplinks/s" "p50" "p99" "max"
for pct in 10 50 90; do
  target=$(awk -v r="$rate" -v p="$pct" 'BEGIN {printf "%d", r * p / 100}')
  sink_stats "$sink_port" POST reset >/dev/null
  read -r got _ <<<"$(bridge_run "latency-$pct" "$(platform_cfg "$sink_port")" --rate "$target")"
  sleep 0.5
  sink_stats "$sink_port" | awk -v pct="$pct" -v got="$got" '{
    match($0, /"p50":-?[0-9]+/); p50 = substr($0, RSTART + 6, RLENGTH - 6) - 200
    match($0, /"p99":-?[0-9]+/); p99 = substr($0, RSTART + 6, RLENGTH - 6) - 200
    match($0, /"max":-?[0-9]+/); mx = substr($0, RSTART + 6, RLENGTH - 6) - 200
    printf "%-34s %10s %10sms %10sms %10sms\n", "at " pct "% of saturation", got, p50, p99, mx }'
done

# A backlog: BACKLOG uplinks accepted while the platform is down (kill -9 then: the outbox is
# durable), then the platform up and the bridge restarted; time until the sink has them all.
BACKLOG=${BACKLOG:-200000}
if [ "$BACKLOG" -gt 0 ]; then
  down=$(freeport)
  read -r _ _ _ _ _ queued _ <<<"$(bridge_run backlog "$(platform_cfg "$down")" --count "$BACKLOG")"
  "$BIN" sink --listen "127.0.0.1:$down" --quiet >/dev/null 2>&1 & PIDS+=("$!")
  sleep 0.2
  api=$(freeport)
  sed -i "s|api: \"127.0.0.1:[0-9]*\"|api: \"127.0.0.1:$api\"|" "$WORK/backlog/bridge.yaml"
  start=$(date +%s.%N)
  "$BIN" --config "$WORK/backlog/bridge.yaml" >"$WORK/backlog/log2" 2>&1 & pid=$!
  PIDS+=("$pid")
  got=0
  for _ in $(seq 1 2400); do
    got=$(sink_stats "$down" | sed 's/.*"received":\([0-9]*\).*/\1/')
    # What the first bridge accepted (a closed-loop burst loses some datagrams in the kernel's
    # socket buffer before the bridge sees them: udp_datagrams_total says how many arrived).
    [ "${got:-0}" -ge "$queued" ] && break
    sleep 0.05
  done
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  printf '\nbacklog: %s events (%s counted accepted when the bridge stopped) drained to the sink in %.2f s (%.0f events/s, start-up included)\n' \
    "$got" "$queued" "$secs" "$(echo "$got / $secs" | bc -l)"
  kill "$pid" 2>/dev/null || true
  # Fewer than sent: where they went (the first bridge's counters when it stopped).
  [ "${got:-0}" -lt "$BACKLOG" ] && grep -E "uplinks_(received|rejected)|udp_datagrams" \
    "$WORK/backlog/metrics.txt" >&2 || true
fi

if [ "${E2E_MILLION:-0}" = 1 ]; then
  rm -f "$WORK/interfaces/sim.yaml"
  "$BIN" simulate --devices 1000000 --write-interfaces "$WORK/interfaces/sim.json" 2>/dev/null
  udp=$(freeport); api=$(freeport)
  cat >"$WORK/million.yaml" <<EOF
listen: { udp: "127.0.0.1:$udp", api: "127.0.0.1:$api" }
store: { path: "$WORK/million.db" }
interfaces_dir: "$WORK/interfaces"
gateways: { rate_per_source: 10000000 }
EOF
  start=$(date +%s.%N)
  "$BIN" --config "$WORK/million.yaml" >"$WORK/million.log" 2>&1 & pid=$!
  PIDS+=("$pid")
  if wait_api "$api" 6000; then
    printf '1M ABP devices: ready after %.1f s, RSS %s MB\n' \
      "$(echo "$(date +%s.%N) - $start" | bc)" "$(rss_mb "$pid")"
    # Ingest with the million provisioned, frames spread over all of them (vs the 1k runs above).
    read -r m_rate m_p50 m_p99 _ <<<"$(sim --devices 1000000 --to "127.0.0.1:$udp")"
    printf '1M ABP devices: %s uplinks/s (PUSH_ACK p50 %sus p99 %sus), RSS then %s MB\n' \
      "$m_rate" "$m_p50" "$m_p99" "$(rss_mb "$pid")"
  else
    echo "1M ABP devices: not ready after 600 s, RSS $(rss_mb "$pid") MB"
  fi
fi
