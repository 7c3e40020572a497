// The load generator against the real daemon over loopback: generated ABP devices (provisioned
// from the interface file it writes) and an OTAA device that really joins; every uplink is
// ACKed and accepted, the JoinAccept is answered with TX_ACK and the derived keys work.
#include "bridge/tools/simulate.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "bridge/app/daemon.hpp"
#include "bridge/core/metrics.hpp"
#include "support/temp_dir.hpp"

using namespace bridge;

namespace {

std::unique_ptr<Daemon> startBridge(testsupport::TempDir& dir, const std::string& interfaces,
                                    const std::string& extra = "",
                                    const std::string& file = "sim.yaml") {
  std::filesystem::create_directories(dir.file("interfaces"));
  std::ofstream(dir.file("interfaces/" + file)) << interfaces;
  std::ofstream(dir.file("bridge.yaml"))
      << "listen: { udp: \"127.0.0.1:0\", api: \"127.0.0.1:0\" }\n"
         "network: { dedup_window_ms: 20 }\n"
         "store: { path: \""
      << dir.file("bridge.db") << "\" }\ninterfaces_dir: \"interfaces\"\n"
      << "gateways: { rate_per_source: 1000000 }\n"
      << extra;
  auto cfg = config::loadConfigFile(dir.file("bridge.yaml"));
  EXPECT_TRUE(cfg.has_value()) << cfg.error();
  if (!cfg) return nullptr;
  auto d = Daemon::create(*cfg);
  EXPECT_TRUE(d.has_value()) << d.error();
  if (!d) return nullptr;
  (*d)->start();
  return std::move(*d);
}

bool waitFor(const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling a condition
  return done();
}

}  // namespace

TEST(Simulate, GeneratedDevicesAreAcceptedByABridgeProvisionedFromItsInterfaceFile) {
  testsupport::TempDir dir;
  auto devices = generateDevices(50, 7);
  EXPECT_EQ(generateDevices(50, 7)[49].session.nwkSKey, devices[49].session.nwkSKey)
      << "the same seed gives the same keys";
  auto daemon = startBridge(dir, interfacesYaml(devices));
  ASSERT_TRUE(daemon);
  EXPECT_EQ(daemon->sessionCount(), 50u);

  SimulateOptions o;
  o.target = "127.0.0.1:" + std::to_string(daemon->udpPort());
  o.devices = devices;
  o.gateways = 3;
  o.copies = 2;
  o.rxpkPerDatagram = 4;
  o.count = 2000;
  o.durationS = 20;
  o.progressEveryS = 0;
  std::ostringstream progress;
  auto r = runSimulation(o, progress);
  EXPECT_TRUE(r.problems.empty()) << formatReport(r);
  EXPECT_EQ(r.uplinks, 2000u);
  EXPECT_EQ(r.datagrams, 1000u) << "500 datagrams of 4 frames, each from 2 gateways";
  EXPECT_EQ(r.pushAcks, r.datagrams);
  EXPECT_GT(r.ackP50, 0);
  EXPECT_LE(r.ackP50, r.ackP99);
  // Two copies of each frame: one uplink each, 40 per device with increasing counters.
  ASSERT_TRUE(waitFor([&] { return daemon->metrics().counter("uplinks_accepted_total") == 2000; }))
      << daemon->metrics().renderPrometheus();
  EXPECT_EQ(daemon->metrics().counter("uplinks_rejected_total{reason=\"replay\"}"), 0u);
}

// The JSON interface file (what a large fleet loads fast) provisions the same devices.
TEST(Simulate, TheJsonInterfaceFileProvisionsTheSameDevices) {
  testsupport::TempDir dir;
  auto devices = generateDevices(20, 9);
  auto daemon = startBridge(dir, interfacesJson(devices), "", "sim.json");
  ASSERT_TRUE(daemon);
  EXPECT_EQ(daemon->sessionCount(), 20u);
  SimulateOptions o;
  o.target = "127.0.0.1:" + std::to_string(daemon->udpPort());
  o.devices = devices;
  o.count = 200;
  o.durationS = 20;
  o.progressEveryS = 0;
  std::ostringstream progress;
  auto r = runSimulation(o, progress);
  EXPECT_TRUE(r.problems.empty()) << formatReport(r);
  ASSERT_TRUE(waitFor([&] { return daemon->metrics().counter("uplinks_accepted_total") == 200; }))
      << daemon->metrics().renderPrometheus();
}

TEST(Simulate, AnOtaaDeviceJoinsThenSendsWithTheDerivedKeys) {
  testsupport::TempDir dir;
  auto daemon = startBridge(dir,
                            "- id: \"44444444-4444-4444-8444-444444444444\"\n"
                            "  device_id_or_slug: \"otaa-node\"\n"
                            "  opts: { device_type: otaa, device_eui: \"00AFEE7CF5ED6F1E\",\n"
                            "          eui: \"70B3D57ED00000DC\",\n"
                            "          device_key: \"B6B53F4A168A7A88BDF7EA135CE9CFCA\" }\n");
  ASSERT_TRUE(daemon);
  auto cfg = config::loadConfigFile(dir.file("bridge.yaml")).value();
  SimulateOptions o;
  o.target = "127.0.0.1:" + std::to_string(daemon->udpPort());
  o.devices = devicesFromConfig(cfg);
  ASSERT_EQ(o.devices.size(), 1u);
  EXPECT_TRUE(o.devices[0].otaa);
  o.count = 20;
  o.durationS = 20;
  o.progressEveryS = 0;
  std::ostringstream progress;
  auto r = runSimulation(o, progress);
  EXPECT_TRUE(r.problems.empty()) << formatReport(r);
  EXPECT_EQ(r.joined, 1u);
  EXPECT_GE(r.pullResps, 1u);  // the JoinAccept, answered with TX_ACK
  EXPECT_EQ(r.uplinks, 20u);
  ASSERT_TRUE(waitFor([&] { return daemon->metrics().counter("uplinks_accepted_total") == 20; }))
      << daemon->metrics().counter("uplinks_accepted_total") << " accepted; bad MIC "
      << daemon->metrics().counter("uplinks_rejected_total{reason=\"bad_mic\"}");
  EXPECT_EQ(daemon->metrics().counter("joins_total{result=\"accepted\"}"), 1u);
  EXPECT_TRUE(waitFor([&] {
    return daemon->metrics().counter("downlinks_total{result=\"acked\"}") == 1;
  })) << "the JoinAccept's TX_ACK was not matched";
}

TEST(Simulate, NoBridgeListeningIsAProblemNamedInTheReport) {
  SimulateOptions o;
  o.target = "127.0.0.1:9";  // discard: nothing answers
  o.devices = generateDevices(1, 1);
  o.count = 5;
  o.durationS = 0.2;
  o.ackTimeout = std::chrono::milliseconds(100);
  o.progressEveryS = 0;
  std::ostringstream progress;
  auto r = runSimulation(o, progress);
  ASSERT_FALSE(r.problems.empty());
  EXPECT_NE(formatReport(r).find("no PULL_ACK from 127.0.0.1:9"), std::string::npos)
      << formatReport(r);
}
