// The real binary killed with SIGKILL mid-traffic, then restarted on the same SQLite file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "bridge/platform_sink.hpp"
#include "lorawan/base64.hpp"
#include "lorawan/join_accept.hpp"
#include "lorawan/phy_payload.hpp"
#include "lorawan/security.hpp"
#include "support/bridge_process.hpp"
#include "support/devices.hpp"
#include "support/fake_forwarder.hpp"
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
  auto phy = lorawan::parsePhyPayload(lorawan::base64Decode(txpk["data"].get<std::string>()).value()).value();
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
store: { path: ")" << dir.file("state/bridge.db") << R"(" }
platform: { base_url: ")" << sink.baseUrl() << R"(", token: "t" }
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
    Bytes jr = testsupport::buildJoinRequest(kAppKey, lorawan::Eui64(0x70B3D57ED00000DC), lorawan::Eui64(0x00AFEE7CF5ED6F1E), 77);
    ASSERT_TRUE(fwd.push(testsupport::pushBody(jr), 2));
    auto accept = fwd.pullResp();
    ASSERT_TRUE(accept.has_value());
    auto txpk = json::parse(accept->begin() + 4, accept->end())["txpk"];
    auto ja = lorawan::openJoinAccept(lorawan::base64Decode(txpk["data"].get<std::string>()).value(), kAppKey).value();
    auto keys = lorawan::deriveSessionKeys10(kAppKey, ja.payload.joinNonce, ja.payload.netId, 77);
    joined = {ja.payload.devAddr, keys.nwkSKey, keys.appSKey};
    // Confirmed uplinks: each ACK uses a new FCntDown.
    for (uint32_t f = 1; f <= 3; ++f) {
      ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, f, 1, {uint8_t(f)}, true)), uint16_t(10 + f)));
      auto ack = fwd.pullResp();
      ASSERT_TRUE(ack.has_value());
      lastFCntDown = fcntDownOf(*ack);
    }
    ASSERT_TRUE(sink.waitForRequests(4, 10s));  // join event + 3 uplinks delivered
    // Traffic still flowing when the process dies.
    for (uint32_t f = 4; f <= 40; ++f)
      fwd.sendRaw(lorawan::semtech::makePushData(2, uint16_t(f), kGw, testsupport::pushBody(buildUplink(kCellar, f, 1, {uint8_t(f)}))));
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
      idsPerFrame[b["deviceIdOrSlug"].get<std::string>() + "#" + std::to_string(b["fCnt"].get<int>())].insert(r.idempotencyKey);
    }
    if (b.value("deviceIdOrSlug", "") == "otaa-node" && !b.contains("type")) {
      EXPECT_EQ(b["data"], "b2s=");
    }
  }
  // At-least-once: a frame may arrive twice, but always as the same event (same id); the replay
  // after the restart never became a new one.
  for (const auto& [frame, ids] : idsPerFrame) EXPECT_EQ(ids.size(), 1u) << frame << " forwarded as different events";
  // A new confirmed uplink is ACKed with a downlink counter never used before the kill.
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 100, 1, {100}, true)), 4));
  std::optional<Bytes> ack;
  while ((ack = fwd.pullResp())) {
    if (fcntDownOf(*ack) > lastFCntDown) break;
    ADD_FAILURE() << "FCntDown " << fcntDownOf(*ack) << " reused (last before kill " << lastFCntDown << ")";
  }
  ASSERT_TRUE(ack.has_value());
}

}  // namespace
