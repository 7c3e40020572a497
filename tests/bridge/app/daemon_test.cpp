// End to end over loopback: the real daemon, a fake packet forwarder (UDP) and the platform
// double (real HTTP). Waits are on conditions, never fixed sleeps.
#include "bridge/app/daemon.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bridge/core/metrics.hpp"
#include "bridge/tools/platform_sink.hpp"
#include "bridge/tools/replay.hpp"
#include "codecs/codec.hpp"
#include "lorawan/base64.hpp"
#include "lorawan/join_accept.hpp"
#include "lorawan/security.hpp"
#include "support/devices.hpp"
#include "support/fake_forwarder.hpp"
#include "support/frames.hpp"
#include "support/http_client.hpp"
#include "support/sqlite_lock.hpp"
#include "support/temp_dir.hpp"

using namespace bridge;
using namespace std::chrono_literals;
using lorawan::Bytes;
using nlohmann::json;
using testsupport::AbpDevice;
using testsupport::buildUplink;

namespace {

using testsupport::kCellar;
using testsupport::kDoor;

config::Interface itf(const std::string& id, const std::string& slug, const AbpDevice& d) {
  config::Interface i = testsupport::abpInterface(id, slug, d);
  i.driverInstanceId = "9cf80c6a-1669-4cbf-96d0-9eefb707d294";
  i.opts.deviceEui = lorawan::Eui64(0x70B3D57ED0000001);
  return i;
}

class DaemonTest : public ::testing::Test {
 protected:
  DaemonTest() : sink("127.0.0.1", 0) {}

  config::Config makeConfig() {
    config::Config c;
    c.udpListen = {"127.0.0.1", 0};
    c.apiListen = {"127.0.0.1", 0};
    c.region = "EU868";
    c.dedupWindowMs = 50;
    c.lateCopyMemoryMs = 60000;
    c.storePath = dir.file("state/bridge.db");
    c.platform =
        config::PlatformConfig{sink.baseUrl() + "/api", "ns-token", 2000, 4, "", std::nullopt};
    c.interfaces = {itf("68e8e794-1abe-45d6-a63e-158ed5d611ef", "cellar-sensor", kCellar),
                    itf("0b9b5b8c-6f0e-4f43-9d5e-1f4a2f6c2a01", "door sensor/1", kDoor)};
    return c;
  }

  void startDaemon() {
    auto d = Daemon::create(makeConfig());
    ASSERT_TRUE(d.has_value()) << d.error();
    daemon = std::move(*d);
    daemon->start();
  }

  std::vector<json> bodies() {
    std::vector<json> out;
    for (const auto& r : sink.requests()) out.push_back(json::parse(r.body));
    return out;
  }

