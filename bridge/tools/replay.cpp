#include "bridge/tools/replay.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "config/config.hpp"
#include "lorawan/base64.hpp"
#include "lorawan/semtech_udp.hpp"

namespace bridge {

namespace asio = boost::asio;
using asio::ip::udp;
using nlohmann::json;

ReplayResult replayCapture(const std::string& hostPort, const std::string& file, std::ostream& out,
                           bool realTime) {
  ReplayResult r;
  auto hp = config::parseHostPort(hostPort);
  std::ifstream in(file);
  if (!hp || !in) {
    out << "replay: " << (hp ? "cannot open " + file : hp.error()) << "\n";
    return r;
  }
  asio::io_context ioc;
  udp::resolver resolver(ioc);
  boost::system::error_code ec;
  auto eps = resolver.resolve(hp->host, std::to_string(hp->port), ec);
  if (ec || eps.empty()) {
    out << "replay: cannot resolve " << hostPort << ": " << ec.message() << "\n";
    return r;
  }
  udp::endpoint target = *eps.begin();
  udp::socket sock(ioc);
  sock.open(target.protocol());
  timeval tv{0, 500000};  // a bridge answers PUSH_DATA within microseconds; 0.5 s is generous
  ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  std::set<uint64_t> pulled;
  uint16_t token = 1;
  std::string line;
  size_t lineNo = 0;
  auto awaitAck = [&](uint16_t tok, uint8_t ident) {
    std::array<uint8_t, 64> buf;
    for (int i = 0; i < 4; ++i) {
      udp::endpoint from;
      size_t n = sock.receive_from(asio::buffer(buf), from, 0, ec);
      if (ec) return false;
      if (n >= 4 && buf[3] == ident && uint16_t(buf[1] << 8 | buf[2]) == tok) return true;
    }
    return false;
  };
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty() || line[0] == '#') continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      out << "replay: " << file << ":" << lineNo << ": not a JSON object, skipped\n";
      ++r.skipped;
      continue;
    }
    if (auto d = j.find("delay_ms"); realTime && d != j.end() && d->is_number_unsigned())
      std::this_thread::sleep_for(std::chrono::milliseconds(d->get<uint64_t>()));  // capture timing
    lorawan::Bytes datagram;
    const uint8_t version = j.value("version", 2);
    if (auto raw = j.find("raw_base64"); raw != j.end() && raw->is_string()) {
      auto b = lorawan::base64Decode(raw->get<std::string>());
      if (!b) {
        out << "replay: " << file << ":" << lineNo << ": raw_base64: " << b.error() << "\n";
        ++r.skipped;
        continue;
      }
      datagram = *b;
    } else {
      auto gw = lorawan::Eui64::parse(j.value("gateway", ""));
      if (!gw) {
        out << "replay: " << file << ":" << lineNo << ": gateway: " << gw.error() << "\n";
        ++r.skipped;
        continue;
      }
      if (pulled.insert(gw->value()).second) {
        // Like a real forwarder: announce the downlink path before the first uplink.
        auto pull = lorawan::semtech::makePullData(version, token, *gw);
        sock.send_to(asio::buffer(pull), target, 0, ec);
        awaitAck(token++, uint8_t(lorawan::semtech::Identifier::PullAck));
      }
      json body = json::object();
      if (auto rx = j.find("rxpk"); rx != j.end())
        body["rxpk"] = rx->is_array() ? *rx : json::array({*rx});
      if (auto st = j.find("stat"); st != j.end()) body["stat"] = *st;
      datagram = lorawan::semtech::makePushData(version, token, *gw, body.dump());
    }
    sock.send_to(asio::buffer(datagram), target, 0, ec);
    if (ec) {
      out << "replay: " << file << ":" << lineNo << ": send failed: " << ec.message() << "\n";
      continue;
    }
    ++r.sent;
    if (datagram.size() >= 4 && datagram[3] == 0 &&
        awaitAck(uint16_t(datagram[1] << 8 | datagram[2]), 1))
      ++r.acked;
    ++token;
    if (r.sent % 1000 == 0) out << "replay: " << r.sent << " sent, " << r.acked << " acked\n";
  }
  out << "replay: " << r.sent << " sent, " << r.acked << " acked, " << r.skipped << " skipped\n";
  return r;
}

}  // namespace bridge
