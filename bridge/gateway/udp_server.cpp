#include "bridge/gateway/udp_server.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "bridge/core/log.hpp"
#include "bridge/core/thread_name.hpp"

namespace bridge {

namespace asio = boost::asio;
using asio::ip::udp;
using namespace lorawan;

namespace {
// Metric labels from gateway input come from fixed sets, so no datagram adds a series.
const char* txAckLabel(const std::string& error) {
  static const char* const kCodes[] = {
      "NONE",    "TOO_LATE", "TOO_EARLY",   "COLLISION_PACKET", "COLLISION_BEACON",
      "TX_FREQ", "TX_POWER", "GPS_UNLOCKED"};
  if (error.empty()) return "NONE";
  for (const char* c : kCodes)
    if (error == c) return c;
  return "other";
}

std::string invalidLabel(const std::string& field) {
  if (field == "header" || field == "version" || field == "identifier" || field == "json" ||
      field == "tx_ack")
    return field;
  if (field.rfind("rxpk", 0) == 0) return "rxpk";
  if (field.rfind("stat", 0) == 0) return "stat";
  if (field.rfind("txpk_ack", 0) == 0) return "tx_ack";
  return "other";
}

std::string endpointText(const udp::endpoint& e) {
  return e.address().to_string() + ":" + std::to_string(e.port());
}
}  // namespace

UdpServer::UdpServer(asio::io_context& ioc, const udp::endpoint& listen, GatewayRegistry& gateways,
                     Metrics& metrics, RxHandler onRx, AfterDatagram after, TxAckHandler onTxAck,
                     UdpLimits limits)
    : ioc_(ioc),
      socket_(ioc),
      gateways_(gateways),
      metrics_(metrics),
      datagramsTotal_(metrics.handle("udp_datagrams_total")),
      onRx_(std::move(onRx)),
      after_(std::move(after)),
      onTxAck_(std::move(onTxAck)),
      limits_(limits),
      congestedRetry_(ioc) {
  socket_.open(listen.protocol());
  socket_.bind(listen);
  // Bursts from many gateways: a larger kernel buffer absorbs them instead of dropping.
  boost::system::error_code ec;
  socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
  socket_.set_option(asio::socket_base::send_buffer_size(4 << 20), ec);
  // recvmmsg drains what is queued; it must never wait (poll does).
  socket_.non_blocking(true, ec);
  slotBytes_ = std::min<size_t>(limits_.maxDatagramBytes + 1, 65536);
  buffers_.resize(slotBytes_ * kBatch);
  wakeFd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakeFd_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

UdpServer::~UdpServer() {
  stopReceiver();
  if (wakeFd_ >= 0) ::close(wakeFd_);
}

void UdpServer::start() {
  if (receiver_.joinable() || !socket_.is_open()) return;
  work_.emplace(ioc_.get_executor());
  receiver_ = std::thread([this] {
    nameThisThread("lb-udp-rx");
    // The thread's boundary: a bug (or an allocation failing) is counted and the loop goes on,
    // it never ends the process.
    while (!stopping_) {
      try {
        receiveLoop();
      } catch (const std::exception& e) {
        metrics_.inc("internal_errors_total");
        log::error("internal_error", {{"thread", "udp_receiver"}, {"error", e.what()}});
      }
    }
  });
}

void UdpServer::stopReceiver() {
  stopping_ = true;
  if (receiver_.joinable()) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wakeFd_, &one, sizeof one);
    receiver_.join();
  }
  work_.reset();
}

// What was read (and ACKed) before the stop is handled now, not dropped.
void UdpServer::close() {
  stopReceiver();
  congestedRetry_.cancel();
  while (true) {
    {
      std::lock_guard lock(forwardMutex_);
      if (forwarded_.empty()) break;
    }
    handleForwarded();
  }
  boost::system::error_code ec;
  socket_.close(ec);
}

// --- the receiver thread ---

void UdpServer::waitForStop(std::chrono::milliseconds pause) {
  pollfd p{wakeFd_, POLLIN, 0};
  ::poll(&p, 1, int(pause.count()));
}