  testsupport::TempDir dir;
  PlatformSink sink;
  std::unique_ptr<Daemon> daemon;
};

std::string captureLine(const char* gw, const Bytes& phy, double rssi = -60, double snr = 5) {
  return std::string("{\"gateway\":\"") + gw + "\",\"rxpk\":[" +
         testsupport::rxpkJson(phy, 1000, rssi, snr) + "]}\n";
}

TEST_F(DaemonTest, ReplayedCaptureReachesThePlatformExactly) {
  startDaemon();
  Bytes f65536 = buildUplink(kCellar, 65536, 3, {'c'});
  std::ofstream cap(dir.file("capture.jsonl"));
  cap << "# a capture as the replay tool reads it\n";
  cap << captureLine("AA555A0000000001", buildUplink(kCellar, 65534, 3, {'a'}));
  cap << captureLine("AA555A0000000001", buildUplink(kCellar, 65535, 3, {'b'}));
  cap << captureLine("AA555A0000000001", f65536, -110, -4.5);
  cap << captureLine("AA555A0000000002", f65536, -40, 9.5);  // second gateway, same frame
  cap << captureLine("AA555A0000000001", buildUplink(kCellar, 65535, 3, {'X'}));  // counter reused
  Bytes forged = buildUplink(kCellar, 65537, 3, {'f'});
  forged[9] ^= 0x55;
  cap << captureLine("AA555A0000000001", forged);  // bad MIC
  cap << captureLine(
      "AA555A0000000001",
      buildUplink({lorawan::DevAddr(0x11223344), kCellar.nwkSKey, kCellar.appSKey}, 1, 1, {'u'}));
  cap << captureLine("AA555A0000000001", buildUplink(kDoor, 1, 2, {'o', 'p', 'e', 'n'}));
  cap << captureLine("AA555A0000000001", buildUplink(kCellar, 65537, 3, {'d'}));
  cap.close();

  std::ostringstream progress;
  auto result = replayCapture("127.0.0.1:" + std::to_string(daemon->udpPort()),
                              dir.file("capture.jsonl"), progress,
                              /*realTime=*/false);
  EXPECT_EQ(result.sent, 9u);
  EXPECT_EQ(result.acked, 9u);
  EXPECT_NE(progress.str().find("9 sent, 9 acked"), std::string::npos);

  // The platform client delivers in order: once the last accepted uplink is there, all are.
  ASSERT_TRUE(sink.waitForRequests(5, 10s));
  auto reqs = sink.requests();
  ASSERT_EQ(reqs.size(), 5u);
  auto b = bodies();
  std::vector<uint32_t> fcnts;
  std::string cellarData;
  for (size_t i = 0; i < reqs.size(); ++i) {
    EXPECT_EQ(reqs[i].method, "POST");
    EXPECT_EQ(reqs[i].authorization, "Bearer ns-token");
    EXPECT_EQ(reqs[i].idempotencyKey, b[i]["id"].get<std::string>());
    if (b[i]["deviceIdOrSlug"] == "cellar-sensor") {
      EXPECT_EQ(reqs[i].target, "/api/devices/cellar-sensor/data");
      fcnts.push_back(b[i]["fCnt"]);
      cellarData += lorawan::base64Decode(b[i]["data"].get<std::string>()).value()[0];
    } else {
      EXPECT_EQ(reqs[i].target, "/api/devices/door%20sensor%2F1/data");
      EXPECT_EQ(b[i]["data"], "b3Blbg==");
      EXPECT_EQ(b[i]["fPort"], 2);
    }
  }
  EXPECT_EQ(fcnts, (std::vector<uint32_t>{65534, 65535, 65536, 65537}));
  EXPECT_EQ(cellarData, "abcd");
  // The frame heard by two gateways is one event with two rx entries, best gateway first.
  for (const auto& e : b) {
    if (e["fCnt"] != 65536) continue;
    ASSERT_EQ(e["rx"].size(), 2u);
    EXPECT_EQ(e["rx"][0]["gatewayEui"], "aa555a0000000002");
    EXPECT_EQ(e["rx"][0]["snr"], 9.5);
    EXPECT_EQ(e["rx"][1]["rssi"], -110);
    EXPECT_EQ(e["devEui"], "70b3d57ed0000001");
    EXPECT_EQ(e["driverInstanceId"], "9cf80c6a-1669-4cbf-96d0-9eefb707d294");
  }
  auto& m = daemon->metrics();
  EXPECT_EQ(m.counter("uplinks_rejected_total{reason=\"replay\"}"), 1u);
  EXPECT_EQ(m.counter("uplinks_rejected_total{reason=\"bad_mic\"}"), 1u);
  EXPECT_EQ(m.counter("uplinks_rejected_total{reason=\"unknown_devaddr\"}"), 1u);
  EXPECT_EQ(m.counter("uplinks_accepted_total"), 5u);
}

// 30+ kinds of malformed input; after each one the daemon must still answer PULL_DATA, and at
// the end a valid uplink must still reach the platform.
TEST_F(DaemonTest, MalformedDatagramsNeverStopTheDaemon) {
  startDaemon();
  testsupport::FakeForwarder fwd(daemon->udpPort(), lorawan::Eui64(0xAA555A0000000001));
  const lorawan::Eui64 gw(0xAA555A0000000001);
  auto push = [&](const std::string& body) {
    return lorawan::semtech::makePushData(2, 7, gw, body);
  };
  auto rxpk = [](const std::string& fields) {
    return R"({"rxpk":[{"tmst":1,"freq":868.1,"chan":0,"rfch":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-50,"lsnr":5)" +
           fields + "}]}";
  };
  const std::string good = R"(,"data":"QNobASYAAQAB3NE98fq//vCXT/cZK7M=")";
  std::string deep(60000, '[');
  std::vector<std::pair<std::string, Bytes>> cases = {
      {"empty datagram", {}},
      {"one byte", {2}},
      {"three bytes", {2, 0, 1}},
      {"version 0", {0, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, '{', '}'}},
      {"version 3", {3, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, '{', '}'}},
      {"version 255", {255, 0, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8}},
      {"unknown identifier", {2, 0, 1, 6}},
      {"identifier 0xff", {2, 0, 1, 0xff, 1, 2, 3, 4, 5, 6, 7, 8}},
      {"truncated EUI", {2, 0, 1, 0, 1, 2, 3, 4}},
      {"push without body", {2, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8}},
      {"pull with trailing bytes", {2, 0, 1, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
      {"truncated JSON", push("{\"rxpk\":[")},
      {"JSON null", push("null")},
      {"JSON array", push("[]")},
      {"rxpk object", push(R"({"rxpk":{}})")},
      {"empty rxpk", push(R"({"rxpk":[]})")},
      {"rxpk null entry", push(R"({"rxpk":[null]})")},
      {"rxpk empty object", push(R"({"rxpk":[{}]})")},
      {"bad base64", push(rxpk(R"(,"data":"QN*bASY=")"))},
      {"empty data", push(rxpk(R"(,"data":"")"))},
      {"size mismatch", push(rxpk(R"(,"size":99)" + good))},
      {"huge number", push(R"({"rxpk":[{"tmst":1e400}]})")},
      {"tmst 2^40",
       push(
           R"({"rxpk":[{"tmst":1099511627776,"freq":868.1,"chan":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"AA=="}]})")},
      {"huge integer",
       push(
           R"({"rxpk":[{"tmst":1,"chan":99999999999999999999999,"freq":868.1,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"AA=="}]})")},
      {"negative freq",
       push(
           R"({"rxpk":[{"tmst":1,"freq":-868.1,"chan":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"AA=="}]})")},
      {"rssi string",
       push(
           R"({"rxpk":[{"tmst":1,"freq":868.1,"chan":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":"loud","data":"AA=="}]})")},
      {"unknown modulation",
       push(
           R"({"rxpk":[{"tmst":1,"freq":868.1,"chan":0,"stat":1,"modu":"OOK","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"AA=="}]})")},
      {"stat 5",
       push(
           R"({"rxpk":[{"tmst":1,"freq":868.1,"chan":0,"stat":5,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"AA=="}]})")},
      {"crc error",
       push(
           R"({"rxpk":[{"tmst":1,"freq":868.1,"chan":0,"rfch":0,"stat":-1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-50)" +
           good + "}]}")},
      {"oversized PHYPayload",
       push(rxpk(",\"data\":\"" + lorawan::base64Encode(Bytes(1000, 0x40)) + "\""))},
      {"truncated PHYPayload", push(rxpk(R"(,"data":"QNobASY=")"))},
      {"join request (not yet handled)",
       push(rxpk(R"(,"data":"ANwAANB+1bNwHm/t9XzurwCFzFh/6RM=")"))},
      {"downlink MType from a gateway",
       push(rxpk(R"(,"data":"YNobASYAAQAB3NE98fq//vCXT/cZK7M=")"))},
      {"deep nesting", push(deep)},
      {"NUL bytes in JSON", push(std::string("{\"rxpk\":[\0\0\0]}", 15))},
      {"binary garbage body", push(std::string("\xff\xfe\x00\x01\x80garbage", 12))},
      {"oversized datagram", push("{\"rxpk\":[],\"pad\":\"" + std::string(64000, 'x') + "\"}")},
      {"PULL_RESP from a gateway", lorawan::semtech::makePullResp(2, 1, "{}")},
      {"PUSH_ACK from a gateway", {2, 0, 1, 1}},
      {"TX_ACK with bad JSON", {2, 0, 1, 5, 1, 2, 3, 4, 5, 6, 7, 8, '{', 'x'}},
      {"duplicate keys", push(R"({"rxpk":[],"rxpk":5})")},
  };
  ASSERT_GE(cases.size(), 30u);
  uint16_t token = 100;
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    fwd.sendRaw(bytes);
    // Drain the PUSH_ACK if this datagram earned one, then prove the daemon still answers.
    ASSERT_TRUE(fwd.pull(++token)) << "no PULL_ACK after: " << name;
  }
  EXPECT_GE(daemon->metrics().counter("udp_datagrams_invalid_total{reason=\"rxpk\"}"), 10u);
  EXPECT_GE(daemon->metrics().counter("udp_datagrams_invalid_total{reason=\"version\"}"), 3u);
  EXPECT_GE(daemon->metrics().counter("udp_datagrams_invalid_total{reason=\"json\"}"), 3u);
  EXPECT_EQ(daemon->metrics().counter("uplinks_rejected_total{reason=\"crc_bad\"}"), 1u);
  EXPECT_EQ(daemon->metrics().counter("uplinks_rejected_total{reason=\"malformed_frame\"}"), 3u);
  EXPECT_EQ(daemon->metrics().counter("uplinks_rejected_total{reason=\"unknown_devaddr\"}"), 0u);

  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {'o', 'k'})), 9999));
  ASSERT_TRUE(sink.waitForRequests(1, 10s));
  auto b = bodies();
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["data"], "b2s=");
}

