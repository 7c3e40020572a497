#pragma once
// The packet-forwarder side: one UDP socket speaking the Semtech protocol. PUSH_DATA is ACKed
// as soon as its header is valid; PULL_DATA is answered and remembered (downlink path).
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <string_view>
#include <unordered_map>

#include "bridge/core/metrics.hpp"
#include "bridge/core/token_bucket.hpp"
#include "bridge/gateway/gateway_registry.hpp"
#include "lorawan/semtech_udp.hpp"

namespace bridge {

struct BytesHash {
  size_t operator()(const boost::asio::ip::address_v6::bytes_type& b) const {
    return std::hash<std::string_view>()(
        std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
  }
};

// What one source may send (config `gateways:`); beyond it datagrams are dropped, counted.
struct UdpLimits {
  size_t maxDatagramBytes = 16384;
  double ratePerSource = 1000;  // datagrams/s per source IP; burst: two seconds' worth
};

class UdpServer {
 public:
  using RxHandler = std::function<void(lorawan::Eui64, lorawan::semtech::RxPacket&&)>;
  // Called after each datagram, once its packets were handed over (to arm timers, flush).
  using AfterDatagram = std::function<void()>;
  using TxAckHandler =
      std::function<void(lorawan::Eui64, uint16_t token, const std::string& error)>;

  UdpServer(boost::asio::io_context& ioc, const boost::asio::ip::udp::endpoint& listen,
            GatewayRegistry& gateways, Metrics& metrics, RxHandler onRx, AfterDatagram after,
            TxAckHandler onTxAck = nullptr, UdpLimits limits = {});
  boost::asio::ip::udp::endpoint localEndpoint() const { return socket_.local_endpoint(); }
  void start() { receive(); }
  bool isOpen() const { return socket_.is_open(); }
  void close();
  // For PULL_RESP; errors are counted, never thrown.
  void sendTo(const boost::asio::ip::udp::endpoint& to, std::span<const uint8_t> bytes);

 private:
  void receive();
  // One recvmmsg batch: every datagram's header is checked and its PUSH_ACK / PULL_ACK queued,
  // the ACKs leave in one sendmmsg, and only then are the payloads parsed.
  bool drain();
  void receiveFailed(const std::string& error);  // counted, logged once, retried later
  void retryLater();                             // the pause grows while errors go on (1 ms .. 1 s)
  // The header, the limits and the ACK; true when the payload is to be handled.
  bool admit(std::span<const uint8_t> datagram, size_t fullSize, lorawan::semtech::Datagram& out);
  void handle(const lorawan::semtech::Datagram& dg);
  void queueAck(uint8_t version, uint16_t token, lorawan::semtech::Identifier id);
  void sendAcks();
  void invalid(const std::string& reason, const std::string& detail);
  void dropped(const char* reason, const std::string& detail);
  bool withinRate();  // the current source's token bucket

  boost::asio::ip::udp::socket socket_;
  GatewayRegistry& gateways_;
  Metrics& metrics_;
  Counter datagramsTotal_;  // every datagram: registered once
  RxHandler onRx_;
  AfterDatagram after_;
  TxAckHandler onTxAck_;
  lorawan::semtech::PushDataParser parser_;
  UdpLimits limits_;
  struct Source {
    TokenBucket bucket;
    bool limited = false;  // logged once per episode, not per datagram
  };
  static constexpr size_t kMaxSources = 100000;
  static constexpr int kBatch = 64;  // datagrams per recvmmsg
  static constexpr int kRounds = 1;  // recvmmsg calls per turn of the loop, at most
  std::unordered_map<boost::asio::ip::address_v6::bytes_type, Source, BytesHash> buckets_;
  TokenBucket::Clock::time_point lastSweep_{};
  boost::asio::steady_timer retry_;  // a failing receive is re-armed after a pause, never at once
  unsigned consecutiveErrors_ = 0;
  boost::asio::ip::udp::endpoint from_;  // of the datagram being handled
  size_t slotBytes_;                     // one more than the largest datagram accepted
  std::vector<uint8_t> buffers_;         // kBatch slots
  std::array<sockaddr_storage, kBatch> addrs_{};
  std::array<iovec, kBatch> iovs_{};
  std::array<mmsghdr, kBatch> msgs_{};
  struct Ack {
    sockaddr_storage to;
    socklen_t toLen;
    std::array<uint8_t, 4> bytes;
  };
  std::array<Ack, kBatch> acks_{};
  std::array<iovec, kBatch> ackIovs_{};
  std::array<mmsghdr, kBatch> ackMsgs_{};
  size_t ackCount_ = 0;
  std::array<boost::asio::ip::udp::endpoint, kBatch> froms_{};
  std::array<lorawan::semtech::Datagram, kBatch> datagrams_{};
};

}  // namespace bridge