// Readiness (poll on the socket and the stop), then recvmmsg batches until the socket is empty.
// A receive that fails is counted and retried after a pause that grows while the errors go on
// (1 ms .. 1 s): an error that repeats at once (a broken socket) must never become a busy loop.
void UdpServer::receiveLoop() {
  const int fd = socket_.native_handle();
  while (!stopping_) {
    pollfd p[2] = {{fd, POLLIN, 0}, {wakeFd_, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0 && errno != EINTR) {
      metrics_.inc("udp_receive_errors_total");
      if (consecutiveErrors_++ == 0)
        log::warn("udp_receive_failed", {{"error", std::strerror(errno)}});
      waitForStop(std::chrono::milliseconds(1u << std::min(consecutiveErrors_, 10u)));
      continue;
    }
    if (stopping_) break;
    if (!(p[0].revents & (POLLIN | POLLERR))) continue;
    while (!stopping_ && drain()) {
    }
    if (consecutiveErrors_ > 0)
      waitForStop(std::chrono::milliseconds(1u << std::min(consecutiveErrors_, 10u)));
  }
}

bool UdpServer::drain() {
  for (int i = 0; i < kBatch; ++i) {
    iovs_[i] = {buffers_.data() + size_t(i) * slotBytes_, slotBytes_};
    msgs_[i].msg_hdr = {};
    msgs_[i].msg_hdr.msg_name = &addrs_[i];
    msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    msgs_[i].msg_hdr.msg_iov = &iovs_[i];
    msgs_[i].msg_hdr.msg_iovlen = 1;
  }
  // MSG_TRUNC: a datagram larger than its slot reports its real size (refused as too large).
  const int n =
      ::recvmmsg(socket_.native_handle(), msgs_.data(), kBatch, MSG_DONTWAIT | MSG_TRUNC, nullptr);
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      metrics_.inc("udp_receive_errors_total");
      if (consecutiveErrors_++ == 0)
        log::warn("udp_receive_failed", {{"error", std::strerror(errno)}});
    }
    return false;
  }
  consecutiveErrors_ = 0;
  size_t room;
  {
    std::lock_guard lock(forwardMutex_);
    room = kMaxForwarded - std::min(forwardedCount_, kMaxForwarded);
  }
  size_t overload = 0;
  Forwarded batch;
  for (int i = 0; i < n; ++i) {
    Endpoint from;
    std::memcpy(from.data(), &addrs_[i], msgs_[i].msg_hdr.msg_namelen);
    from.resize(msgs_[i].msg_hdr.msg_namelen);
    const size_t size = msgs_[i].msg_len;
    const std::span<const uint8_t> bytes(buffers_.data() + size_t(i) * slotBytes_,
                                         std::min(size, slotBytes_));
    if (batch.items.size() >= room) {
      datagramsTotal_.inc();
      ++overload;
      continue;
    }
    if (!admit(bytes, size, from)) continue;
    if (batch.items.empty()) batch.bytes.reserve(size_t(n) * bytes.size());
    batch.items.push_back({from, batch.bytes.size(), bytes.size()});
    batch.bytes.insert(batch.bytes.end(), bytes.begin(), bytes.end());
  }
  sendAcks();
  if (overload > 0) {
    metrics_.inc(labeled("udp_datagrams_dropped_total", "reason", "overload"), overload);
    if (!overloaded_)
      log::warn("udp_overload", {{"waiting", std::to_string(kMaxForwarded)},
                                 {"detail", "the network thread is behind: datagrams dropped"}});
  }
  overloaded_ = overload > 0;
  if (!batch.items.empty()) {
    std::lock_guard lock(forwardMutex_);
    forwardedCount_ += batch.items.size();
    forwarded_.push_back(std::move(batch));
    postHandle();
  }
  return n == kBatch;
}

void UdpServer::queueAck(const Endpoint& to, uint8_t version, uint16_t token,
                         semtech::Identifier id) {
  Ack& a = acks_[ackCount_++];
  std::memcpy(&a.to, to.data(), to.size());
  a.toLen = socklen_t(to.size());
  a.bytes = {version, uint8_t(token >> 8), uint8_t(token), uint8_t(id)};
}

void UdpServer::sendAcks() {
  for (size_t i = 0; i < ackCount_; ++i) {
    ackIovs_[i] = {acks_[i].bytes.data(), acks_[i].bytes.size()};
    ackMsgs_[i].msg_hdr = {};
    ackMsgs_[i].msg_hdr.msg_name = &acks_[i].to;
    ackMsgs_[i].msg_hdr.msg_namelen = acks_[i].toLen;
    ackMsgs_[i].msg_hdr.msg_iov = &ackIovs_[i];
    ackMsgs_[i].msg_hdr.msg_iovlen = 1;
  }
  size_t sent = 0;
  while (sent < ackCount_) {
    const int k =
        ::sendmmsg(socket_.native_handle(), ackMsgs_.data() + sent, unsigned(ackCount_ - sent), 0);
    if (k > 0) {
      sent += size_t(k);
      continue;
    }
    if (k < 0 && errno == EINTR) continue;
    // The first one failed (k < 0): counted, and the rest tried after it.
    metrics_.inc("udp_send_errors_total");
    log::warn("udp_send_failed", {{"error", std::strerror(errno)}, {"what", "ack"}});
    ++sent;
  }
  ackCount_ = 0;
}