TEST_F(DaemonTest, ARestartDoesNotAcceptReplays) {
  startDaemon();
  Bytes first = buildUplink(kCellar, 1, 1, {'1'});
  {
    testsupport::FakeForwarder fwd(daemon->udpPort(), lorawan::Eui64(1));
    ASSERT_TRUE(fwd.push(testsupport::pushBody(first), 1));
    ASSERT_TRUE(sink.waitForRequests(1, 10s));
  }
  daemon->stop();
  daemon.reset();
  startDaemon();  // same SQLite file; the late-copy memory is gone
  testsupport::FakeForwarder fwd(daemon->udpPort(), lorawan::Eui64(1));
  ASSERT_TRUE(fwd.push(testsupport::pushBody(first), 2));
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 2, 1, {'2'})), 3));
  ASSERT_TRUE(sink.waitForRequests(2, 10s));
  auto b = bodies();
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1]["fCnt"], 2);
  EXPECT_EQ(daemon->metrics().counter("uplinks_rejected_total{reason=\"retransmission\"}"), 1u);
}

TEST_F(DaemonTest, PlatformFailuresAreRetriedWithTheSameId) {
  int calls = 0;
  sink.setResponder([&calls](const RecordedRequest&) { return ++calls <= 2 ? 503u : 200u; });
  startDaemon();
  testsupport::FakeForwarder fwd(daemon->udpPort(), lorawan::Eui64(1));
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {'r'})), 1));
  ASSERT_TRUE(sink.waitForRequests(3, 10s));
  auto reqs = sink.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].body, reqs[2].body);
  EXPECT_EQ(reqs[0].idempotencyKey, reqs[2].idempotencyKey);
}

