#pragma once
// A fake packet forwarder: a real UDP socket on 127.0.0.1 that sends datagrams to the bridge and
// reads its answers (with a receive timeout, so a dead bridge fails the test instead of hanging).
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <optional>
#include <string>
#include <vector>

#include "lorawan/semtech_udp.hpp"

namespace testsupport {

class FakeForwarder {
 public:
  // `bindAddress`: any of 127.0.0.0/8, to be another source IP than the real gateway.
  FakeForwarder(uint16_t bridgePort, lorawan::Eui64 eui,
                const std::string& bindAddress = "127.0.0.1")
      : socket_(ioc_), eui_(eui) {
    namespace asio = boost::asio;
    target_ = asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), bridgePort);
    socket_.open(asio::ip::udp::v4());
    socket_.bind(asio::ip::udp::endpoint(asio::ip::make_address(bindAddress), 0));
    timeval tv{2, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  void sendRaw(const lorawan::Bytes& b) { socket_.send_to(boost::asio::buffer(b), target_); }
  uint16_t localPort() const { return socket_.local_endpoint().port(); }

  // Next datagram from the bridge, or nullopt after the timeout.
  std::optional<lorawan::Bytes> receive() {
    lorawan::Bytes buf(65536);
    // recv(2) itself, so SO_RCVTIMEO applies (asio's receive would poll without a timeout).
    const ssize_t n = ::recv(socket_.native_handle(), buf.data(), buf.size(), 0);
    if (n < 0) return std::nullopt;
    buf.resize(size_t(n));
    return buf;
  }

  // PUSH_DATA with this body; true when the matching PUSH_ACK came back.
  bool push(const std::string& body, uint16_t token) {
    sendRaw(lorawan::semtech::makePushData(2, token, eui_, body));
    return awaitAck(token, lorawan::semtech::Identifier::PushAck);
  }
  // PULL_DATA; true when the matching PULL_ACK came back: the bridge is alive and answering.
  bool pull(uint16_t token) {
    sendRaw(lorawan::semtech::makePullData(2, token, eui_));
    return awaitAck(token, lorawan::semtech::Identifier::PullAck);
  }

  bool awaitAck(uint16_t token, lorawan::semtech::Identifier id) {
    for (int i = 0; i < 8; ++i) {
      auto d = receive();
      if (!d) return false;
      if (d->size() == 4 && (*d)[3] == uint8_t(id) && uint16_t((*d)[1] << 8 | (*d)[2]) == token)
        return true;
      if (d->size() > 4 && (*d)[3] == uint8_t(lorawan::semtech::Identifier::PullResp))
        pullResps_.push_back(*d);
    }
    return false;
  }

  // The next PULL_RESP (downlink) the bridge sent us, or nullopt after the receive timeout.
  std::optional<lorawan::Bytes> pullResp() {
    while (pullResps_.empty()) {
      auto d = receive();
      if (!d) return std::nullopt;
      if (d->size() > 4 && (*d)[3] == uint8_t(lorawan::semtech::Identifier::PullResp))
        pullResps_.push_back(*d);
    }
    auto d = pullResps_.front();
    pullResps_.erase(pullResps_.begin());
    return d;
  }

  // A PULL_RESP that has already arrived, without waiting.
  std::optional<lorawan::Bytes> pullRespNow() {
    socket_.non_blocking(true);
    for (;;) {
      lorawan::Bytes buf(65536);
      boost::asio::ip::udp::endpoint from;
      boost::system::error_code ec;
      size_t n = socket_.receive_from(boost::asio::buffer(buf), from, 0, ec);
      if (ec) break;
      buf.resize(n);
      if (n > 4 && buf[3] == uint8_t(lorawan::semtech::Identifier::PullResp))
        pullResps_.push_back(buf);
    }
    socket_.non_blocking(false);
    if (pullResps_.empty()) return std::nullopt;
    auto d = pullResps_.front();
    pullResps_.erase(pullResps_.begin());
    return d;
  }

  void txAck(uint16_t token, const std::string& error) {
    lorawan::Bytes b{2, uint8_t(token >> 8), uint8_t(token), 0x05};
    for (int i = 7; i >= 0; --i) b.push_back(uint8_t(eui_.value() >> (8 * i)));
    std::string j = "{\"txpk_ack\":{\"error\":\"" + error + "\"}}";
    b.insert(b.end(), j.begin(), j.end());
    sendRaw(b);
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::ip::udp::endpoint target_;
  lorawan::Eui64 eui_;
  std::vector<lorawan::Bytes> pullResps_;
};

}  // namespace testsupport
