#pragma once
// The packet-forwarder side: one UDP socket speaking the Semtech protocol. A receiver thread of
// its own reads the socket (recvmmsg), checks each datagram's header and limits and ACKs every
// PUSH_DATA at once (one sendmmsg per batch), whatever the network thread is busy with; the
// datagrams are then handed to the network thread in order, which parses the payloads and
// answers PULL_DATA after remembering its path (so a PULL_ACK also says every datagram before
// it was handled).
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

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
  ~UdpServer();
  boost::asio::ip::udp::endpoint localEndpoint() const { return socket_.local_endpoint(); }
  void start();  // the receiver thread
  // While it answers true (the store writer far behind), the network thread takes nothing more
  // from the receiver: the bounded backlog fills and sheds load, instead of memory growing
  // without bound behind the slowest thread. Looked at once per turn.
  void setCongested(std::function<bool()> congested) { congested_ = std::move(congested); }
  bool isOpen() const { return socket_.is_open(); }
  void close();  // on the network thread: stops the receiver, then closes the socket
  // For PULL_RESP; errors are counted, never thrown.
  void sendTo(const boost::asio::ip::udp::endpoint& to, std::span<const uint8_t> bytes);

 private:
  using Endpoint = boost::asio::ip::udp::endpoint;
  // --- the receiver thread ---
  void receiveLoop();
  // One recvmmsg batch: every datagram's header and limits are checked, the PUSH_ACKs leave in
  // one sendmmsg, and what is to be handled goes to the network thread. True when the batch
  // was full (more may be waiting).
  bool drain();
  // The header, the limits and a PUSH_DATA's ACK; true when the network thread is to see it.
  bool admit(std::span<const uint8_t> datagram, size_t fullSize, const Endpoint& from);
  void queueAck(const Endpoint& to, uint8_t version, uint16_t token,
                lorawan::semtech::Identifier id);
  void sendAcks();
  bool withinRate(const Endpoint& from);              // the source's token bucket
  void waitForStop(std::chrono::milliseconds pause);  // a pause the stop can cut short
  void stopReceiver();

  // --- the network thread ---
  void handleForwarded();
  void handle(const lorawan::semtech::Datagram& dg, const Endpoint& from);
  void answerPull(const lorawan::semtech::Datagram& dg, const Endpoint& from);

  // Either thread (metrics, the log and the registry are thread-safe).
  bool gatewayAdmitted(lorawan::Eui64 eui, const Endpoint& from);
  void invalid(const Endpoint& from, const std::string& reason, const std::string& detail);
  void dropped(const Endpoint& from, const char* reason, const std::string& detail);

  boost::asio::io_context& ioc_;
  boost::asio::ip::udp::socket socket_;
  GatewayRegistry& gateways_;  // locks inside: used by both threads
  Metrics& metrics_;
  Counter datagramsTotal_;  // every datagram: registered once
  RxHandler onRx_;
  AfterDatagram after_;
  TxAckHandler onTxAck_;
  UdpLimits limits_;

  // Receiver thread.
  struct Source {
    TokenBucket bucket;
    bool limited = false;  // logged once per episode, not per datagram
  };
  static constexpr size_t kMaxSources = 100000;
  static constexpr int kBatch = 64;  // datagrams per recvmmsg
  std::unordered_map<boost::asio::ip::address_v6::bytes_type, Source, BytesHash> buckets_;
  TokenBucket::Clock::time_point lastSweep_{};
  unsigned consecutiveErrors_ = 0;
  size_t slotBytes_;              // one more than the largest datagram accepted
  std::vector<uint8_t> buffers_;  // kBatch slots
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
  std::thread receiver_;
  // While the receiver runs, the network thread's loop has work (it would return from run()
  // with nothing else pending).
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  int wakeFd_ = -1;  // eventfd: the stop
  std::atomic<bool> stopping_{false};

  // Handed from the receiver to the network thread, in arrival order.
  struct Forwarded {
    std::vector<uint8_t> bytes;  // the batch's datagrams, one after the other
    struct Item {
      Endpoint from;
      size_t offset, size;
    };
    std::vector<Item> items;
  };
  // At most this many datagrams wait for the network thread (~0.15 s of its work at
  // saturation); past it a datagram is dropped unanswered and counted (`overload`), so the
  // gateway's ACK ratio shows the loss; the receiver never waits for the network thread.
  static constexpr size_t kMaxForwarded = 8192;
  // Datagrams the network thread handles per turn: a backlog is taken in slices, between
  // its timers and the store's callbacks.
  static constexpr size_t kHandlePerTurn = 128;
  std::mutex forwardMutex_;
  std::deque<Forwarded> forwarded_;
  size_t forwardedCount_ = 0;  // datagrams in forwarded_
  bool handlePosted_ = false;
  bool overloaded_ = false;  // logged once per episode (receiver thread)
  void postHandle();         // with forwardMutex_ held
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted handlers outlive us unrun

  // Network thread.
  lorawan::semtech::PushDataParser parser_;
  std::function<bool()> congested_;
  boost::asio::steady_timer congestedRetry_;  // a congested turn looks again after 1 ms
};

}  // namespace bridge