TEST_F(DaemonTest, StopFlushesOpenWindows) {
  auto cfg = makeConfig();
  cfg.dedupWindowMs = 5000;  // longer than the test: only stop() can close it
  auto d = Daemon::create(cfg);
  ASSERT_TRUE(d.has_value());
  daemon = std::move(*d);
  daemon->start();
  testsupport::FakeForwarder fwd(daemon->udpPort(), lorawan::Eui64(1));
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {'s'})), 1));
  ASSERT_TRUE(fwd.pull(2));  // the push was handled before the pull was answered
  daemon->stop();
  ASSERT_TRUE(sink.waitForRequests(1, 10s));
}

TEST_F(DaemonTest, OtaaJoinOverLoopbackThenUplinksWithTheDerivedKeys) {
  const auto appKey = lorawan::Aes128Key::parse("B6B53F4A168A7A88BDF7EA135CE9CFCA").value();
  const lorawan::Eui64 joinEui(0x70B3D57ED00000DC), devEui(0x00AFEE7CF5ED6F1E);
  auto cfg = makeConfig();
  cfg.netId = lorawan::NetId(0x13);
  cfg.extraChannelsHz = {867100000, 867300000, 867500000, 867700000, 867900000};
  config::Interface o;
  o.id = "44444444-4444-4444-8444-444444444444";
  o.deviceIdOrSlug = "otaa-node";
  o.opts.deviceType = config::DeviceType::Otaa;
  o.opts.deviceEui = devEui;
  o.opts.joinEui = joinEui;
  o.opts.deviceKey = appKey;
  cfg.interfaces.push_back(o);
  auto d = Daemon::create(cfg);
  ASSERT_TRUE(d.has_value()) << d.error();
  daemon = std::move(*d);
  daemon->start();
  testsupport::FakeForwarder fwd(daemon->udpPort(), lorawan::Eui64(0xAA555A0000000001));
  ASSERT_TRUE(fwd.pull(1));  // the downlink path
  Bytes jr = testsupport::buildJoinRequest(appKey, joinEui, devEui, 0x0102);
  ASSERT_TRUE(
      fwd.push(R"({"rxpk":[)" + testsupport::rxpkJson(jr, 3000000000u, -80, 4.0, 868.5) + "]}", 2));
  auto resp = fwd.pullResp();
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ((*resp)[0], 2);     // protocol version
  EXPECT_EQ((*resp)[3], 0x03);  // PULL_RESP
  auto txpk = json::parse(resp->begin() + 4, resp->end())["txpk"];
  EXPECT_EQ(txpk["tmst"], uint32_t(3000000000u + 5000000u));
  EXPECT_DOUBLE_EQ(txpk["freq"].get<double>(), 868.5);
  EXPECT_EQ(txpk["datr"], "SF7BW125");
  EXPECT_EQ(txpk["codr"], "4/5");
  EXPECT_EQ(txpk["ipol"], true);
  EXPECT_EQ(txpk["rfch"], 0);
  EXPECT_EQ(txpk["powe"], 14);
  EXPECT_EQ(txpk["modu"], "LORA");
  Bytes phy = lorawan::base64Decode(txpk["data"].get<std::string>()).value();
  EXPECT_EQ(txpk["size"], phy.size());
  ASSERT_EQ(phy.size(), 33u);
  auto opened = lorawan::openJoinAccept(phy, appKey);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(lorawan::joinAcceptMic10(appKey, opened->micInput), opened->mic);
  EXPECT_EQ(opened->payload.netId, lorawan::NetId(0x13));
  EXPECT_EQ(opened->payload.dlSettings.toByte(), 0x00);
  EXPECT_EQ(opened->payload.rxDelay, 1);
  EXPECT_EQ(lorawan::toHex(*opened->payload.cfList), "184f84e85684b85e84886684586e8400");
  fwd.txAck(uint16_t((*resp)[1] << 8 | (*resp)[2]), "NONE");

  // The device derives its keys and sends an uplink: it reaches the platform.
  auto keys = lorawan::deriveSessionKeys10(appKey, opened->payload.joinNonce, opened->payload.netId,
                                           0x0102);
  AbpDevice joined{opened->payload.devAddr, keys.nwkSKey, keys.appSKey};
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(joined, 1, 5, {'h', 'i'})), 3));
  ASSERT_TRUE(sink.waitForRequests(2, 10s));
  auto reqs = sink.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].target, "/api/devices/otaa-node/events");
  auto joinEvent = json::parse(reqs[0].body);
  EXPECT_EQ(joinEvent["type"], "join");
  EXPECT_EQ(joinEvent["devEui"], "00afee7cf5ed6f1e");
  EXPECT_EQ(reqs[1].target, "/api/devices/otaa-node/data");
  auto up = json::parse(reqs[1].body);
  EXPECT_EQ(up["data"], "aGk=");
  EXPECT_EQ(up["devAddr"], opened->payload.devAddr.toString());
  EXPECT_EQ(up["devEui"], "00afee7cf5ed6f1e");
  // No key in any log or event.
  for (const auto& r : reqs) EXPECT_EQ(r.body.find(keys.appSKey.hex()), std::string::npos);
  EXPECT_EQ(daemon->metrics().counter("tx_acks_total{error=\"NONE\"}"), 1u);

  // After a restart the device keeps working without rejoining; its counter is remembered.
  daemon->stop();
  d = Daemon::create(cfg);
  ASSERT_TRUE(d.has_value()) << d.error();
  daemon = std::move(*d);
  daemon->start();
  testsupport::FakeForwarder fwd2(daemon->udpPort(), lorawan::Eui64(0xAA555A0000000001));
  ASSERT_TRUE(
      fwd2.push(testsupport::pushBody(buildUplink(joined, 1, 5, {'h', 'i'})), 4));  // replay
  ASSERT_TRUE(fwd2.push(testsupport::pushBody(buildUplink(joined, 2, 5, {'!'})), 5));
  ASSERT_TRUE(sink.waitForRequests(3, 10s));
  auto last = json::parse(sink.requests()[2].body);
  EXPECT_EQ(last["fCnt"], 2);
  EXPECT_EQ(last["data"], "IQ==");
  EXPECT_EQ(sink.requests().size(), 3u);
}

