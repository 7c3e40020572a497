#pragma once
// Gateways seen on the UDP socket: where to reach them (last PULL_DATA address, used for
// PULL_RESP), when they were last heard, and their latest `stat` report.
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/udp.hpp>

#include "lorawan/types.hpp"

namespace bridge {

struct GatewayInfo {
  lorawan::Eui64 eui;
  std::optional<boost::asio::ip::udp::endpoint> pushAddress;
  std::optional<boost::asio::ip::udp::endpoint> pullAddress;
  uint8_t protocolVersion = 2;
  std::chrono::system_clock::time_point lastSeen;
  std::string lastStatJson;
  uint64_t pushCount = 0;
  uint64_t pullCount = 0;
};

class GatewayRegistry {
 public:
  void onPush(lorawan::Eui64 eui, const boost::asio::ip::udp::endpoint& from, uint8_t version);
  void onPull(lorawan::Eui64 eui, const boost::asio::ip::udp::endpoint& from, uint8_t version);
  void onStat(lorawan::Eui64 eui, std::string statJson);
  std::optional<GatewayInfo> find(lorawan::Eui64 eui) const;
  std::vector<GatewayInfo> all() const;

 private:
  GatewayInfo& touch(lorawan::Eui64 eui, uint8_t version);
  mutable std::mutex mutex_;  // read by the API thread later
  std::unordered_map<lorawan::Eui64, GatewayInfo> gateways_;
};

}  // namespace bridge
