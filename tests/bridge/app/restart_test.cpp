// The real binary killed with SIGKILL mid-traffic, then restarted on the same SQLite file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "bridge/store/sqlite_store.hpp"
#include "bridge/tools/platform_sink.hpp"
#include "bridge/tools/simulate.hpp"
#include "lorawan/base64.hpp"
#include "lorawan/join_accept.hpp"
#include "lorawan/phy_payload.hpp"
#include "lorawan/security.hpp"
#include "support/bridge_process.hpp"
#include "support/devices.hpp"
#include "support/fake_forwarder.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

using namespace std::chrono_literals;
using lorawan::Bytes;
using nlohmann::json;
using testsupport::buildUplink;
using testsupport::kCellar;

namespace {

const auto kAppKey = lorawan::Aes128Key::parse("B6B53F4A168A7A88BDF7EA135CE9CFCA").value();
const lorawan::Eui64 kGw(0xAA555A0000000001);

uint16_t fcntDownOf(const Bytes& pullResp) {
  auto txpk = json::parse(pullResp.begin() + 4, pullResp.end())["txpk"];
  auto phy =
      lorawan::parsePhyPayload(lorawan::base64Decode(txpk["data"].get<std::string>()).value())
          .value();
  return std::get<lorawan::MacPayload>(phy.payload).fhdr.fcnt;
}

}  // namespace
namespace {

TEST(Restart, SigkillMidTrafficKeepsSessionsCountersAndDownlinkCounters) {
  testsupport::TempDir dir;
  bridge::PlatformSink sink("127.0.0.1", 0);
  std::ofstream(dir.file("bridge.yaml")) << R"(
listen: { udp: "127.0.0.1:0", api: "127.0.0.1:0" }
network: { net_id: "000013", dedup_window_ms: 20 }
store: { path: ")" << dir.file("state/bridge.db")
                                         << R"(" }
platform: { base_url: ")" << sink.baseUrl()
                                         << R"(", token: "t" }
interfaces:
  - id: "68e8e794-1abe-45d6-a63e-158ed5d611ef"
    device_id_or_slug: "cellar"
    opts: { device_type: abp, device_address: "26011BDA",
            network_session_key: "2B7E151628AED2A6ABF7158809CF4F3C",
            app_session_key: "3C4FCF098815F7ABA6D2AE2816157E2B" }
  - id: "44444444-4444-4444-8444-444444444444"
    device_id_or_slug: "otaa-node"
    opts: { device_type: otaa, device_eui: "00AFEE7CF5ED6F1E", eui: "70B3D57ED00000DC",
            device_key: "B6B53F4A168A7A88BDF7EA135CE9CFCA" }
)";
  testsupport::AbpDevice joined;
  uint16_t lastFCntDown = 0;
  {
    testsupport::BridgeProcess bridge(dir.file("bridge.yaml"));
    auto port = bridge.waitStarted();
    ASSERT_TRUE(port.has_value()) << bridge.log();
    struct stat st {};
    ASSERT_EQ(::stat(dir.file("state/bridge.db").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);  // keys live in this file
    testsupport::FakeForwarder fwd(*port, kGw);
    ASSERT_TRUE(fwd.pull(1));
    Bytes jr = testsupport::buildJoinRequest(kAppKey, lorawan::Eui64(0x70B3D57ED00000DC),
                                             lorawan::Eui64(0x00AFEE7CF5ED6F1E), 77);
    ASSERT_TRUE(fwd.push(testsupport::pushBody(jr), 2));
    auto accept = fwd.pullResp();
    ASSERT_TRUE(accept.has_value());
    auto txpk = json::parse(accept->begin() + 4, accept->end())["txpk"];
    auto ja = lorawan::openJoinAccept(
                  lorawan::base64Decode(txpk["data"].get<std::string>()).value(), kAppKey)
                  .value();
    auto keys = lorawan::deriveSessionKeys10(kAppKey, ja.payload.joinNonce, ja.payload.netId, 77);
    joined = {ja.payload.devAddr, keys.nwkSKey, keys.appSKey};
    // Confirmed uplinks: each ACK uses a new FCntDown.
    for (uint32_t f = 1; f <= 3; ++f) {
      ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, f, 1, {uint8_t(f)}, true)),
                           uint16_t(10 + f)));
      auto ack = fwd.pullResp();
      ASSERT_TRUE(ack.has_value());
      lastFCntDown = fcntDownOf(*ack);
    }
    ASSERT_TRUE(sink.waitForRequests(4, 10s));  // join event + 3 uplinks delivered
    // Traffic still flowing when the process dies.
    for (uint32_t f = 4; f <= 40; ++f)
      fwd.sendRaw(lorawan::semtech::makePushData(
          2, uint16_t(f), kGw, testsupport::pushBody(buildUplink(kCellar, f, 1, {uint8_t(f)}))));
    bridge.kill9();
  }
  const size_t before = sink.requests().size();
  testsupport::BridgeProcess bridge(dir.file("bridge.yaml"));
  auto port = bridge.waitStarted();
  ASSERT_TRUE(port.has_value()) << bridge.log();
  testsupport::FakeForwarder fwd(*port, kGw);
  ASSERT_TRUE(fwd.pull(1));
  // A frame the platform already has is a replay now.
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 3, 1, {3}, true)), 2));
  // The OTAA device keeps its session: no rejoin needed.
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(joined, 1, 2, {'o', 'k'})), 3));
  // The outbox first re-delivers what the killed process had not confirmed; then the new uplink.
  bool otaaSeen = false;
  for (size_t n = before + 1; !otaaSeen && sink.waitForRequests(n, 10s); ++n)
    otaaSeen = json::parse(sink.requests()[n - 1].body).value("deviceIdOrSlug", "") == "otaa-node";
  ASSERT_TRUE(otaaSeen);
  std::map<std::string, std::set<std::string>> idsPerFrame;
  for (const auto& r : sink.requests()) {
    auto b = json::parse(r.body);
    if (b.contains("fCnt") && !b.contains("type")) {
      idsPerFrame[b["deviceIdOrSlug"].get<std::string>() + "#" +
                  std::to_string(b["fCnt"].get<int>())]
          .insert(r.idempotencyKey);
    }
    if (b.value("deviceIdOrSlug", "") == "otaa-node" && !b.contains("type")) {
      EXPECT_EQ(b["data"], "b2s=");
    }
  }
  // At-least-once: a frame may arrive twice, but always as the same event (same id); the replay
  // after the restart never became a new one.
  for (const auto& [frame, ids] : idsPerFrame)
    EXPECT_EQ(ids.size(), 1u) << frame << " forwarded as different events";
  // A new confirmed uplink is ACKed with a downlink counter never used before the kill.
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 100, 1, {100}, true)), 4));
  std::optional<Bytes> ack;
  while ((ack = fwd.pullResp())) {
    if (fcntDownOf(*ack) > lastFCntDown) break;
    ADD_FAILURE() << "FCntDown " << fcntDownOf(*ack) << " reused (last before kill " << lastFCntDown
                  << ")";
  }
  ASSERT_TRUE(ack.has_value());
}

}  // namespace