TEST_F(DaemonTest, CodecOutputReachesThePlatformAndAFailingCodecLosesNothing) {
  auto cfg = makeConfig();
  cfg.interfaces[0].codec.type = "cayenne_lpp";
  cfg.interfaces[0].codecs = codecs::CodecSet::build(cfg.interfaces[0].codec).value();
  auto d = Daemon::create(cfg);
  ASSERT_TRUE(d.has_value()) << d.error();
  daemon = std::move(*d);
  daemon->start();
  testsupport::FakeForwarder fwd(daemon->udpPort(), lorawan::Eui64(1));
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(
                           kCellar, 1, 1, lorawan::fromHex("03670110056700ff").value())),
                       1));
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 2, 1, {0x03, 0xff})), 2));
  ASSERT_TRUE(sink.waitForRequests(2, 10s));
  auto b = bodies();
  EXPECT_EQ(b[0]["decoded"], json::parse(R"({"temperature_3":27.2,"temperature_5":25.5})"));
  EXPECT_EQ(b[0]["codec"]["name"], "cayenne_lpp");
  EXPECT_TRUE(b[0]["codec"]["errors"].empty());
  EXPECT_TRUE(b[1]["decoded"].is_null());  // the codec failed: the bytes still arrive
  EXPECT_EQ(b[1]["data"], "A/8=");
  ASSERT_EQ(b[1]["codec"]["errors"].size(), 1u);
  EXPECT_NE(b[1]["codec"]["errors"][0].get<std::string>().find("unknown type 255"),
            std::string::npos);
  EXPECT_EQ(daemon->metrics().counter("codec_errors_total"), 1u);
}

