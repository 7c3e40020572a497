// Operating the bridge: interface files reloaded on SIGHUP or change (a broken file keeps the old
// ones), /metrics histograms and gauges, /healthz platform reachability, oversized bodies, and
// no full key or token in the log of a real process.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "bridge/app/daemon.hpp"
#include "bridge/core/metrics.hpp"
#include "bridge/tools/platform_sink.hpp"
#include "support/bridge_process.hpp"
#include "support/devices.hpp"
#include "support/fake_forwarder.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

using namespace bridge;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const char* kCellarItf = R"(- id: "68e8e794-1abe-45d6-a63e-158ed5d611ef"
  device_id_or_slug: "cellar"
  opts: { device_type: abp, device_address: "26011BDA",
          network_session_key: "2B7E151628AED2A6ABF7158809CF4F3C",
          app_session_key: "3C4FCF098815F7ABA6D2AE2816157E2B" }
)";
const char* kDoorItf = R"(- id: "0b9b5b8c-6f0e-4f43-9d5e-1f4a2f6c2a01"
  device_id_or_slug: "door"
  opts: { device_type: abp, device_address: "26011BDB",
          network_session_key: "000102030405060708090A0B0C0D0E0F",
          app_session_key: "0F0E0D0C0B0A09080706050403020100" }
)";

std::vector<std::string> deviceIds(uint16_t api, const std::string& token = "") {
  auto r = testsupport::httpRequest(api, "GET", "/devices", "", token);
  std::vector<std::string> out;
  const json page = json::parse(r.body);
  for (const auto& d : page["body"]) out.push_back(d["id"]);
  return out;
}

TEST(Operations, AChangedInterfaceFileIsReloadedAndABrokenOneKeepsTheOld) {
  testsupport::TempDir dir;
  std::filesystem::create_directories(dir.file("interfaces"));
  std::ofstream(dir.file("interfaces/cellar.yaml")) << kCellarItf;
  std::ofstream(dir.file("bridge.yaml")) << R"(
listen: { udp: "127.0.0.1:0", api: "127.0.0.1:0" }
store: { path: ")" << dir.file("bridge.db")
                                         << R"(" }
interfaces_dir: "interfaces"
)";
  auto cfg = config::loadConfigFile(dir.file("bridge.yaml"));
  ASSERT_TRUE(cfg.has_value()) << cfg.error();
  auto d = Daemon::create(*cfg);
  ASSERT_TRUE(d.has_value()) << d.error();
  (*d)->start();
  const uint16_t api = (*d)->apiPort();
  EXPECT_EQ(deviceIds(api), (std::vector<std::string>{"cellar"}));
  // A new file appears: noticed by the file watch, no signal needed.
  std::ofstream(dir.file("interfaces/door.yaml")) << kDoorItf;
  std::vector<std::string> ids;
  for (auto until = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < until;) {
    ids = deviceIds(api);  // each a real round trip through the API and network threads
    if (ids.size() == 2) break;
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"cellar", "door"}));
  EXPECT_EQ((*d)->metrics().counter("interface_reloads_total{result=\"ok\"}"), 1u);
  // A broken file: the current interfaces stay, the failure is counted.
  std::ofstream(dir.file("interfaces/door.yaml")) << "- id: \"not-a-uuid\"\n  opts: {}\n";
  (*d)->reloadInterfaces();
  EXPECT_EQ((*d)->metrics().counter("interface_reloads_total{result=\"failed\"}"), 1u);
  EXPECT_EQ(deviceIds(api), (std::vector<std::string>{"cellar", "door"}));
  // A file removed: its interfaces go.
  std::filesystem::remove(dir.file("interfaces/door.yaml"));
  (*d)->reloadInterfaces();
  EXPECT_EQ(deviceIds(api), (std::vector<std::string>{"cellar"}));
}

