#pragma once
// OTAA: verifies JoinRequests, enforces DevNonce rules, allocates a DevAddr, derives and stores
// the session before the JoinAccept leaves, and answers copies from a cache (never a second
// derivation). The JoinAccept goes out at tmst + JOIN_ACCEPT_DELAY1 (5 s) on RX1, RX2 (6 s) when
// RX1 is impossible or the gateway refuses it.
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <random>

#include "bridge/core/metrics.hpp"
#include "bridge/gateway/downlink_scheduler.hpp"
#include "bridge/network/band_plan.hpp"
#include "bridge/network/device_event.hpp"
#include "bridge/network/network_context.hpp"
#include "bridge/network/session_registry.hpp"
#include "bridge/network/uplink_event.hpp"
#include "bridge/store/store.hpp"
#include "lorawan/semtech_udp.hpp"

namespace bridge {

struct JoinSettings {
  lorawan::NetId netId;
  BandPlan bands;
  uint8_t rx1DrOffset = 0;
  uint8_t rx1DelaySeconds = 1;
  int subBand = 2;
  std::chrono::milliseconds dedupWindow{200};
  size_t devNonceHistory = 100;  // bounded per device
};

enum class JoinVerdict {
  Accepted,
  Copy,      // within the dedup window: already answered
  LateCopy,  // after it, before RX1: the cached JoinAccept again, via this gateway
  Replay,    // the same DevNonce after the device stopped listening: no transmission
  Malformed,
  UnknownDevEui,
  WrongJoinEui,
  BadMic,
  Disabled,
  NotManaged,
  DevNonceReused,
  DevNonceNotIncreasing,
  NoDownlinkPath,
};
const char* toString(JoinVerdict v);

class JoinServer {
 public:
  using Clock = std::chrono::steady_clock;
  // A join event for the platform.
  using Emit = std::function<void(DeviceEvent)>;
  // Every rejected JoinRequest (for live error events).
  using OnRejection = std::function<void(const Rejection&)>;
  void onRejection(OnRejection r) { rejection_ = std::move(r); }

  JoinServer(JoinSettings settings, const NetworkContext& ctx, SessionStore& store, Emit emit,
             uint64_t seed);

  JoinVerdict onJoinRequest(lorawan::Eui64 gateway, const lorawan::semtech::RxPacket& rx,
                            Clock::time_point now);

 private:
  // JOIN_ACCEPT_DELAY1: the device opens RX1 this long after its JoinRequest.
  static constexpr std::chrono::seconds kJoinAcceptDelay1{5};
  struct Cached {
    lorawan::Bytes joinAccept;
    Clock::time_point windowEnd;
    Clock::time_point answerableUntil;  // later copies are replays
    Clock::time_point expires;
    std::string device;
    bool durable = false;  // committed: only then may a copy of it be sent
  };
  JoinVerdict reject(JoinVerdict v, lorawan::Eui64 devEui, lorawan::Eui64 gw,
                     const std::string& detail);
  DownlinkJob makeJob(const std::string& device, lorawan::Eui64 gw,
                      const lorawan::semtech::RxPacket& rx, const lorawan::Bytes& phy) const;
  lorawan::DevAddr allocateDevAddr();

  JoinSettings settings_;
  SessionRegistry& sessions_;
  SessionStore& store_;
  DownlinkScheduler& downlinks_;
  Metrics& metrics_;
  Emit emit_;
  OnRejection rejection_;
  std::function<int64_t()> wallClockMs_;
  std::mt19937_64 rng_;
  UuidGenerator uuids_;
  std::map<std::pair<uint64_t, uint16_t>, Cached> cache_;  // (DevEUI, DevNonce)
  std::deque<std::pair<Clock::time_point, std::pair<uint64_t, uint16_t>>> cacheOrder_;
};

}  // namespace bridge