TEST_F(DaemonTest, JavaScriptCodecDecodesOnTheWayToThePlatform) {
  auto cfg = makeConfig();
  cfg.interfaces[0].codec.type = "js";
  cfg.interfaces[0].codec.file = std::string(LB_FIXTURES_DIR) + "/codecs/js/es5_decoder.js";
  cfg.interfaces[0].codec.fports[9].type = "js";
  cfg.interfaces[0].codec.fports[9].file =
      std::string(LB_FIXTURES_DIR) + "/codecs/js/infinite_loop.js";
  cfg.interfaces[0].codec.fports[9].timeoutMs = 20;
  auto set = codecs::CodecSet::build(cfg.interfaces[0].codec);
  ASSERT_TRUE(set.has_value()) << set.error();
  cfg.interfaces[0].codecs = *set;
  auto d = Daemon::create(cfg);
  ASSERT_TRUE(d.has_value()) << d.error();
  daemon = std::move(*d);
  daemon->start();
  testsupport::FakeForwarder fwd(daemon->udpPort(), lorawan::Eui64(1));
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {0x00, 0xd7, 0x1e})), 1));
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 2, 9, {0x01})),
                       2));  // a codec that hangs
  ASSERT_TRUE(fwd.pull(3));  // the daemon still answers
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 3, 1, {0x00, 0x0a, 0x1e})), 4));
  ASSERT_TRUE(sink.waitForRequests(3, 10s));
  auto b = bodies();
  EXPECT_EQ(b[0]["decoded"], json::parse(R"({"temperature":21.5,"battery":3})"));
  EXPECT_EQ(b[0]["codec"]["name"], "js");
  EXPECT_TRUE(b[1]["decoded"].is_null());
  EXPECT_EQ(b[1]["data"], "AQ==");
  EXPECT_NE(b[1]["codec"]["errors"][0].get<std::string>().find("time limit of 20 ms exceeded"),
            std::string::npos);
  EXPECT_EQ(b[2]["decoded"]["temperature"], 1.0);  // the next call works
}