bool UdpServer::withinRate(const Endpoint& from) {
  const auto now = TokenBucket::Clock::now();
  auto v6 = from.address().is_v4()
                ? asio::ip::make_address_v6(asio::ip::v4_mapped, from.address().to_v4())
                : from.address().to_v6();
  // Bounded: sources quiet for 10 s are full again and forgotten, at most one sweep a second
  // (a flood from many spoofed sources must not make every datagram sweep); past the bound
  // with everyone active, the table starts afresh.
  if (buckets_.size() > kMaxSources && now - lastSweep_ >= std::chrono::seconds(1)) {
    lastSweep_ = now;
    std::erase_if(buckets_, [&](const auto& kv) {
      return now - kv.second.bucket.lastUse() > std::chrono::seconds(10);
    });
    if (buckets_.size() > kMaxSources) buckets_.clear();
  }
  auto& b = buckets_
                .try_emplace(v6.to_bytes(), Source{{limits_.ratePerSource,
                                                    std::max(1.0, 2 * limits_.ratePerSource), now}})
                .first->second;
  if (b.bucket.take(now)) {
    b.limited = false;
    return true;
  }
  if (!b.limited)
    log::warn("udp_source_rate_limited",
              {{"from", from.address().to_string()},
               {"limit_per_s", std::to_string(uint64_t(limits_.ratePerSource))}});
  b.limited = true;
  return false;
}

bool UdpServer::admit(std::span<const uint8_t> bytes, size_t fullSize, const Endpoint& from) {
  datagramsTotal_.inc();
  if (fullSize > limits_.maxDatagramBytes) {
    dropped(from, "too_large",
            std::to_string(fullSize) + " bytes, limit " + std::to_string(limits_.maxDatagramBytes));
    return false;
  }
  if (!withinRate(from)) {
    dropped(from, "rate", "");
    return false;
  }
  auto dg = semtech::parseDatagram(bytes);
  if (!dg) {
    invalid(from, dg.error().field, dg.error().toString());
    return false;
  }
  switch (dg->identifier) {
    case semtech::Identifier::PushData:
      if (!gatewayAdmitted(*dg->gatewayEui, from)) return false;
      // ACKed before its JSON is even looked at, by this thread: the forwarder's 100 ms wait
      // never includes the network thread's work.
      queueAck(from, dg->version, dg->token, semtech::Identifier::PushAck);
      gateways_.onPush(*dg->gatewayEui, from, dg->version);
      return true;
    case semtech::Identifier::PullData:
    case semtech::Identifier::TxAck:
      return true;  // admitted and answered on the network thread, in order
    default:
      // PUSH_ACK, PULL_ACK and PULL_RESP only ever travel from us to gateways.
      invalid(from, "identifier",
              std::string("unexpected ") + semtech::toString(dg->identifier) + " from a gateway");
      return false;
  }
}

// --- the network thread ---

void UdpServer::postHandle() {
  if (handlePosted_) return;
  handlePosted_ = true;
  asio::post(ioc_, [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.lock()) handleForwarded();
  });
}

// A slice of what the receiver handed over, oldest first; the rest on a later turn.
void UdpServer::handleForwarded() {
  if (congested_ && !stopping_ && congested_()) {
    congestedRetry_.expires_after(std::chrono::milliseconds(1));
    congestedRetry_.async_wait([this, alive = std::weak_ptr<int>(alive_)](auto ec) {
      if (!ec && alive.lock()) handleForwarded();
    });
    return;  // handlePosted_ stays set: the retry is the one pending turn
  }
  std::vector<Forwarded> work;
  {
    std::lock_guard lock(forwardMutex_);
    handlePosted_ = false;
    size_t taken = 0;
    while (!forwarded_.empty() && taken < kHandlePerTurn) {
      taken += forwarded_.front().items.size();
      work.push_back(std::move(forwarded_.front()));
      forwarded_.pop_front();
    }
    forwardedCount_ -= std::min(forwardedCount_, taken);
    if (!forwarded_.empty()) postHandle();
  }
  for (const auto& batch : work)
    for (const auto& item : batch.items) {
      auto dg = semtech::parseDatagram({batch.bytes.data() + item.offset, item.size});
      if (!dg) continue;  // checked by the receiver already
      if (dg->identifier == semtech::Identifier::PullData)
        answerPull(*dg, item.from);
      else
        handle(*dg, item.from);
    }
}