namespace {

// Issue 5's hardest case: the platform is down the whole time uplinks arrive, the bridge is
// killed with SIGKILL, restarted, and only then the platform comes back.
TEST(Restart, PlatformDownThenSigkillThenRecoveryDeliversEveryAcceptedUplinkInOrder) {
  testsupport::TempDir dir;
  uint16_t platformPort;
  {
    bridge::PlatformSink probe("127.0.0.1", 0);
    platformPort = probe.port();  // then nothing listens there: the platform is down
  }
  std::ofstream(dir.file("bridge.yaml"))
      << R"(
listen: { udp: "127.0.0.1:0", api: "127.0.0.1:0" }
network: { dedup_window_ms: 20 }
store: { path: ")"
      << dir.file("bridge.db") << R"(" }
platform: { base_url: "http://127.0.0.1:)"
      << platformPort << R"(/api", token: "t", max_backoff_ms: 200, timeout_ms: 500 }
interfaces:
  - id: "68e8e794-1abe-45d6-a63e-158ed5d611ef"
    device_id_or_slug: "cellar"
    opts: { device_type: abp, device_address: "26011BDA",
            network_session_key: "2B7E151628AED2A6ABF7158809CF4F3C",
            app_session_key: "3C4FCF098815F7ABA6D2AE2816157E2B" }
  - id: "0b9b5b8c-6f0e-4f43-9d5e-1f4a2f6c2a01"
    device_id_or_slug: "door"
    opts: { device_type: abp, device_address: "26011BDB",
            network_session_key: "000102030405060708090A0B0C0D0E0F",
            app_session_key: "0F0E0D0C0B0A09080706050403020100" }
)";
  const testsupport::AbpDevice* devices[] = {&kCellar, &testsupport::kDoor};
  {
    testsupport::BridgeProcess bridge(dir.file("bridge.yaml"));
    auto port = bridge.waitStarted();
    ASSERT_TRUE(port.has_value()) << bridge.log();
    testsupport::FakeForwarder fwd(*port, kGw);
    uint16_t token = 1;
    for (uint32_t f = 1; f <= 15; ++f)
      for (const auto* d : devices)
        ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(*d, f, 1, {uint8_t(f)})), token++));
    // Until those 30 are accepted (their windows closed and committed); asked over the API.
    const auto apiAt = bridge.log().find("api=127.0.0.1:");
    ASSERT_NE(apiAt, std::string::npos);
    const uint16_t api = uint16_t(std::stoi(bridge.log().substr(apiAt + 14)));
    std::string metrics;
    for (auto until = std::chrono::steady_clock::now() + 10s;
         metrics.find("lorawan_bridge_uplinks_accepted_total 30") == std::string::npos &&
         std::chrono::steady_clock::now() < until;)
      metrics = testsupport::httpRequest(api, "GET", "/metrics").body;
    ASSERT_NE(metrics.find("lorawan_bridge_uplinks_accepted_total 30"), std::string::npos)
        << metrics;
    // More traffic still arriving when the process dies.
    for (uint32_t f = 16; f <= 30; ++f)
      for (const auto* d : devices)
        fwd.sendRaw(lorawan::semtech::makePushData(
            2, token++, kGw, testsupport::pushBody(buildUplink(*d, f, 1, {uint8_t(f)}))));
    bridge.kill9();
  }
  // What the killed process accepted is exactly what its outbox holds (nothing was delivered).
  std::map<std::string, std::vector<int>> accepted;
  size_t acceptedCount = 0;
  {
    auto store = bridge::SqliteStore::open(dir.file("bridge.db")).value();
    for (const auto& e : store->loadOutbox()) {
      auto b = json::parse(e.body);
      accepted[b["deviceIdOrSlug"].get<std::string>()].push_back(b["fCnt"].get<int>());
      ++acceptedCount;
    }
  }
  ASSERT_GE(acceptedCount, 30u);  // at least the 15 + 15 that were acknowledged and windows closed
  // Restarted while the platform is still down; then it comes back.
  testsupport::BridgeProcess bridge(dir.file("bridge.yaml"));
  ASSERT_TRUE(bridge.waitStarted().has_value()) << bridge.log();
  bridge::PlatformSink sink("127.0.0.1", platformPort);
  ASSERT_TRUE(sink.waitForRequests(acceptedCount, 20s))
      << sink.requests().size() << " of " << acceptedCount;
  std::map<std::string, std::vector<int>> arrived;  // first arrival of each frame, per device
  std::map<std::string, std::set<std::string>> idsPerFrame;
  for (const auto& r : sink.requests()) {
    auto b = json::parse(r.body);
    const std::string device = b["deviceIdOrSlug"];
    const int fcnt = b["fCnt"];
    EXPECT_EQ(r.idempotencyKey, b["id"].get<std::string>());
    auto& ids = idsPerFrame[device + "#" + std::to_string(fcnt)];
    if (ids.empty()) arrived[device].push_back(fcnt);
    ids.insert(r.idempotencyKey);
  }
  EXPECT_EQ(arrived, accepted);  // none missing, none extra, in accepted order per device
  for (const auto& [device, fcnts] : arrived)
    EXPECT_TRUE(std::is_sorted(fcnts.begin(), fcnts.end())) << device;
  for (const auto& [frame, ids] : idsPerFrame)
    EXPECT_EQ(ids.size(), 1u) << frame << " arrived as different events";
}

}  // namespace