TEST_F(DaemonTest, ASlowCodecNeverHoldsOtherDevicesOrTheNetworkThread) {
  auto cfg = makeConfig();
  cfg.interfaces[0].codec.type = "js";
  cfg.interfaces[0].codec.file = std::string(LB_FIXTURES_DIR) + "/codecs/js/infinite_loop.js";
  cfg.interfaces[0].codec.timeoutMs = 1000;
  cfg.interfaces[0].codecs = codecs::CodecSet::build(cfg.interfaces[0].codec).value();
  auto d = Daemon::create(cfg);
  ASSERT_TRUE(d.has_value()) << d.error();
  daemon = std::move(*d);
  daemon->start();
  testsupport::FakeForwarder fwd(daemon->udpPort(), lorawan::Eui64(1));
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {0x01})),
                       1));  // its codec spins 1 s
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kDoor, 1, 2, {0x02})), 2));
  ASSERT_TRUE(fwd.pull(3));
  ASSERT_TRUE(sink.waitForRequests(2, 10s));
  auto b = bodies();
  EXPECT_EQ(b[0]["deviceIdOrSlug"], "door sensor/1");  // not stuck behind the slow codec
  EXPECT_EQ(b[1]["deviceIdOrSlug"], "cellar-sensor");
  EXPECT_NE(b[1]["codec"]["errors"][0].get<std::string>().find("time limit of 1000 ms"),
            std::string::npos);
}

