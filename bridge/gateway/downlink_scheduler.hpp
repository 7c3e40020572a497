#pragma once
// Sends downlinks as PULL_RESP to the gateway's last PULL_DATA address and follows their TX_ACK:
// an error on RX1 moves the frame to RX2 while RX2 is still ahead; other failures are reported.
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "bridge/core/metrics.hpp"
#include "bridge/gateway/gateway_registry.hpp"
#include "lorawan/semtech_udp.hpp"

namespace bridge {

struct DownlinkJob {
  std::string kind;  // "join_accept", "data" — for logs and metrics
  std::string device;
  std::string interfaceId;
  std::string downlinkId;  // the queue entry it carries, if any
  lorawan::Eui64 gateway;
  lorawan::semtech::TxPacket rx1;
  std::optional<lorawan::semtech::TxPacket> rx2;
  std::chrono::milliseconds rx2After{1000};  // RX2 opens this long after RX1
};

enum class DownlinkResult { Sent, Acked, RetriedOnRx2, Failed };

class DownlinkScheduler {
 public:
  using Clock = std::chrono::steady_clock;
  using Send = std::function<void(const boost::asio::ip::udp::endpoint&, std::span<const uint8_t>)>;
  // Told when the gateway confirmed (TX_ACK NONE) or finally refused a job.
  using Outcome = std::function<void(const DownlinkJob&, DownlinkResult, const std::string& error)>;

  DownlinkScheduler(GatewayRegistry& gateways, Send send, Metrics& metrics,
                    Outcome outcome = nullptr);

  // Sends RX1 (or RX2 when there is no RX1). False when the gateway has no downlink path yet.
  bool schedule(DownlinkJob job, Clock::time_point now);
  // Whether the gateway has a downlink path now (it sent PULL_DATA).
  bool reachable(lorawan::Eui64 gateway) const;
  void onTxAck(lorawan::Eui64 gateway, uint16_t token, const std::string& error,
               Clock::time_point now);
  size_t inFlight() const { return pending_.size(); }

 private:
  struct Pending {
    DownlinkJob job;
    bool onRx2 = false;
    Clock::time_point sentAt;
  };
  bool transmit(const DownlinkJob& job, const lorawan::semtech::TxPacket& tx, bool rx2,
                Clock::time_point now);
  void prune(Clock::time_point now);

  GatewayRegistry& gateways_;
  Send send_;
  Metrics& metrics_;
  Outcome outcome_;
  uint16_t nextToken_ = 1;
  std::unordered_map<uint16_t, Pending> pending_;
};

}  // namespace bridge
