#pragma once
// Gateways seen on the UDP socket: where to reach them (last PULL_DATA address, used for
// PULL_RESP), when they were last heard, and their latest `stat` report. Bounded and guarded:
// a downlink path only moves to another source IP once the old one expired (a spoofed
// PULL_DATA cannot take a gateway's downlinks), idle gateways are forgotten, and the number
// known at once has a cap (policy `listed`: only configured EUIs are known at all).
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "lorawan/types.hpp"

namespace bridge {

struct GatewayInfo {
  lorawan::Eui64 eui;
  std::optional<boost::asio::ip::udp::endpoint> pushAddress;
  std::optional<boost::asio::ip::udp::endpoint> pullAddress;  // unset once expired
  uint8_t protocolVersion = 2;
  std::chrono::system_clock::time_point lastSeen;
  std::chrono::steady_clock::time_point lastPull;  // the downlink path's last refresh
  std::string lastStatJson;
  uint64_t pushCount = 0;
  uint64_t pullCount = 0;
};

struct GatewayRegistrySettings {
  std::chrono::seconds pathExpiry{90};
  std::chrono::seconds idleExpiry{3600};
  size_t maxGateways = 10000;
  bool listedOnly = false;
  std::unordered_set<lorawan::Eui64> listed;  // the configured gateways
};

class GatewayRegistry {
 public:
  using Clock = std::chrono::steady_clock;
  GatewayRegistry() = default;
  explicit GatewayRegistry(GatewayRegistrySettings settings) : settings_(std::move(settings)) {}
  void configure(GatewayRegistrySettings settings) {
    std::lock_guard lock(mutex_);
    settings_ = std::move(settings);
  }

  // Why a datagram of a gateway is not taken.
  enum class Refusal { None, Unlisted, Full };
  // Whether datagrams of `eui` are taken at all (known, or room for one more).
  Refusal admit(lorawan::Eui64 eui, Clock::time_point now = Clock::now());

  void onPush(lorawan::Eui64 eui, const boost::asio::ip::udp::endpoint& from, uint8_t version,
              Clock::time_point now = Clock::now());
  // False when the PULL_DATA came from another IP than the live path (kept, counted).
  bool onPull(lorawan::Eui64 eui, const boost::asio::ip::udp::endpoint& from, uint8_t version,
              Clock::time_point now = Clock::now());
  void onStat(lorawan::Eui64 eui, std::string statJson);
  std::optional<GatewayInfo> find(lorawan::Eui64 eui, Clock::time_point now = Clock::now()) const;
  std::vector<GatewayInfo> all(Clock::time_point now = Clock::now()) const;

 private:
  GatewayInfo& touch(lorawan::Eui64 eui, uint8_t version, Clock::time_point now);
  GatewayInfo view(const GatewayInfo& g, Clock::time_point now) const;
  void forgetIdle(Clock::time_point now);

  GatewayRegistrySettings settings_;
  mutable std::mutex mutex_;  // read by the API thread too
  std::unordered_map<lorawan::Eui64, GatewayInfo> gateways_;
  std::unordered_map<lorawan::Eui64, Clock::time_point> heard_;  // steady time of last datagram
  Clock::time_point lastSweep_{};
};

}  // namespace bridge