TEST(DaemonTls, DeliversOverHttpsAndRefusesAnUntrustedCertificate) {
  const std::string tlsDir = std::string(LB_FIXTURES_DIR) + "/tls/";
  PlatformSink sink("127.0.0.1", 0, false,
                    PlatformSink::Tls{tlsDir + "localhost.crt", tlsDir + "localhost.key"});
  testsupport::TempDir dir;
  auto run = [&](const std::string& caFile, uint16_t token) {
    config::Config c;
    c.udpListen = {"127.0.0.1", 0};
    c.apiListen = {"127.0.0.1", 0};
    c.dedupWindowMs = 20;
    c.lateCopyMemoryMs = 60000;
    c.storePath = dir.file("tls" + std::to_string(token) + ".db");
    // "localhost" is the certificate's name: host-name verification is on.
    c.platform = config::PlatformConfig{"https://localhost:" + std::to_string(sink.port()) + "/api",
                                        "tok",
                                        2000,
                                        1,
                                        caFile,
                                        std::nullopt};
    c.interfaces = {
        testsupport::abpInterface("68e8e794-1abe-45d6-a63e-158ed5d611ef", "cellar", kCellar)};
    auto d = Daemon::create(c);
    if (!d) {
      ADD_FAILURE() << d.error();
      return uint64_t(0);
    }
    (*d)->start();
    testsupport::FakeForwarder fwd((*d)->udpPort(), lorawan::Eui64(1));
    EXPECT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, token, 1, {'t'})), token));
    EXPECT_TRUE(fwd.pull(token));
    (*d)->stop();  // waits for delivery (or its failure) of the closed window
    return (*d)->metrics().counter("platform_requests_total{result=\"ok\"}");
  };
  EXPECT_EQ(run("", 1), 0u);  // self-signed and not trusted: never sent
  EXPECT_EQ(sink.requests().size(), 0u);
  EXPECT_EQ(run(tlsDir + "localhost.crt", 2), 1u);
  ASSERT_EQ(sink.requests().size(), 1u);
  EXPECT_EQ(sink.requests()[0].target, "/api/devices/cellar/data");
  EXPECT_EQ(sink.requests()[0].authorization, "Bearer tok");
}

}  // namespace

namespace {
// A gauge's value from /metrics (-1 when absent).
double gauge(uint16_t api, const std::string& name) {
  const std::string m = testsupport::httpRequest(api, "GET", "/metrics").body;
  const std::string key = "\nlorawan_bridge_" + name + " ";
  const size_t at = m.find(key);
  return at == std::string::npos ? -1 : std::stod(m.substr(at + key.size()));
}
}  // namespace

// The store's file held by another writer (a stalled disk): the network thread goes on ACKing,
// accepting frames into memory and answering the API; what waits for the disk is only what must
// (forwarding to the platform), and it all goes out once the disk is back.
TEST_F(DaemonTest, AStalledDiskNeverStallsTheNetworkThread) {
  startDaemon();
  testsupport::FakeForwarder fwd(daemon->udpPort(), lorawan::Eui64(1));
  testsupport::SqliteWriteLock lock(dir.file("state/bridge.db"));
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {'a'})), 1));
  // Its batch leaves the dedup window and waits for the disk.
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (gauge(daemon->apiPort(), "store_commits_waiting") < 1 &&
         std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(10ms);  // polling a condition
  ASSERT_GE(gauge(daemon->apiPort(), "store_commits_waiting"), 1);
  // The forwarder's receive timeout (2 s) is shorter than SQLite's busy wait (5 s): a network
  // thread waiting on the disk would miss these.
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kDoor, 1, 2, {'b'})), 2));
  ASSERT_TRUE(fwd.pull(3));
  EXPECT_EQ(testsupport::httpRequest(daemon->apiPort(), "GET", "/devices").status, 200u);
  EXPECT_TRUE(sink.requests().empty()) << "nothing leaves before it is durable";
  EXPECT_EQ(daemon->metrics().counter("uplinks_accepted_total"), 0u);
  // A replay of the waiting frame is still recognized (the counter is in memory).
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {'X'})), 4));

  lock.release();
  ASSERT_TRUE(sink.waitForRequests(2, 10s));
  auto b = bodies();
  EXPECT_EQ(b[0]["deviceIdOrSlug"], "cellar-sensor");
  EXPECT_EQ(b[1]["deviceIdOrSlug"], "door sensor/1");
  EXPECT_EQ(daemon->metrics().counter("uplinks_accepted_total"), 2u);
  EXPECT_EQ(daemon->metrics().counter("uplinks_rejected_total{reason=\"replay\"}"), 1u);
}
