#include "bridge/tools/simulate.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <deque>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "lorawan/base64.hpp"
#include "lorawan/join_accept.hpp"
#include "lorawan/security.hpp"
#include "lorawan/semtech_udp.hpp"

namespace bridge {

namespace semtech = lorawan::semtech;
using lorawan::Bytes;
using Clock = std::chrono::steady_clock;

namespace {

uint64_t splitmix(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

lorawan::Aes128Key keyFrom(uint64_t& state) {
  std::array<uint8_t, 16> k{};
  for (int half = 0; half < 2; ++half) {
    const uint64_t v = splitmix(state);
    for (int i = 0; i < 8; ++i) k[size_t(half * 8 + i)] = uint8_t(v >> (8 * i));
  }
  return lorawan::Aes128Key(k);
}

int64_t nowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

// One simulated packet forwarder: its socket, its tokens and what is still unanswered.
struct Gateway {
  lorawan::Eui64 eui;
  int fd = -1;
  uint16_t nextToken = 1;
  std::array<int64_t, 65536> sentAtUs{};           // per PUSH_DATA token, 0: none outstanding
  std::deque<std::pair<uint16_t, int64_t>> order;  // tokens in send order, for timeouts
  size_t inFlight = 0;
  bool pullAcked = false;
  // Datagrams waiting for the next sendmmsg.
  std::vector<Bytes> out;
};

struct PendingJoin {
  size_t device;
  uint16_t devNonce;
  int64_t sentAtUs;
  int attempts;
};

class Simulation {
 public:
  Simulation(SimulateOptions opts, std::ostream& progress)
      : o_(std::move(opts)), progress_(progress) {}

  SimulateReport run();

 private:
  bool open();
  void sendAll(Gateway& g);
  void queue(Gateway& g, Bytes datagram, bool pushData);
  void flushAll();
  void receive(Gateway& g);
  void onPullResp(Gateway& g, std::span<const uint8_t> dg);
  void expire(Gateway& g, int64_t now);
  void startJoins(int64_t now);
  bool sendUplinks(int64_t now, double elapsedS);
  void printProgress(double elapsedS);
  bool canSend() const;

  SimulateOptions o_;
  std::ostream& progress_;
  sockaddr_in target_{};
  std::vector<Gateway> gws_;
  SimulateReport r_;
  std::vector<uint32_t> latencies_;
  size_t reported_ = 0;  // latencies_ already in a progress line
  std::vector<PendingJoin> joins_;
  std::mt19937 rng_{std::random_device{}()};
  size_t nextDevice_ = 0;
  size_t nextGateway_ = 0;
  uint64_t lastPullUs_ = 0;
  std::vector<size_t> ready_;          // devices that may send data (ABP, or joined)
  std::vector<uint64_t> lastSeq_;      // per device: the datagram of its last frame
  uint64_t seq_ = 0, flushedSeq_ = 0;  // datagrams built; all up to flushedSeq_ have left
};

bool Simulation::open() {
  auto hp = config::parseHostPort(o_.target);
  if (!hp) {
    r_.problems.push_back("--target " + hp.error());
    return false;
  }
  target_.sin_family = AF_INET;
  target_.sin_port = htons(hp->port);
  const std::string host = hp->host == "localhost" ? "127.0.0.1" : hp->host;
  if (inet_pton(AF_INET, host.c_str(), &target_.sin_addr) != 1) {
    r_.problems.push_back("--target " + o_.target + ": not an IPv4 address");
    return false;
  }
  gws_.resize(std::max(1u, o_.gateways));
  for (size_t i = 0; i < gws_.size(); ++i) {
    Gateway& g = gws_[i];
    g.eui = lorawan::Eui64(0xAA555A0000000000ull + i + 1);
    g.fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int buf = 4 << 20;
    ::setsockopt(g.fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    ::setsockopt(g.fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = o_.spreadSources ? htonl(0x7F000002u + uint32_t(i)) : INADDR_ANY;
    if (::bind(g.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      r_.problems.push_back("gateway " + std::to_string(i) + ": cannot bind");
      return false;
    }
  }
  return true;
}

void Simulation::queue(Gateway& g, Bytes datagram, bool pushData) {
  if (pushData) {
    const int64_t t = nowUs();
    const uint16_t token = uint16_t(datagram[1] << 8 | datagram[2]);
    g.sentAtUs[token] = t;
    g.order.emplace_back(token, t);
    ++g.inFlight;
    ++r_.datagrams;
  }
  g.out.push_back(std::move(datagram));
  if (g.out.size() >= 64) flushAll();
}

// Every gateway's queue, in turn: until then no copy of a queued frame has left.
void Simulation::flushAll() {
  for (Gateway& g : gws_) sendAll(g);
  flushedSeq_ = seq_;
}

// One sendmmsg for what is queued (more when the kernel takes fewer).
void Simulation::sendAll(Gateway& g) {
  size_t done = 0;
  while (done < g.out.size()) {
    const size_t n = std::min<size_t>(g.out.size() - done, 64);
    std::vector<mmsghdr> msgs(n);
    std::vector<iovec> iov(n);
    for (size_t i = 0; i < n; ++i) {
      iov[i] = {g.out[done + i].data(), g.out[done + i].size()};
      msgs[i].msg_hdr.msg_name = &target_;
      msgs[i].msg_hdr.msg_namelen = sizeof target_;
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int sent = ::sendmmsg(g.fd, msgs.data(), unsigned(n), 0);
    if (sent <= 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        pollfd p{g.fd, POLLOUT, 0};
        ::poll(&p, 1, 10);
        continue;
      }
      r_.sendErrors += n;
      break;
    }
    done += size_t(sent);
  }
  g.out.clear();
}

void Simulation::receive(Gateway& g) {
  constexpr size_t kBatch = 64;
  static thread_local std::vector<std::array<uint8_t, 4096>> bufs(kBatch);
  for (;;) {
    std::array<mmsghdr, kBatch> msgs{};
    std::array<iovec, kBatch> iov{};
    for (size_t i = 0; i < kBatch; ++i) {
      iov[i] = {bufs[i].data(), bufs[i].size()};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    const int n = ::recvmmsg(g.fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;
    const int64_t t = nowUs();
    for (int i = 0; i < n; ++i) {
      std::span<const uint8_t> dg(bufs[size_t(i)].data(), msgs[size_t(i)].msg_len);
      if (dg.size() < 4) continue;
      const uint16_t token = uint16_t(dg[1] << 8 | dg[2]);
      const auto id = semtech::Identifier(dg[3]);
      if (id == semtech::Identifier::PushAck) {
        if (int64_t sent = g.sentAtUs[token]) {
          latencies_.push_back(uint32_t(std::min<int64_t>(t - sent, UINT32_MAX)));
          g.sentAtUs[token] = 0;
          --g.inFlight;
          ++r_.pushAcks;
        }
      } else if (id == semtech::Identifier::PullAck) {
        g.pullAcked = true;
      } else if (id == semtech::Identifier::PullResp) {
        onPullResp(g, dg);
      }
    }
    if (size_t(n) < kBatch) return;
  }
}

// A downlink: answered with TX_ACK; a JoinAccept for a pending join completes it.
void Simulation::onPullResp(Gateway& g, std::span<const uint8_t> dg) {
  ++r_.pullResps;
  Bytes ack{2, dg[1], dg[2], uint8_t(semtech::Identifier::TxAck)};
  const uint64_t eui = g.eui.value();
  for (int i = 7; i >= 0; --i) ack.push_back(uint8_t(eui >> (8 * i)));
  queue(g, std::move(ack), false);
  auto body = nlohmann::json::parse(dg.begin() + 4, dg.end(), nullptr, false);
  if (!body.is_object() || !body.contains("txpk") || !body["txpk"].is_object()) return;
  auto phy = lorawan::base64Decode(body["txpk"].value("data", ""));
  if (!phy || phy->empty() || ((*phy)[0] >> 5) != uint8_t(lorawan::MType::JoinAccept)) return;
  for (auto it = joins_.begin(); it != joins_.end(); ++it) {
    SimDevice& d = o_.devices[it->device];
    auto ja = lorawan::openJoinAccept(*phy, d.appKey);
    if (!ja || lorawan::joinAcceptMic10(d.appKey, ja->micInput) != ja->mic) continue;
    auto keys = lorawan::deriveSessionKeys10(d.appKey, ja->payload.joinNonce, ja->payload.netId,
                                             it->devNonce);
    d.session = {ja->payload.devAddr, keys.nwkSKey, keys.appSKey};
    d.joined = true;
    d.fcnt = o_.fcntStart;  // a new session counts from the start
    ready_.push_back(it->device);
    ++r_.joined;
    joins_.erase(it);
    return;
  }
}

void Simulation::expire(Gateway& g, int64_t now) {
  const int64_t limit = now - int64_t(o_.ackTimeout.count()) * 1000;
  while (!g.order.empty()) {
    auto [token, at] = g.order.front();
    if (g.sentAtUs[token] != at) {  // answered (or the token was reused)
      g.order.pop_front();
      continue;
    }
    if (at > limit) return;
    g.sentAtUs[token] = 0;
    --g.inFlight;
    g.order.pop_front();
  }
}

// JoinRequests for OTAA devices not joined, at most 16 outstanding; retried after the timeout.
void Simulation::startJoins(int64_t now) {
  for (auto it = joins_.begin(); it != joins_.end();) {
    if (now - it->sentAtUs < int64_t(o_.joinTimeout.count()) * 1000) {
      ++it;
      continue;
    }
    if (it->attempts >= 3) {
      r_.problems.push_back("device " + o_.devices[it->device].name + ": no JoinAccept after 3 " +
                            "JoinRequests (is the device provisioned, the gateway known?)");
      it = joins_.erase(it);
      continue;
    }
    it->devNonce = uint16_t(rng_());
    it->sentAtUs = now;
    ++it->attempts;
    const SimDevice& d = o_.devices[it->device];
    Bytes phy = lorawan::buildJoinRequest(d.appKey, d.joinEui, d.devEui, it->devNonce);
    semtech::RxPacket rx;
    rx.tmst = uint32_t(now);
    rx.frequencyHz = 868100000;
    rx.dataRate = "SF7BW125";
    rx.rssi = -60;
    rx.snr = 7;
    rx.phyPayload = phy;
    Gateway& g = gws_[0];
    queue(g,
          semtech::makePushData(2, g.nextToken++, g.eui,
                                "{\"rxpk\":[" + semtech::rxpkJson(rx) + "]}"),
          true);
    ++r_.joinsSent;
    ++it;
  }
}

bool Simulation::canSend() const {
  if (o_.rate > 0) return true;
  for (const Gateway& g : gws_)
    if (g.inFlight + g.out.size() >= o_.window) return false;
  return true;
}

// Sends what the rate (or the window) allows now; false once the count is reached.
bool Simulation::sendUplinks(int64_t now, double elapsedS) {
  if (ready_.empty()) return true;
  const unsigned copies = std::clamp(o_.copies, 1u, unsigned(gws_.size()));
  const size_t perDatagram = std::max(1u, o_.rxpkPerDatagram);
  const uint64_t due =
      o_.rate > 0 ? uint64_t(o_.rate * elapsedS) + perDatagram : UINT64_MAX;  // rate mode
  Bytes payload(o_.payloadBytes);
  size_t rounds = 0;
  while (r_.uplinks < due && canSend() && rounds++ < 256) {
    if (o_.count && r_.uplinks >= o_.count) return false;
    std::string body = "{\"rxpk\":[";
    for (size_t k = 0; k < perDatagram; ++k) {
      if (o_.count && r_.uplinks >= o_.count) break;
      const size_t di = ready_[nextDevice_++ % ready_.size()];
      SimDevice& d = o_.devices[di];
      // A device's next frame leaves only after every copy of its previous one (gateways'
      // queues go out one after another: without this a late copy would be a replay).
      if (lastSeq_[di] > flushedSeq_) flushAll();
      lastSeq_[di] = seq_ + 1;
      for (size_t b = 0; b < payload.size(); ++b) payload[b] = uint8_t(d.fcnt + b);
      semtech::RxPacket rx;
      rx.tmst = uint32_t(now);
      rx.frequencyHz = 868100000 + 200000 * (r_.uplinks % 3);
      rx.dataRate = "SF7BW125";
      rx.rssi = -40 - double(r_.uplinks % 70);
      rx.snr = 9.5 - double(r_.uplinks % 20);
      lorawan::UplinkSpec up;
      up.fcnt = d.fcnt++;
      up.fport = o_.fport;
      up.payload = payload;
      rx.phyPayload = lorawan::buildDataUplink(d.session, up);
      if (k) body += ',';
      body += semtech::rxpkJson(rx);
      ++r_.uplinks;
    }
    body += "]}";
    ++seq_;
    // The same frames heard by `copies` gateways in turn.
    for (unsigned c = 0; c < copies; ++c) {
      Gateway& g = gws_[(nextGateway_ + c) % gws_.size()];
      queue(g, semtech::makePushData(2, g.nextToken++, g.eui, body), true);
    }
    nextGateway_ = (nextGateway_ + 1) % gws_.size();
  }
  return true;
}

void Simulation::printProgress(double elapsedS) {
  std::vector<uint32_t> sample(latencies_.begin() + long(reported_), latencies_.end());
  reported_ = latencies_.size();
  uint32_t p50 = 0, p99 = 0;
  if (!sample.empty()) {
    std::nth_element(sample.begin(), sample.begin() + sample.size() / 2, sample.end());
    p50 = sample[sample.size() / 2];
    std::nth_element(sample.begin(), sample.begin() + sample.size() * 99 / 100, sample.end());
    p99 = sample[sample.size() * 99 / 100];
  }
  char line[320];
  std::snprintf(line, sizeof line,
                "simulate: %.0f s: %llu uplinks (%.0f/s), %llu/%llu PUSH_ACKed, this second's "
                "ack p50 %u us p99 %u us max %u us, %llu PULL_RESP, %llu/%zu joined\n",
                elapsedS, (unsigned long long)r_.uplinks,
                elapsedS > 0 ? double(r_.uplinks) / elapsedS : 0.0, (unsigned long long)r_.pushAcks,
                (unsigned long long)r_.datagrams, p50, p99,
                sample.empty() ? 0u : *std::max_element(sample.begin(), sample.end()),
                (unsigned long long)r_.pullResps, (unsigned long long)r_.joined,
                size_t(std::count_if(o_.devices.begin(), o_.devices.end(),
                                     [](const SimDevice& d) { return d.otaa; })));
  progress_ << line << std::flush;
}

SimulateReport Simulation::run() {
  if (o_.devices.empty()) r_.problems.push_back("no devices to simulate");
  if (!r_.problems.empty() || !open()) return r_;
  lastSeq_.assign(o_.devices.size(), 0);
  for (size_t i = 0; i < o_.devices.size(); ++i) {
    SimDevice& d = o_.devices[i];
    if (!d.otaa) {
      d.fcnt = o_.fcntStart;
      ready_.push_back(i);
    } else {
      joins_.push_back({i, 0, 0, 0});
    }
  }
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(o_.durationS));
  // Every gateway announces its downlink path first (JoinAccepts need it).
  for (Gateway& g : gws_) queue(g, semtech::makePullData(2, g.nextToken++, g.eui), false);
  for (Gateway& g : gws_) sendAll(g);
  const auto pullDeadline = Clock::now() + std::chrono::seconds(2);
  std::vector<pollfd> fds;
  for (const Gateway& g : gws_) fds.push_back({g.fd, POLLIN, 0});
  while (Clock::now() < pullDeadline &&
         !std::all_of(gws_.begin(), gws_.end(), [](const Gateway& g) { return g.pullAcked; })) {
    ::poll(fds.data(), fds.size(), 10);
    for (Gateway& g : gws_) receive(g);
  }
  if (!std::all_of(gws_.begin(), gws_.end(), [](const Gateway& g) { return g.pullAcked; }))
    r_.problems.push_back("no PULL_ACK from " + o_.target + " within 2 s: is the bridge there?");
  lastPullUs_ = uint64_t(nowUs());

  double nextProgress = o_.progressEveryS;
  bool more = true;
  while (Clock::now() < end && (more || !joins_.empty())) {
    const int64_t now = nowUs();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (!joins_.empty()) startJoins(now);
    if (more) more = sendUplinks(now, elapsed);
    if (uint64_t(now) - lastPullUs_ > 5000000) {  // keep the downlink paths alive
      for (Gateway& g : gws_) queue(g, semtech::makePullData(2, g.nextToken++, g.eui), false);
      lastPullUs_ = uint64_t(now);
    }
    for (Gateway& g : gws_) {
      sendAll(g);
      receive(g);
      expire(g, now);
    }
    if (o_.rate > 0) {
      // Sleep until the next frame is due, at least a millisecond: what fell due meanwhile
      // leaves together. A sender that polled without a timeout whenever the next frame was
      // due within a millisecond (above 1000 uplinks/s) spun, and took the bridge's core.
      const double next = double(r_.uplinks + 1) / o_.rate - elapsed;
      ::poll(fds.data(), fds.size(), std::max(1, int(next * 1000)));
    } else if (!canSend() || (!more && !joins_.empty())) {
      ::poll(fds.data(), fds.size(), 1);
    }
    if (o_.progressEveryS > 0 && elapsed >= nextProgress) {
      printProgress(elapsed);
      nextProgress += o_.progressEveryS;
    }
  }
  r_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // The last answers.
  const auto drainUntil = Clock::now() + o_.ackTimeout;
  auto outstanding = [&] {
    size_t n = 0;
    for (const Gateway& g : gws_) n += g.inFlight;
    return n;
  };
  while (outstanding() > 0 && Clock::now() < drainUntil) {
    ::poll(fds.data(), fds.size(), 10);
    for (Gateway& g : gws_) {
      receive(g);
      sendAll(g);  // TX_ACKs
    }
  }
  for (const auto& j : joins_)
    r_.problems.push_back("device " + o_.devices[j.device].name + ": not joined in time");
  if (!latencies_.empty()) {
    std::sort(latencies_.begin(), latencies_.end());
    r_.ackP50 = latencies_[latencies_.size() / 2];
    r_.ackP99 = latencies_[std::min(latencies_.size() - 1, latencies_.size() * 99 / 100)];
    r_.ackMax = latencies_.back();
  }
  if (r_.pushAcks < r_.datagrams)
    r_.problems.push_back(std::to_string(r_.datagrams - r_.pushAcks) + " of " +
                          std::to_string(r_.datagrams) +
                          " PUSH_DATA unanswered (a bridge drops beyond gateways.rate_per_source "
                          "datagrams/s per source IP: raise it, or --spread-sources)");
  for (Gateway& g : gws_) ::close(g.fd);
  return r_;
}

}  // namespace

std::vector<SimDevice> devicesFromConfig(const config::Config& cfg) {
  std::vector<SimDevice> out;
  for (const auto& itf : cfg.interfaces) {
    const auto& o = itf.opts;
    if (!o.enabled) continue;
    SimDevice d;
    d.name = itf.deviceIdOrSlug;
    if (o.deviceType == config::DeviceType::Abp && o.deviceAddress && o.networkSessionKey &&
        o.appSessionKey) {
      d.session = {*o.deviceAddress, *o.networkSessionKey, *o.appSessionKey};
      out.push_back(d);
    } else if (o.deviceType == config::DeviceType::Otaa && o.deviceEui && o.deviceKey &&
               o.macVersion != "1.1") {
      d.otaa = true;
      d.devEui = *o.deviceEui;
      d.joinEui = o.joinEui.value_or(lorawan::Eui64(0));
      d.appKey = *o.deviceKey;
      out.push_back(d);
    }
  }
  return out;
}

std::vector<SimDevice> generateDevices(size_t n, uint32_t seed) {
  std::vector<SimDevice> out;
  out.reserve(n);
  uint64_t state = seed;
  for (size_t i = 0; i < n; ++i) {
    SimDevice d;
    char name[32];
    std::snprintf(name, sizeof name, "sim-%07zu", i);
    d.name = name;
    d.session.devAddr = lorawan::DevAddr(0x26000000u + uint32_t(i % 0x1000000));
    d.session.nwkSKey = keyFrom(state);
    d.session.appSKey = keyFrom(state);
    d.devEui = lorawan::Eui64(0x70B3D57ED1000000ull + i);
    out.push_back(std::move(d));
  }
  return out;
}

namespace {
// Every device through one printf format: the id's index, then name, DevEUI, DevAddr and keys.
// `separator` goes before every device but the first.
std::string interfacesText(const std::vector<SimDevice>& devices, std::string out,
                           const char* format, const char* separator, const char* end) {
  char buf[512];
  for (size_t i = 0; i < devices.size(); ++i) {
    const SimDevice& d = devices[i];
    if (i) out += separator;
    std::snprintf(buf, sizeof buf, format, i, d.name.c_str(), d.devEui.toString().c_str(),
                  d.session.devAddr.toString().c_str(), d.session.nwkSKey.hex().c_str(),
                  d.session.appSKey.hex().c_str());
    out += buf;
  }
  return out + end;
}
}  // namespace

std::string interfacesYaml(const std::vector<SimDevice>& devices) {
  return interfacesText(devices,
                        "# Written by `lorawan-bridge simulate`: ABP devices for a load test.\n",
                        "- id: \"51300000-0000-4000-8000-%012zx\"\n"
                        "  device_id_or_slug: \"%s\"\n"
                        "  opts:\n"
                        "    device_type: abp\n"
                        "    device_eui: \"%s\"\n"
                        "    device_address: \"%s\"\n"
                        "    network_session_key: \"%s\"\n"
                        "    app_session_key: \"%s\"\n",
                        "", "");
}

std::string interfacesJson(const std::vector<SimDevice>& devices) {
  return interfacesText(
      devices, "[\n",
      "{\"id\": \"51300000-0000-4000-8000-%012zx\", \"device_id_or_slug\": \"%s\", "
      "\"opts\": {\"device_type\": \"abp\", \"device_eui\": \"%s\", \"device_address\": \"%s\", "
      "\"network_session_key\": \"%s\", \"app_session_key\": \"%s\"}}",
      ",\n", "\n]\n");
}

SimulateReport runSimulation(SimulateOptions opts, std::ostream& progress) {
  return Simulation(std::move(opts), progress).run();
}

std::string formatReport(const SimulateReport& r) {
  std::ostringstream s;
  char line[256];
  std::snprintf(line, sizeof line,
                "sent %llu uplinks in %llu PUSH_DATA over %.2f s (%.0f uplinks/s)\n"
                "PUSH_ACK %llu/%llu, latency p50 %.0f us, p99 %.0f us, max %.0f us\n"
                "PULL_RESP %llu (answered with TX_ACK); joins: %llu sent, %llu devices joined\n",
                (unsigned long long)r.uplinks, (unsigned long long)r.datagrams, r.seconds,
                r.seconds > 0 ? double(r.uplinks) / r.seconds : 0.0, (unsigned long long)r.pushAcks,
                (unsigned long long)r.datagrams, r.ackP50, r.ackP99, r.ackMax,
                (unsigned long long)r.pullResps, (unsigned long long)r.joinsSent,
                (unsigned long long)r.joined);
  s << line;
  if (r.sendErrors) s << "send errors: " << r.sendErrors << "\n";
  for (const auto& p : r.problems) s << "problem: " << p << "\n";
  if (r.problems.empty()) s << "ok\n";
  return s.str();
}

}  // namespace bridge
