#pragma once
// Every default with its reason.
#include <cstdint>

namespace config::defaults {

// Semtech packet forwarders' conventional port (global_conf.json serv_port_up/down).
inline constexpr const char* kUdpListen = "0.0.0.0:1700";
// The management API stays on loopback unless the operator opens it on purpose.
inline constexpr const char* kApiListen = "127.0.0.1:8080";
// Copies of one frame from several gateways arrive within tens of ms over backhaul; 200 ms
// (ChirpStack's default) catches slow links and still leaves RX1 (1 s) reachable.
inline constexpr uint32_t kDedupWindowMs = 200;
inline constexpr const char* kRegion = "EU868";
// NetID 000000: experimental/private networks (LoRa Alliance NetID type 0, NwkID 0).
inline constexpr uint32_t kNetId = 0;
inline constexpr const char* kStorePath = "state/bridge.db";
// Uplinks the embedded platform keeps for /devices/{d}/data (oldest trimmed first): at ~1 KiB an
// event that is ~100 MB of disk, a day of 1000 devices reporting every 15 minutes.
inline constexpr uint32_t kKeepUplinks = 100000;
// A platform slower than this per request is treated as failing; retried.
inline constexpr uint32_t kPlatformTimeoutMs = 5000;
// 0: retry until delivered; the event waits in the durable outbox meanwhile (at-least-once).
inline constexpr uint32_t kPlatformMaxAttempts = 0;
// Requests in flight to the platform: one per connection. 8 keeps a loopback platform busy
// (bench/delivery_bench) without opening more sockets than a small REST backend expects.
inline constexpr uint32_t kPlatformConnections = 8;
// Requests written together on one connection (HTTP/1.1 pipelining, each of a different device).
// On loopback 8 takes delivery from ~29k/s to ~63k/s (bench/delivery_bench): fewer wake-ups and
// segments per event. A platform that closes a pipelined connection early turns it off by itself.
inline constexpr uint32_t kPlatformPipeline = 8;
// Retry backoff doubles from 100 ms up to this: a platform back from an outage is tried again
// within half a minute, and a dead one is not hammered.
inline constexpr uint32_t kPlatformMaxBackoffMs = 30000;
// Pending downlinks are also read this often for every managed device, so one queued while the
// device sleeps is waiting in our queue (and survives a restart) when its next uplink comes.
inline constexpr uint32_t kDownlinkPollIntervalS = 60;
// After an uplink the platform's queue is read before the Class A answer is sent: the dedup
// window (200 ms) + this stays well inside RX1 (1 s), leaving the gateway its lead time.
inline constexpr uint32_t kDownlinkFetchTimeoutMs = 300;
// Late copies of an uplink are recognised for this long after its window closed (a gateway
// with a backlog may deliver minutes late; 60 s covers a forwarder's reconnect).
inline constexpr uint32_t kLateCopyMemoryMs = 60000;

// Management API rate per token: a dashboard polling a few hundred devices stays well below;
// a runaway script is told to slow down (429, Retry-After) before it starves the bridge.
inline constexpr uint32_t kApiRatePerS = 50;
inline constexpr uint32_t kApiRateBurst = 200;
// Open management connections (WebSocket clients included) and /events clients: far above what
// dashboards use, far below the 1024 descriptors of a default ulimit.
inline constexpr uint32_t kApiMaxConnections = 256;
inline constexpr uint32_t kApiMaxEventClients = 64;

// Gateways. A downlink path moves to a new source IP only after the old one was silent this
// long (three missed 30 s keep-alives; TTS uses 90 s), so a spoofed PULL_DATA cannot take it.
inline constexpr uint32_t kGatewayPathExpiryS = 90;
// A gateway not heard for this long is forgotten (registry, /gateways, metrics).
inline constexpr uint32_t kGatewayIdleExpiryS = 3600;
// Gateways known at once (policy open): an attacker inventing EUIs fills this, not memory.
inline constexpr uint32_t kMaxGateways = 10000;
// A PUSH_DATA of 8 rxpk with 255-byte payloads is under 6 KB; lora_pkt_fwd's own buffer is 4 KB
// of JSON per packet, its datagram at most 65 KB, which no real forwarder sends.
inline constexpr uint32_t kMaxDatagramBytes = 16384;
// Datagrams per second from one source IP (token bucket, burst = 2 s): a forwarder sends one
// PUSH_DATA per received packet plus keep-alives (ten a second is a busy one); a site relaying
// a hundred gateways through one NAT address stays below it. A load generator sets it higher.
inline constexpr uint32_t kDatagramRatePerSource = 1000;

// A device is "online" when heard within this: class A sensors typically report every 15-60 min,
// so two missed hourly reports make it offline.
inline constexpr int64_t kOnlineWindowMs = 2 * 3600 * 1000;

// RX1 one second after the uplink: the LoRaWAN default, what a device assumes before any
// RXTimingSetupReq.
inline constexpr uint8_t kRx1DelaySeconds = 1;
// The 8-channel plan most EU868 gateways run (and TTN/ChirpStack configure): 3 default + 5 extra.
inline constexpr uint64_t kEu868ExtraChannels[] = {867100000, 867300000, 867500000, 867700000,
                                                   867900000};
// US915/AU915 8-channel gateways usually listen on sub-band 2 (channels 8-15 + 65).
inline constexpr int kSubBand = 2;

}  // namespace config::defaults
