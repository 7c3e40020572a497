// The UDP server on loopback: ACKs, the gateway registry and handing rxpk to the pipeline.
#include "bridge/gateway/udp_server.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <future>
#include <set>
#include <thread>

#include "support/fake_forwarder.hpp"

using namespace bridge;

namespace {

TEST(UdpServer, AcksAndRemembersGateways) {
  boost::asio::io_context ioc;
  GatewayRegistry gateways;
  Metrics metrics;
  std::vector<lorawan::semtech::RxPacket> received;
  UdpServer server(
      ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}, gateways, metrics,
      [&](lorawan::Eui64, lorawan::semtech::RxPacket&& p) { received.push_back(std::move(p)); },
      nullptr);
  server.start();
  std::thread t([&] { ioc.run(); });
  const lorawan::Eui64 gw(0xAA555A0000000007);
  testsupport::FakeForwarder fwd(server.localEndpoint().port(), gw);
  ASSERT_TRUE(fwd.pull(1));
  ASSERT_TRUE(fwd.push(
      R"({"rxpk":[{"tmst":1,"freq":868.1,"chan":0,"rfch":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-50,"data":"AA=="},)"
      R"({"tmst":2,"freq":868.3,"chan":1,"rfch":0,"stat":1,"modu":"LORA","datr":"SF9BW125","codr":"4/5","rssi":-70,"data":"AQ=="}],)"
      R"("stat":{"time":"2026-11-22 10:00:00 GMT","rxnb":2,"rxok":2,"rxfw":2,"ackr":100.0,"dwnb":0,"txnb":0}})",
      2));
  ASSERT_TRUE(fwd.pull(3));  // handled in order: the push is done
  ioc.stop();
  t.join();
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[1].dataRate, "SF9BW125");
  auto info = gateways.find(gw);
  ASSERT_TRUE(info.has_value());
  EXPECT_TRUE(info->pullAddress.has_value());
  EXPECT_TRUE(info->pushAddress.has_value());
  EXPECT_EQ(info->pullAddress->address().to_string(), "127.0.0.1");
  EXPECT_EQ(info->pullCount, 2u);
  EXPECT_EQ(info->pushCount, 1u);
  EXPECT_NE(info->lastStatJson.find("\"rxnb\":2"), std::string::npos);
  EXPECT_EQ(metrics.counter("udp_pull_data_total"), 2u);
}

// A burst read in recvmmsg batches: every PUSH_DATA and PULL_DATA gets its own ACK with its
// token, and a datagram that is too large or broken in the middle of a batch is refused alone.
TEST(UdpServer, ABurstIsAnsweredDatagramByDatagram) {
  boost::asio::io_context ioc;
  GatewayRegistry gateways;
  Metrics metrics;
  size_t received = 0;
  UdpLimits limits;
  limits.maxDatagramBytes = 1024;
  limits.ratePerSource = 1e6;
  UdpServer server(
      ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}, gateways, metrics,
      [&](lorawan::Eui64, lorawan::semtech::RxPacket&&) { ++received; }, nullptr, nullptr, limits);
  server.start();
  std::thread t([&] { ioc.run(); });
  const lorawan::Eui64 gw(0xAA555A0000000008);
  testsupport::FakeForwarder fwd(server.localEndpoint().port(), gw);
  const std::string rxpk =
      R"({"rxpk":[{"tmst":1,"freq":868.1,"chan":0,"rfch":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-50,"data":"AA=="}]})";
  constexpr int kPushes = 200, kPulls = 100;
  std::set<uint16_t> pushAcks, pullAcks;
  // Answers are read after each 100 sent: the fake forwarder's own receive buffer holds ~250.
  bool answersStopped = false;
  for (int i = 0; i < kPushes + kPulls && !answersStopped; ++i) {
    if (i == 77) fwd.sendRaw(lorawan::semtech::makePushData(2, 9999, gw, std::string(2000, ' ')));
    if (i == 150) fwd.sendRaw({7, 0, 1, 0});  // version 7
    if (i % 3 == 2)
      fwd.sendRaw(lorawan::semtech::makePullData(2, uint16_t(10000 + i), gw));
    else
      fwd.sendRaw(lorawan::semtech::makePushData(2, uint16_t(i), gw, rxpk));
    if (i % 100 != 99) continue;
    while (pushAcks.size() + pullAcks.size() < size_t(i + 1)) {
      auto d = fwd.receive();
      if (!d || d->size() != 4) {
        answersStopped = true;
        break;
      }
      const uint16_t token = uint16_t((*d)[1] << 8 | (*d)[2]);
      auto& acks = (*d)[3] == uint8_t(lorawan::semtech::Identifier::PushAck) ? pushAcks : pullAcks;
      EXPECT_TRUE(acks.insert(token).second) << "token " << token << " ACKed twice";
    }
  }
  EXPECT_TRUE(fwd.pull(1));  // everything before it is handled
  ioc.stop();
  t.join();
  EXPECT_FALSE(answersStopped);
  EXPECT_EQ(pushAcks.size(), size_t(kPushes));
  EXPECT_EQ(pullAcks.size(), size_t(kPulls));
  EXPECT_FALSE(pushAcks.count(9999));
  EXPECT_EQ(received, size_t(kPushes));
  EXPECT_EQ(metrics.counter("udp_datagrams_dropped_total{reason=\"too_large\"}"), 1u);
  EXPECT_EQ(metrics.counter("udp_datagrams_invalid_total{reason=\"version\"}"), 1u);
}

}  // namespace