TEST(Operations, SighupReloadsAndTheLogNeverShowsAKeyOrToken) {
  testsupport::TempDir dir;
  setenv("LB_OPS_ADMIN_TOKEN", "ops-admin-token-5f1e0c2d9a", 1);
  auto writeConfig = [&](bool withDoor) {
    std::ofstream(dir.file("bridge.yaml"))
        << R"(
listen: { udp: "127.0.0.1:0", api: "127.0.0.1:0" }
store: { path: ")"
        << dir.file("bridge.db") << R"(" }
api: { tokens: [ { token: "${LB_OPS_ADMIN_TOKEN}", roles: [org-admin] } ] }
interfaces:
)"
        << R"(  - { id: "68e8e794-1abe-45d6-a63e-158ed5d611ef", device_id_or_slug: "cellar",
      opts: { device_type: abp, device_address: "26011BDA", network_session_key: "2B7E151628AED2A6ABF7158809CF4F3C",
              app_session_key: "3C4FCF098815F7ABA6D2AE2816157E2B" } }
)"
        << (withDoor
                ? R"(  - { id: "0b9b5b8c-6f0e-4f43-9d5e-1f4a2f6c2a01", device_id_or_slug: "door",
      opts: { device_type: abp, device_address: "26011BDB", network_session_key: "000102030405060708090A0B0C0D0E0F",
              app_session_key: "0F0E0D0C0B0A09080706050403020100" } }
)"
                : "");
  };
  writeConfig(false);
  testsupport::BridgeProcess bridge(dir.file("bridge.yaml"));
  ASSERT_TRUE(bridge.waitStarted().has_value()) << bridge.log();
  const uint16_t api = *bridge.apiPort();
  const std::string token = "ops-admin-token-5f1e0c2d9a";
  writeConfig(true);
  bridge.signal(SIGHUP);
  ASSERT_TRUE(bridge.waitForLog("event=interfaces_reloaded trigger=SIGHUP")) << bridge.log();
  EXPECT_EQ(deviceIds(api, token), (std::vector<std::string>{"cellar", "door"}));
  // Keys through the API, a wrong token, a bad key: the log names things, never shows them.
  auto created = testsupport::httpRequest(
      api, "POST", "/devices/garage/interfaces",
      R"({"interface":{"opts":{"device_type":"otaa","device_eui":"0011223344556677","eui":"70B3D57ED00000DC",)"
      R"("device_key":"A1B2C3D4E5F60718293A4B5C6D7E8F90"}}})",
      token);
  EXPECT_EQ(created.status, 200u) << created.body;
  EXPECT_EQ(testsupport::httpRequest(api, "GET", "/devices", "", "wrong-token-123").status, 401u);
  EXPECT_EQ(
      testsupport::httpRequest(
          api, "POST", "/devices/garage/interfaces",
          R"({"interface":{"opts":{"device_type":"abp","device_address":"26011BDC",)"
          R"("network_session_key":"A1B2C3D4E5F60718293A4B5C6D7E8F9","app_session_key":"x"}}})",
          token)
          .status,
      400u);
  bridge.signal(SIGTERM);
  bridge.waitForLog("event=bridge_stopped");
  const std::string& log = bridge.log();
  for (const char* secret :
       {"2B7E151628AED2A6ABF7158809CF4F3C", "2b7e151628aed2a6abf7158809cf4f3c",
        "000102030405060708090A0B0C0D0E0F", "000102030405060708090a0b0c0d0e0f",
        "A1B2C3D4E5F60718293A4B5C6D7E8F90", "a1b2c3d4e5f60718293a4b5c6d7e8f90",
        "A1B2C3D4E5F60718293A4B5C6D7E8F9", "ops-admin-token-5f1e0c2d9a", "wrong-token-123"})
    EXPECT_EQ(log.find(secret), std::string::npos) << "the log shows " << secret;
  EXPECT_NE(log.find("event=interface_created"), std::string::npos);
}

