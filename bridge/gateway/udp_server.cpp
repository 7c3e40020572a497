#include "bridge/gateway/udp_server.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "bridge/core/log.hpp"

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
    : socket_(ioc),
      gateways_(gateways),
      metrics_(metrics),
      datagramsTotal_(metrics.handle("udp_datagrams_total")),
      onRx_(std::move(onRx)),
      after_(std::move(after)),
      onTxAck_(std::move(onTxAck)),
      limits_(limits),
      retry_(ioc) {
  socket_.open(listen.protocol());
  socket_.bind(listen);
  // Bursts from many gateways: a larger kernel buffer absorbs them instead of dropping.
  boost::system::error_code ec;
  socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ec);
  socket_.set_option(asio::socket_base::send_buffer_size(4 << 20), ec);
  // recvmmsg drains what is queued; it must never wait.
  socket_.non_blocking(true, ec);
  slotBytes_ = std::min<size_t>(limits_.maxDatagramBytes + 1, 65536);
  buffers_.resize(slotBytes_ * kBatch);
}

void UdpServer::close() {
  boost::system::error_code ec;
  socket_.close(ec);
  retry_.cancel();
}

// Readiness, then recvmmsg batches (kRounds at most per turn, so timers and the store's
// callbacks get their turn). A receive that fails is counted and re-armed after a pause that
// grows while the errors go on (1 ms .. 1 s): an error that repeats at once (a broken socket)
// must never become a busy loop. Closing the socket ends the loop.
void UdpServer::receive() {
  if (!socket_.is_open()) return;
  socket_.async_wait(udp::socket::wait_read, [this](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
    if (ec) return receiveFailed(ec.message());
    for (int round = 0; round < kRounds && socket_.is_open(); ++round)
      if (!drain()) break;
    if (consecutiveErrors_ > 0) return retryLater();  // recvmmsg failed: not at once again
    receive();
  });
}

void UdpServer::receiveFailed(const std::string& error) {
  metrics_.inc("udp_receive_errors_total");
  if (consecutiveErrors_++ == 0) log::warn("udp_receive_failed", {{"error", error}});
  retryLater();
}

void UdpServer::retryLater() {
  retry_.expires_after(std::chrono::milliseconds(1u << std::min(consecutiveErrors_, 10u)));
  retry_.async_wait([this](boost::system::error_code e) {
    if (!e) receive();
  });
}

// True when the batch was full (more may be waiting).
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
  std::array<bool, kBatch> handleLater{};
  for (int i = 0; i < n; ++i) {
    auto& from = froms_[i];
    std::memcpy(from.data(), &addrs_[i], msgs_[i].msg_hdr.msg_namelen);
    from.resize(msgs_[i].msg_hdr.msg_namelen);
    from_ = from;
    const size_t size = msgs_[i].msg_len;
    handleLater[i] = admit({buffers_.data() + size_t(i) * slotBytes_, std::min(size, slotBytes_)},
                           size, datagrams_[i]);
  }
  sendAcks();
  for (int i = 0; i < n; ++i) {
    if (!handleLater[i]) continue;
    from_ = froms_[i];
    handle(datagrams_[i]);
  }
  return n == kBatch;
}

void UdpServer::queueAck(uint8_t version, uint16_t token, semtech::Identifier id) {
  Ack& a = acks_[ackCount_++];
  std::memcpy(&a.to, from_.data(), from_.size());
  a.toLen = socklen_t(from_.size());
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

void UdpServer::invalid(const std::string& reason, const std::string& detail) {
  metrics_.inc(labeled("udp_datagrams_invalid_total", "reason", invalidLabel(reason)));
  log::warn("udp_datagram_invalid",
            {{"from", endpointText(from_)}, {"reason", reason}, {"detail", detail}});
}

void UdpServer::dropped(const char* reason, const std::string& detail) {
  metrics_.inc(labeled("udp_datagrams_dropped_total", "reason", reason));
  log::debug("udp_datagram_dropped",
             {{"from", endpointText(from_)}, {"reason", reason}, {"detail", detail}});
}

bool UdpServer::withinRate() {
  const auto now = TokenBucket::Clock::now();
  auto v6 = from_.address().is_v4()
                ? asio::ip::make_address_v6(asio::ip::v4_mapped, from_.address().to_v4())
                : from_.address().to_v6();
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
              {{"from", from_.address().to_string()},
               {"limit_per_s", std::to_string(uint64_t(limits_.ratePerSource))}});
  b.limited = true;
  return false;
}