// The gateway policy (listed, the cap on known gateways); a refusal is counted.
bool UdpServer::gatewayAdmitted(Eui64 eui, const Endpoint& from) {
  switch (gateways_.admit(eui)) {
    case GatewayRegistry::Refusal::None:
      return true;
    case GatewayRegistry::Refusal::Unlisted:
      dropped(from, "unknown_gateway", "gateway " + eui.toString() + " is not listed");
      return false;
    case GatewayRegistry::Refusal::Full:
      dropped(from, "too_many_gateways", "gateway " + eui.toString());
      return false;
  }
  return false;
}

void UdpServer::answerPull(const semtech::Datagram& dg, const Endpoint& from) {
  if (!gatewayAdmitted(*dg.gatewayEui, from)) return;
  // The path is recorded before the PULL_ACK leaves: a gateway that has its ACK can be reached.
  if (!gateways_.onPull(*dg.gatewayEui, from, dg.version)) {
    // Someone else claims this EUI while the gateway keeps its path alive: not moved.
    metrics_.inc("gateway_path_conflicts_total");
    log::warn("gateway_path_conflict",
              {{"gateway", dg.gatewayEui->toString()}, {"from", endpointText(from)}});
  }
  metrics_.inc("udp_pull_data_total");
  const std::array<uint8_t, 4> ack = {dg.version, uint8_t(dg.token >> 8), uint8_t(dg.token),
                                      uint8_t(semtech::Identifier::PullAck)};
  sendTo(from, ack);
}

void UdpServer::sendTo(const udp::endpoint& to, std::span<const uint8_t> bytes) {
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(bytes.data(), bytes.size()), to, 0, ec);
  if (ec) {
    metrics_.inc("udp_send_errors_total");
    log::warn("udp_send_failed",
              {{"to", to.address().to_string() + ":" + std::to_string(to.port())},
               {"error", ec.message()}});
  }
}

void UdpServer::invalid(const Endpoint& from, const std::string& reason,
                        const std::string& detail) {
  metrics_.inc(labeled("udp_datagrams_invalid_total", "reason", invalidLabel(reason)));
  log::warn("udp_datagram_invalid",
            {{"from", endpointText(from)}, {"reason", reason}, {"detail", detail}});
}

void UdpServer::dropped(const Endpoint& from, const char* reason, const std::string& detail) {
  metrics_.inc(labeled("udp_datagrams_dropped_total", "reason", reason));
  log::debug("udp_datagram_dropped",
             {{"from", endpointText(from)}, {"reason", reason}, {"detail", detail}});
}

void UdpServer::handle(const semtech::Datagram& dg, const Endpoint& from) {
  if (dg.identifier == semtech::Identifier::TxAck) {
    if (!gatewayAdmitted(*dg.gatewayEui, from)) return;
    auto ack = semtech::parseTxAck(dg.json);
    if (!ack) {
      invalid(from, "tx_ack", ack.error().toString());
      return;
    }
    metrics_.inc(labeled("tx_acks_total", "error", txAckLabel(ack->error)));
    if (onTxAck_) onTxAck_(*dg.gatewayEui, dg.token, ack->error);
    return;
  }
  auto pd = parser_.parse(dg.json);
  if (!pd) {
    invalid(from, pd.error().field == "PUSH_DATA" ? "json" : pd.error().field,
            "gateway " + dg.gatewayEui->toString() + ": " + pd.error().toString());
    return;
  }
  if (pd->hasStat) gateways_.onStat(*dg.gatewayEui, std::move(pd->statJson));
  for (auto& rx : pd->rxpk) {
    if (!rx) {
      invalid(from, "rxpk", "gateway " + dg.gatewayEui->toString() + ": " + rx.error().toString());
      continue;
    }
    onRx_(*dg.gatewayEui, std::move(*rx));
  }
  if (after_) after_();
}

}  // namespace bridge