namespace {

// The receiver thread ACKs PUSH_DATA while the network thread does nothing at all (its loop is
// not even running here); what waits for it is bounded: past 8192 datagrams the rest are
// dropped unanswered and counted. Once the loop runs, every ACKed datagram is handled, in
// order, and a PULL_DATA is answered only then (after the pushes before it).
TEST(UdpServer, PushAcksDoNotWaitForTheNetworkThreadAndTheBacklogIsBounded) {
  boost::asio::io_context ioc;
  GatewayRegistry gateways;
  Metrics metrics;
  std::vector<uint32_t> handled;  // tmst of each rxpk, in the order handled
  UdpLimits limits;
  limits.ratePerSource = 1e9;
  UdpServer server(
      ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}, gateways, metrics,
      [&](lorawan::Eui64, lorawan::semtech::RxPacket&& p) { handled.push_back(p.tmst); }, nullptr,
      nullptr, limits);
  server.start();
  const lorawan::Eui64 gw(0xAA555A0000000009);
  testsupport::FakeForwarder fwd(server.localEndpoint().port(), gw);
  auto push = [&](uint32_t i) {
    fwd.sendRaw(lorawan::semtech::makePushData(
        2, uint16_t(i), gw,
        R"({"rxpk":[{"tmst":)" + std::to_string(i) +
            R"(,"freq":868.1,"chan":0,"rfch":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-50,"data":"AA=="}]})"));
  };
  // Sent in rounds the test's own socket buffer holds, each round's ACKs read back: nothing is
  // taken from the backlog, so exactly the first 8192 are ACKed.
  constexpr uint32_t kTotal = 8192 + 300;
  size_t acks = 0;
  for (uint32_t sent = 0; sent < kTotal;) {
    const uint32_t round = std::min<uint32_t>(200, kTotal - sent);
    for (uint32_t i = 0; i < round; ++i) push(sent + i);
    sent += round;
    while (acks < std::min<size_t>(sent, 8192)) {
      auto d = fwd.receive();
      ASSERT_TRUE(d.has_value()) << "no answer after " << acks << " ACKs";
      if (d->size() == 4 && (*d)[3] == uint8_t(lorawan::semtech::Identifier::PushAck)) ++acks;
    }
  }
  const std::string overload = "udp_datagrams_dropped_total{reason=\"overload\"}";
  for (auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
       metrics.counter(overload) < 300 && std::chrono::steady_clock::now() < until;)
    std::this_thread::yield();
  EXPECT_EQ(metrics.counter(overload), 300u);
  EXPECT_EQ(acks, 8192u);
  EXPECT_TRUE(handled.empty()) << "handled without the network thread";
  // The network thread at work: a PULL_ACK comes after every ACKed push was handled (a PULL_DATA
  // that arrives while the backlog is still full is dropped too: asked again).
  std::thread t([&] { ioc.run(); });
  bool answered = false;
  for (uint16_t token = 7; token < 12 && !answered; ++token) answered = fwd.pull(token);
  EXPECT_TRUE(answered);
  ioc.stop();
  t.join();
  ASSERT_EQ(handled.size(), 8192u);
  for (uint32_t i = 0; i < handled.size(); ++i) ASSERT_EQ(handled[i], i) << "out of order";
}

}  // namespace

namespace {

// While the downstream says it is congested (the store writer far behind), the network thread
// takes nothing from the receiver (ACKs still go out); once it clears, everything is handled.
TEST(UdpServer, ACongestedDownstreamHoldsTheNetworkThreadNotTheAcks) {
  boost::asio::io_context ioc;
  GatewayRegistry gateways;
  Metrics metrics;
  size_t handled = 0;  // network thread only
  std::atomic<bool> congested{true};
  UdpServer server(
      ioc, {boost::asio::ip::make_address("127.0.0.1"), 0}, gateways, metrics,
      [&](lorawan::Eui64, lorawan::semtech::RxPacket&&) { ++handled; }, nullptr);
  server.setCongested([&] { return congested.load(); });
  server.start();
  std::thread t([&] { ioc.run(); });
  const lorawan::Eui64 gw(0xAA555A000000000A);
  testsupport::FakeForwarder fwd(server.localEndpoint().port(), gw);
  const std::string rxpk =
      R"({"rxpk":[{"tmst":1,"freq":868.1,"chan":0,"rfch":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-50,"data":"AA=="}]})";
  for (uint16_t i = 1; i <= 10; ++i) ASSERT_TRUE(fwd.push(rxpk, i)) << "no PUSH_ACK " << i;
  // Asked on the network thread itself, in turn with its handling: nothing taken yet.
  std::promise<size_t> seen;
  boost::asio::post(ioc, [&] { seen.set_value(handled); });
  EXPECT_EQ(seen.get_future().get(), 0u);
  congested = false;
  EXPECT_TRUE(fwd.pull(99));  // answered once the pushes before it were handled
  std::promise<size_t> after;
  boost::asio::post(ioc, [&] { after.set_value(handled); });
  EXPECT_EQ(after.get_future().get(), 10u);
  ioc.stop();
  t.join();
}

}  // namespace