bool UdpServer::admit(std::span<const uint8_t> bytes, size_t fullSize, semtech::Datagram& dg) {
  datagramsTotal_.inc();
  if (fullSize > limits_.maxDatagramBytes) {
    dropped("too_large",
            std::to_string(fullSize) + " bytes, limit " + std::to_string(limits_.maxDatagramBytes));
    return false;
  }
  if (!withinRate()) {
    dropped("rate", "");
    return false;
  }
  auto parsed = semtech::parseDatagram(bytes);
  if (!parsed) {
    invalid(parsed.error().field, parsed.error().toString());
    return false;
  }
  dg = *parsed;
  if (dg.gatewayEui) {
    switch (gateways_.admit(*dg.gatewayEui)) {
      case GatewayRegistry::Refusal::None:
        break;
      case GatewayRegistry::Refusal::Unlisted:
        dropped("unknown_gateway", "gateway " + dg.gatewayEui->toString() + " is not listed");
        return false;
      case GatewayRegistry::Refusal::Full:
        dropped("too_many_gateways", "gateway " + dg.gatewayEui->toString());
        return false;
    }
  }
  switch (dg.identifier) {
    case semtech::Identifier::PushData:
      // ACKed before its JSON is even looked at: the forwarder's 100 ms wait never includes ours.
      queueAck(dg.version, dg.token, semtech::Identifier::PushAck);
      gateways_.onPush(*dg.gatewayEui, from_, dg.version);
      return true;
    case semtech::Identifier::PullData:
      // The path is recorded before the PULL_ACK leaves: a gateway that has its ACK can be reached.
      if (!gateways_.onPull(*dg.gatewayEui, from_, dg.version)) {
        // Someone else claims this EUI while the gateway keeps its path alive: not moved.
        metrics_.inc("gateway_path_conflicts_total");
        log::warn("gateway_path_conflict",
                  {{"gateway", dg.gatewayEui->toString()}, {"from", endpointText(from_)}});
      }
      metrics_.inc("udp_pull_data_total");
      queueAck(dg.version, dg.token, semtech::Identifier::PullAck);
      return false;
    case semtech::Identifier::TxAck:
      return true;
    default:
      // PUSH_ACK, PULL_ACK and PULL_RESP only ever travel from us to gateways.
      invalid("identifier",
              std::string("unexpected ") + semtech::toString(dg.identifier) + " from a gateway");
      return false;
  }
}

void UdpServer::handle(const semtech::Datagram& dg) {
  if (dg.identifier == semtech::Identifier::TxAck) {
    auto ack = semtech::parseTxAck(dg.json);
    if (!ack) {
      invalid("tx_ack", ack.error().toString());
      return;
    }
    metrics_.inc(labeled("tx_acks_total", "error", txAckLabel(ack->error)));
    if (onTxAck_) onTxAck_(*dg.gatewayEui, dg.token, ack->error);
    return;
  }
  auto pd = parser_.parse(dg.json);
  if (!pd) {
    invalid(pd.error().field == "PUSH_DATA" ? "json" : pd.error().field,
            "gateway " + dg.gatewayEui->toString() + ": " + pd.error().toString());
    return;
  }
  if (pd->hasStat) gateways_.onStat(*dg.gatewayEui, std::move(pd->statJson));
  for (auto& rx : pd->rxpk) {
    if (!rx) {
      invalid("rxpk", "gateway " + dg.gatewayEui->toString() + ": " + rx.error().toString());
      continue;
    }
    onRx_(*dg.gatewayEui, std::move(*rx));
  }
  if (after_) after_();
}

}  // namespace bridge
