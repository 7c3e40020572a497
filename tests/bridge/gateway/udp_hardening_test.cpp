// The UDP side under attack, on loopback against the running daemon: a spoofed PULL_DATA, metric
// injection through TX_ACK, invented EUIs, oversized datagrams, floods, unlisted gateways.
// Numbers refer to the hardening issue.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bridge/app/daemon.hpp"
#include "bridge/core/metrics.hpp"
#include "bridge/gateway/gateway_registry.hpp"
#include "support/devices.hpp"
#include "support/fake_forwarder.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

using namespace bridge;
using namespace std::chrono_literals;
using lorawan::semtech::Identifier;
using nlohmann::json;

namespace {

const lorawan::Eui64 kGw(0xAA555A0000000001);

// The token of the next ACK the forwarder gets. A datagram the bridge ignores is proved ignored
// by sending a good one after it on the same socket: its ACK comes first (datagrams are handled
// in order), so no test waits for a silence.
uint16_t nextAckToken(testsupport::FakeForwarder& fwd) {
  for (;;) {
    auto d = fwd.receive();
    if (!d) return 0xFFFF;
    if (d->size() == 4) return uint16_t((*d)[1] << 8 | (*d)[2]);
  }
}

class UdpHardeningTest : public ::testing::Test {
 protected:
  void start(std::function<void(config::Config&)> adjust = nullptr) {
    config::Config c;
    c.udpListen = {"127.0.0.1", 0};
    c.apiListen = {"127.0.0.1", 0};
    c.dedupWindowMs = 20;
    c.storePath = dir.file("bridge.db");
    if (adjust) adjust(c);
    auto d = Daemon::create(c);
    ASSERT_TRUE(d.has_value()) << d.error();
    daemon = std::move(*d);
    daemon->start();
  }
  json gateways() {
    return json::parse(
        testsupport::httpRequest(daemon->apiPort(), "GET", "/gateways").body)["body"];
  }
  std::string metrics() {
    return testsupport::httpRequest(daemon->apiPort(), "GET", "/metrics").body;
  }
  uint64_t counter(const std::string& s) { return daemon->metrics().counter(s); }

  testsupport::TempDir dir;
  std::unique_ptr<Daemon> daemon;
};

// 12: a PULL_DATA for a known EUI from another source IP does not take the gateway's downlink
// path while the gateway keeps it alive.
TEST_F(UdpHardeningTest, ASpoofedPullDataDoesNotMoveTheDownlinkPath) {
  start();
  testsupport::FakeForwarder gateway(daemon->udpPort(), kGw, "127.0.0.1");
  testsupport::FakeForwarder attacker(daemon->udpPort(), kGw, "127.0.0.2");
  ASSERT_TRUE(gateway.pull(1));
  EXPECT_TRUE(attacker.pull(2));  // answered (it is a PULL_DATA), but not believed
  ASSERT_TRUE(gateway.pull(3));
  auto gws = gateways();
  ASSERT_EQ(gws.size(), 1u);
  EXPECT_EQ(gws[0]["pullAddress"], "127.0.0.1:" + std::to_string(gateway.localPort()));
  EXPECT_EQ(counter("gateway_path_conflicts_total"), 1u);
  // The same IP from a new port (a NAT rebinding) does move it.
  testsupport::FakeForwarder rebound(daemon->udpPort(), kGw, "127.0.0.1");
  ASSERT_TRUE(rebound.pull(4));
  EXPECT_EQ(gateways()[0]["pullAddress"], "127.0.0.1:" + std::to_string(rebound.localPort()));
}

// 12: the rule itself, with time: another IP takes the path only once it expired; a path that
// expired is no path for downlinks.
TEST(GatewayRegistryHardening, PathMovesToAnotherIpOnlyAfterExpiry) {
  GatewayRegistrySettings s;
  s.pathExpiry = 90s;
  GatewayRegistry reg(s);
  const auto t0 = GatewayRegistry::Clock::now();
  const boost::asio::ip::udp::endpoint real(boost::asio::ip::make_address("10.0.0.1"), 1700);
  const boost::asio::ip::udp::endpoint other(boost::asio::ip::make_address("10.0.0.2"), 1700);
  EXPECT_TRUE(reg.onPull(kGw, real, 2, t0));
  EXPECT_FALSE(reg.onPull(kGw, other, 2, t0 + 30s));
  EXPECT_EQ(reg.find(kGw, t0 + 30s)->pullAddress, real);
  EXPECT_TRUE(reg.onPull(kGw, real, 2, t0 + 60s));  // keep-alive refreshes it
  EXPECT_FALSE(reg.onPull(kGw, other, 2, t0 + 149s));
  EXPECT_FALSE(reg.find(kGw, t0 + 151s)->pullAddress.has_value()) << "expired paths are not used";
  EXPECT_TRUE(reg.onPull(kGw, other, 2, t0 + 151s));
  EXPECT_EQ(reg.find(kGw, t0 + 151s)->pullAddress, other);
}

// 13: a TX_ACK error string never becomes a metric label: only the protocol's codes, else other.
TEST_F(UdpHardeningTest, TxAckErrorsCannotInjectMetrics) {
  start();
  testsupport::FakeForwarder fwd(daemon->udpPort(), lorawan::Eui64(0x1122334455667788));
  const std::string evil =
      R"({"txpk_ack":{"error":"X\"} 1\nlorawan_bridge_injected_total{a=\"b"}})";
  fwd.sendRaw(lorawan::semtech::makePushData(2, 9, lorawan::Eui64(0x1122334455667788), "{}"));
  auto txAck = [&](const std::string& body, uint16_t token) {
    lorawan::Bytes b{2, uint8_t(token >> 8), uint8_t(token), uint8_t(Identifier::TxAck)};
    for (int i = 7; i >= 0; --i) b.push_back(uint8_t(0x1122334455667788ull >> (8 * i)));
    b.insert(b.end(), body.begin(), body.end());
    fwd.sendRaw(b);
  };
  txAck(evil, 10);
  txAck(R"({"txpk_ack":{"error":"TOO_LATE"}})", 11);
  for (int i = 0; i < 50; ++i)
    txAck(R"({"txpk_ack":{"error":"random-)" + std::to_string(i) + "\"}}", 12);
  ASSERT_TRUE(fwd.pull(13));  // in order: every TX_ACK was handled
  const std::string m = metrics();
  EXPECT_EQ(m.find("injected"), std::string::npos) << m;
  EXPECT_EQ(m.find("random-"), std::string::npos);
  EXPECT_EQ(counter("tx_acks_total{error=\"other\"}"), 51u);
  EXPECT_EQ(counter("tx_acks_total{error=\"TOO_LATE\"}"), 1u);
}

