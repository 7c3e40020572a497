#pragma once
// The packet-forwarder side: one UDP socket speaking the Semtech protocol. PUSH_DATA is ACKed
// as soon as its header is valid; PULL_DATA is answered and remembered (downlink path).
#include <array>
#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "bridge/gateway_registry.hpp"
#include "bridge/metrics.hpp"
#include "lorawan/semtech_udp.hpp"

namespace bridge {

class UdpServer {
 public:
  using RxHandler = std::function<void(lorawan::Eui64, lorawan::semtech::RxPacket&&)>;
  // Called after each datagram, once its packets were handed over (to arm timers, flush).
  using AfterDatagram = std::function<void()>;
  using TxAckHandler = std::function<void(lorawan::Eui64, uint16_t token, const std::string& error)>;

  UdpServer(boost::asio::io_context& ioc, const boost::asio::ip::udp::endpoint& listen,
            GatewayRegistry& gateways, Metrics& metrics, RxHandler onRx, AfterDatagram after,
            TxAckHandler onTxAck = nullptr);
  boost::asio::ip::udp::endpoint localEndpoint() const { return socket_.local_endpoint(); }
  void start() { receive(); }
  void close();
  // For PULL_RESP; errors are counted, never thrown.
  void sendTo(const boost::asio::ip::udp::endpoint& to, std::span<const uint8_t> bytes);

 private:
  void receive();
  void handle(std::span<const uint8_t> datagram);
  void invalid(const std::string& reason, const std::string& detail);

  boost::asio::ip::udp::socket socket_;
  GatewayRegistry& gateways_;
  Metrics& metrics_;
  RxHandler onRx_;
  AfterDatagram after_;
  TxAckHandler onTxAck_;
  lorawan::semtech::PushDataParser parser_;
  boost::asio::ip::udp::endpoint from_;
  std::array<uint8_t, 65536> buffer_{};
};

}  // namespace bridge
