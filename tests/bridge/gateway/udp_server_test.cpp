// The UDP server on loopback: ACKs, the gateway registry and handing rxpk to the pipeline.
#include "bridge/gateway/udp_server.hpp"

#include <gtest/gtest.h>

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

}  // namespace