TEST(MetricsLabels, ValuesAreEscaped) {
  EXPECT_EQ(labeled("x_total", "a", "q\"b\\c\nd"), R"(x_total{a="q\"b\\c\nd"})");
}

// 14: invented EUIs fill the cap, not memory; datagrams over the size limit and beyond the
// per-source rate are dropped and counted.
TEST_F(UdpHardeningTest, GatewaysDatagramSizeAndRateAreBounded) {
  start([](config::Config& c) {
    c.gatewayPolicy.maxGateways = 5;
    c.gatewayPolicy.maxDatagramBytes = 4096;
    c.gatewayPolicy.ratePerSource = 50;  // burst 100
  });
  // Ten EUIs from one socket, then the first again: every answer arrives before the last one's.
  testsupport::FakeForwarder fwd(daemon->udpPort(), kGw);
  for (uint64_t i = 0; i < 10; ++i)
    fwd.sendRaw(
        lorawan::semtech::makePullData(2, uint16_t(i), lorawan::Eui64(0x0100000000000000 + i)));
  fwd.sendRaw(lorawan::semtech::makePullData(2, 999, lorawan::Eui64(0x0100000000000000)));
  size_t acked = 0;
  for (;;) {
    auto d = fwd.receive();
    ASSERT_TRUE(d.has_value()) << "no answer to the last PULL_DATA";
    if (d->size() != 4 || (*d)[3] != uint8_t(Identifier::PullAck)) continue;
    if (((*d)[1] << 8 | (*d)[2]) == 999) break;
    ++acked;
  }
  EXPECT_EQ(acked, 5u);
  EXPECT_EQ(gateways().size(), 5u);
  EXPECT_EQ(counter("udp_datagrams_dropped_total{reason=\"too_many_gateways\"}"), 5u);
  // 64 KB PUSH_DATA: no ACK (the PULL_DATA after it is answered first).
  const lorawan::Eui64 first(0x0100000000000000);
  testsupport::FakeForwarder known(daemon->udpPort(), first);
  known.sendRaw(lorawan::semtech::makePushData(
      2, 100, first, R"({"rxpk":[],"pad":")" + std::string(60000, 'a') + "\"}"));
  known.sendRaw(lorawan::semtech::makePullData(2, 101, first));
  EXPECT_EQ(nextAckToken(known), 101);
  EXPECT_EQ(counter("udp_datagrams_dropped_total{reason=\"too_large\"}"), 1u);
  // A flood from one source: past the burst, dropped.
  for (int i = 0; i < 400; ++i)
    known.sendRaw(
        lorawan::semtech::makePullData(2, uint16_t(1000 + i), lorawan::Eui64(0x0100000000000000)));
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       counter("udp_datagrams_total") < 412 && std::chrono::steady_clock::now() < deadline;)
    std::this_thread::yield();
  EXPECT_GE(counter("udp_datagrams_dropped_total{reason=\"rate\"}"), 250u);
}

// 14: policy listed: only the configured gateways are heard.
TEST_F(UdpHardeningTest, PolicyListedDropsUnknownGateways) {
  start([](config::Config& c) {
    c.gatewayPolicy.listedOnly = true;
    c.gateways = {{kGw, "EU868"}};
  });
  testsupport::FakeForwarder fwd(daemon->udpPort(), kGw);
  fwd.sendRaw(lorawan::semtech::makePullData(2, 2, lorawan::Eui64(0x0200000000000001)));
  fwd.sendRaw(lorawan::semtech::makePullData(2, 3, kGw));
  EXPECT_EQ(nextAckToken(fwd), 3) << "the unlisted gateway was answered";
  EXPECT_EQ(counter("udp_datagrams_dropped_total{reason=\"unknown_gateway\"}"), 1u);
  auto gws = gateways();
  ASSERT_EQ(gws.size(), 1u);
  EXPECT_EQ(gws[0]["gatewayEui"], kGw.toString());
}

}  // namespace