TEST(Operations, MetricsHistogramsGaugesAndHealthz) {
  testsupport::TempDir dir;
  uint16_t downPort;
  {
    PlatformSink probe("127.0.0.1", 0);
    downPort = probe.port();
  }
  config::Config c;
  c.udpListen = {"127.0.0.1", 0};
  c.apiListen = {"127.0.0.1", 0};
  c.dedupWindowMs = 20;
  c.storePath = dir.file("bridge.db");
  c.platform = config::PlatformConfig{
      "http://127.0.0.1:" + std::to_string(downPort), "t", 500, 0, "", std::nullopt};
  auto itf = testsupport::abpInterface("68e8e794-1abe-45d6-a63e-158ed5d611ef", "cellar",
                                       testsupport::kCellar);
  itf.codec.type = "cayenne_lpp";
  itf.codecs = codecs::CodecSet::build(itf.codec).value();
  c.interfaces = {itf};
  auto d = Daemon::create(c);
  ASSERT_TRUE(d.has_value()) << d.error();
  (*d)->start();
  const uint16_t api = (*d)->apiPort();
  testsupport::FakeForwarder fwd((*d)->udpPort(), lorawan::Eui64(0xAA555A0000000001));
  ASSERT_TRUE(fwd.push(testsupport::pushBody(testsupport::buildUplink(testsupport::kCellar, 1, 1,
                                                                      {0x03, 0x67, 0x01, 0x10})),
                       1));
  // The platform is down: healthz stays 200 (the outbox keeps everything) and says so.
  json health;
  for (auto until = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < until;) {
    health = json::parse(testsupport::httpRequest(api, "GET", "/healthz").body);
    if (health["body"]["platformReachable"] == false) break;
  }
  EXPECT_EQ(health["status"], 200);
  EXPECT_EQ(health["body"]["platformReachable"], false);
  EXPECT_NE(health["body"]["platformLastError"].get<std::string>().find("refused"),
            std::string::npos)
      << health.dump();
  EXPECT_EQ(health["body"]["outbox"]["rows"], 1);
  const std::string m = testsupport::httpRequest(api, "GET", "/metrics").body;
  for (const char* want :
       {"# TYPE lorawan_bridge_codec_seconds histogram", "lorawan_bridge_codec_seconds_count 1",
        "lorawan_bridge_codec_seconds_bucket{le=\"+Inf\"} 1", "lorawan_bridge_outbox_rows 1",
        "lorawan_bridge_gateway_last_seen_seconds{gateway=\"aa555a0000000001\"}",
        "lorawan_bridge_sessions 1", "lorawan_bridge_uplinks_accepted_total 1"})
    EXPECT_NE(m.find(want), std::string::npos) << want << "\n" << m;
  // The platform comes back: reachable again, and its answer times are a histogram.
  PlatformSink sink("127.0.0.1", downPort);
  ASSERT_TRUE(sink.waitForRequests(1, 10s));
  for (auto until = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < until;) {
    health = json::parse(testsupport::httpRequest(api, "GET", "/healthz").body);
    if (health["body"]["platformReachable"] == true && health["body"]["outbox"]["rows"] == 0) break;
  }
  EXPECT_EQ(health["body"]["platformReachable"], true);
  EXPECT_NE(testsupport::httpRequest(api, "GET", "/metrics")
                .body.find("lorawan_bridge_platform_request_seconds_count 1"),
            std::string::npos);
  // Oversized and malformed requests get clear errors.
  auto huge =
      testsupport::httpRequest(api, "POST", "/devices/cellar/downlinks", std::string(70000, 'x'));
  EXPECT_EQ(huge.status, 413u);
  EXPECT_NE(huge.body.find("65536"), std::string::npos);
  EXPECT_EQ(
      testsupport::httpRequest(api, "POST", "/devices/cellar/downlinks", "{\"fPort\":").status,
      400u);
  EXPECT_EQ(testsupport::httpRequest(api, "GET", "/nothing/here").status, 404u);
}

}  // namespace

namespace {

// A full store (here its size bound) makes /healthz answer 503 with the reason; the uplinks
// accepted meanwhile are kept in memory, not dropped.
TEST(Operations, AFullStoreIsUnhealthyAndLosesNothing) {
  testsupport::TempDir dir;
  config::Config c;
  c.udpListen = {"127.0.0.1", 0};
  c.apiListen = {"127.0.0.1", 0};
  c.dedupWindowMs = 1;
  c.storePath = dir.file("bridge.db");
  c.storeMaxMb = 1;
  c.interfaces = {testsupport::abpInterface("68e8e794-1abe-45d6-a63e-158ed5d611ef", "cellar",
                                            testsupport::kCellar)};
  auto d = Daemon::create(c);
  ASSERT_TRUE(d.has_value()) << d.error();
  (*d)->start();
  const uint16_t api = (*d)->apiPort();
  testsupport::FakeForwarder fwd((*d)->udpPort(), lorawan::Eui64(0xAA555A0000000001));
  const lorawan::Bytes payload(200, 0x41);
  testsupport::HttpResult health;
  uint32_t sent = 0;
  while (sent < 5000) {
    ++sent;
    ASSERT_TRUE(fwd.push(
        testsupport::pushBody(testsupport::buildUplink(testsupport::kCellar, sent, 1, payload)),
        uint16_t(sent)));
    if (sent % 200 == 0 &&
        (health = testsupport::httpRequest(api, "GET", "/healthz")).status == 503)
      break;
  }
  ASSERT_EQ(health.status, 503u) << health.body;
  EXPECT_NE(json::parse(health.body)["body"]["store"].get<std::string>().find("full"),
            std::string::npos)
      << health.body;
  // Every uplink was still accepted (counted), none rejected.
  for (auto until = std::chrono::steady_clock::now() + 10s;
       (*d)->metrics().counter("uplinks_accepted_total") < sent &&
       std::chrono::steady_clock::now() < until;)
    fwd.pull(1);
  EXPECT_EQ((*d)->metrics().counter("uplinks_accepted_total"), sent);
}

}  // namespace