namespace {

// Under load: the real binary fed by the load generator (100 devices, two gateways, 4000
// uplinks/s) is killed with SIGKILL mid-stream. Every uplink its log reported accepted (the
// line is written once the uplink is durable) reaches the platform after the restart, as one
// event per frame; and no counter moved back: the same frames sent again are replays.
TEST(Restart, SigkillUnderLoadLosesNoAcceptedUplinkAndNoCounterMovesBack) {
  testsupport::TempDir dir;
  bridge::PlatformSink sink("127.0.0.1", 0);
  const auto devices = bridge::generateDevices(100, 3);
  std::filesystem::create_directories(dir.file("interfaces"));
  std::ofstream(dir.file("interfaces/fleet.json")) << bridge::interfacesJson(devices);
  std::ofstream(dir.file("bridge.yaml"))
      << "listen: { udp: \"127.0.0.1:0\", api: \"127.0.0.1:0\" }\n"
      << "network: { dedup_window_ms: 20 }\n"
      << "store: { path: \"" << dir.file("bridge.db") << "\" }\n"
      << "platform: { base_url: \"" << sink.baseUrl() << "\", token: \"t\" }\n"
      << "interfaces_dir: \"interfaces\"\n"
      << "gateways: { rate_per_source: 1000000 }\n";
  auto simulate = [&](uint16_t port, uint64_t count, double rate) {
    bridge::SimulateOptions o;
    o.target = "127.0.0.1:" + std::to_string(port);
    o.devices = devices;
    o.gateways = 2;
    o.copies = 2;
    o.rate = rate;
    o.count = count;
    o.durationS = 20;
    o.progressEveryS = 0;
    o.ackTimeout = 200ms;
    std::ostringstream quiet;
    return bridge::runSimulation(o, quiet);
  };
  std::set<std::string> accepted;
  {
    testsupport::BridgeProcess bridge(dir.file("bridge.yaml"));
    auto port = bridge.waitStarted();
    ASSERT_TRUE(port.has_value()) << bridge.log();
    std::thread load([&] { simulate(*port, 8000, 4000); });
    // Its log is read all along (a full pipe would stall it), until uplinks reach the platform.
    for (auto until = std::chrono::steady_clock::now() + 20s;
         !sink.waitForRequests(1500, 1ms) && std::chrono::steady_clock::now() < until;)
      bridge.waitForLog("\x01", 20ms);
    bridge.kill9();
    bridge.waitForLog("\x01", 2s);  // the rest of what it wrote, up to its end
    load.join();
    const std::string& log = bridge.log();
    for (size_t at = log.find("event=uplink_accepted"); at != std::string::npos;
         at = log.find("event=uplink_accepted", at + 1)) {
      const size_t id = log.find(" id=", at);
      const size_t eol = log.find('\n', at);
      if (id == std::string::npos || eol == std::string::npos || id > eol) continue;  // cut off
      accepted.insert(log.substr(id + 4, eol - id - 4));
    }
  }
  // 1500 had reached the platform; the log's info lines of the last few milliseconds die with
  // the process (they are written every 5 ms), so fewer may be in it.
  ASSERT_GE(accepted.size(), 1000u);
  ASSERT_LT(accepted.size(), 8000u) << "the kill came after the load";

  testsupport::BridgeProcess bridge(dir.file("bridge.yaml"));
  auto port = bridge.waitStarted();
  ASSERT_TRUE(port.has_value()) << bridge.log();
  auto missing = [&] {
    std::set<std::string> left = accepted;
    for (const auto& r : sink.requests()) left.erase(r.idempotencyKey);
    return left.size();
  };
  for (auto until = std::chrono::steady_clock::now() + 20s;
       missing() > 0 && std::chrono::steady_clock::now() < until;)
    sink.waitForRequests(sink.requests().size() + 1, 100ms);
  EXPECT_EQ(missing(), 0u) << "of " << accepted.size() << " accepted before the kill";
  std::map<std::string, std::set<std::string>> idsPerFrame;
  for (const auto& r : sink.requests()) {
    auto b = json::parse(r.body);
    idsPerFrame[b["deviceIdOrSlug"].get<std::string>() + "#" + std::to_string(b["fCnt"].get<int>())]
        .insert(r.idempotencyKey);
  }
  for (const auto& [frame, ids] : idsPerFrame)
    EXPECT_EQ(ids.size(), 1u) << frame << " forwarded as different events";

  // The first frames again (counters 1..): every one was accepted before, none may pass now.
  const auto api = bridge.apiPort();
  ASSERT_TRUE(api.has_value());
  auto report = simulate(*port, 200, 2000);
  EXPECT_EQ(report.pushAcks, report.datagrams);
  std::string metrics;
  for (auto until = std::chrono::steady_clock::now() + 10s;
       metrics.find("uplinks_rejected_total{reason=\"replay\"} 200") == std::string::npos &&
       std::chrono::steady_clock::now() < until;) {
    bridge.waitForLog("\x01", 20ms);
    metrics = testsupport::httpRequest(*api, "GET", "/metrics").body;
  }
  EXPECT_NE(metrics.find("uplinks_rejected_total{reason=\"replay\"} 200"), std::string::npos)
      << metrics;
  // The counter is shown from the start, at 0 until a frame passes.
  EXPECT_NE(metrics.find("lorawan_bridge_uplinks_accepted_total 0\n"), std::string::npos)
      << "a frame passed again";
}

}  // namespace
