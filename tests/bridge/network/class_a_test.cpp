// Class A downlinks end to end: the real daemon, a fake gateway on UDP, the platform double and
// the management API over HTTP.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>

#include "bridge/app/daemon.hpp"
#include "bridge/core/metrics.hpp"
#include "bridge/tools/platform_sink.hpp"
#include "codecs/codec.hpp"
#include "lorawan/base64.hpp"
#include "lorawan/mac_commands.hpp"
#include "lorawan/phy_payload.hpp"
#include "lorawan/security.hpp"
#include "support/devices.hpp"
#include "support/fake_forwarder.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

using namespace bridge;
using namespace std::chrono_literals;
using lorawan::Bytes;
using nlohmann::json;
using testsupport::buildUplink;
using testsupport::kCellar;

namespace {

const lorawan::Eui64 kGw(0xAA555A0000000001);

struct Downlink {
  json txpk;
  uint16_t token;
  Bytes phy;
  lorawan::PhyPayload frame;
};

Downlink decode(const Bytes& d) {
  Downlink out;
  out.token = uint16_t(d[1] << 8 | d[2]);
  out.txpk = json::parse(d.begin() + 4, d.end())["txpk"];
  out.phy = lorawan::base64Decode(out.txpk["data"].get<std::string>()).value();
  out.frame = lorawan::parsePhyPayload(out.phy).value();
  return out;
}

class ClassATest : public ::testing::Test {
 protected:
  ClassATest() : sink("127.0.0.1", 0) {}

  void start(bool managed = true, const std::string& gatewayRegion = "EU868", bool adr = false,
             const std::string& codec = "raw") {
    config::Config c;
    c.udpListen = {"127.0.0.1", 0};
    c.apiListen = {"127.0.0.1", 0};
    c.dedupWindowMs = 30;
    c.storePath = dir.file("bridge.db");
    c.platform = config::PlatformConfig{sink.baseUrl(), "tok", 2000, 2, "", std::nullopt};
    c.gateways = {{kGw, gatewayRegion}};
    c.extraChannelsHz = {867100000, 867300000, 867500000, 867700000,
                         867900000};  // the EU868 default
    auto itf =
        testsupport::abpInterface("68e8e794-1abe-45d6-a63e-158ed5d611ef", "cellar-sensor", kCellar);
    itf.opts.managed = managed;
    itf.opts.adr = adr;
    itf.codec.type = codec;
    itf.codecs = codecs::CodecSet::build(itf.codec).value();
    c.interfaces = {itf};
    if (tweak) tweak(c);
    auto d = Daemon::create(c);
    ASSERT_TRUE(d.has_value()) << d.error();
    daemon = std::move(*d);
    daemon->start();
    fwd = std::make_unique<testsupport::FakeForwarder>(daemon->udpPort(), kGw);
    ASSERT_TRUE(fwd->pull(60000));
  }

  // Sends an uplink and waits until the platform has it (its downlink, if any, left before).
  void uplink(uint32_t fcnt, bool confirmed, const Bytes& fopts = {}, uint32_t tmst = 1000000,
              double freqMhz = 868.1, const Bytes& payload = {0x01}) {
    Bytes phy = buildUplink(kCellar, fcnt, 1, payload, confirmed, fopts);
    ASSERT_TRUE(
        fwd->push(R"({"rxpk":[)" + testsupport::rxpkJson(phy, tmst, -60, 7.0, freqMhz) + "]}",
                  uint16_t(fcnt)));
    ++uplinks;
    ASSERT_TRUE(sink.waitForRequests(requestsBefore() + 1, 10s));
  }
  size_t requestsBefore() {
    size_t n = 0;
    for (const auto& r : sink.requests()) n += r.target.find("/data") != std::string::npos;
    return n < uplinks ? n : uplinks - 1;
  }
  std::vector<json> events(const std::string& type) {
    std::vector<json> out;
    for (const auto& r : sink.requests()) {
      auto j = json::parse(r.body, nullptr, false);
      if (j.is_object() && j.value("type", "") == type) out.push_back(j);
    }
    return out;
  }
  Bytes decryptDown(const Downlink& d) {
    const auto& m = std::get<lorawan::MacPayload>(d.frame.payload);
    return lorawan::cryptFrmPayload(kCellar.appSKey, lorawan::Direction::Downlink, kCellar.devAddr,
                                    m.fhdr.fcnt, m.frmPayload);
  }
  void expectValidMic(const Downlink& d) {
    const auto& m = std::get<lorawan::MacPayload>(d.frame.payload);
    EXPECT_EQ(lorawan::dataMic10(kCellar.nwkSKey, lorawan::Direction::Downlink, kCellar.devAddr,
                                 m.fhdr.fcnt, lorawan::micInput(d.phy)),
              d.frame.mic);
  }
  testsupport::HttpResult enqueue(const std::string& body,
                                  const std::string& device = "cellar-sensor") {
    return testsupport::httpRequest(daemon->apiPort(), "POST", "/devices/" + device + "/downlinks",
                                    body);
  }

  testsupport::TempDir dir;
  PlatformSink sink;
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<testsupport::FakeForwarder> fwd;
  size_t uplinks = 0;
  std::function<void(config::Config&)> tweak;
};

TEST_F(ClassATest, ConfirmedUplinkGetsAnAckOnRx1) {
  start();
  uplink(1, /*confirmed=*/true, {}, 2000000);
  auto raw = fwd->pullResp();
  ASSERT_TRUE(raw.has_value());
  Downlink d = decode(*raw);
  EXPECT_EQ(d.txpk["tmst"], 2000000 + 1000000);  // RX1 one second after the uplink
  EXPECT_DOUBLE_EQ(d.txpk["freq"].get<double>(), 868.1);
  EXPECT_EQ(d.txpk["datr"], "SF7BW125");
  EXPECT_EQ(d.txpk["ipol"], true);
  EXPECT_EQ(d.frame.mhdr.mtype, lorawan::MType::UnconfirmedDataDown);
  const auto& m = std::get<lorawan::MacPayload>(d.frame.payload);
  EXPECT_TRUE(m.fhdr.fctrl.ack);
  EXPECT_EQ(m.fhdr.fcnt, 0);
  EXPECT_FALSE(m.fport.has_value());
  expectValidMic(d);
  // An unconfirmed uplink with nothing queued gets nothing.
  uplink(2, false);
  EXPECT_FALSE(fwd->pullRespNow().has_value());
}

TEST_F(ClassATest, QueuedDownlinkGoesOutAfterTheNextUplinkWithANewCounter) {
  start();
  uplink(1, true);  // FCntDown 0 is used by this ACK
  ASSERT_TRUE(fwd->pullResp().has_value());
  auto r = enqueue(R"({"fPort":5,"data":"AQID"})");
  ASSERT_EQ(r.status, 201u) << r.body;
  auto id = json::parse(r.body)["body"]["id"].get<std::string>();
  ASSERT_EQ(enqueue(R"({"fPort":6,"data":"BA=="})").status, 201u);
  uplink(2, false);
  auto raw = fwd->pullResp();
  ASSERT_TRUE(raw.has_value());
  Downlink d = decode(*raw);
  const auto& m = std::get<lorawan::MacPayload>(d.frame.payload);
  EXPECT_EQ(m.fhdr.fcnt, 1);  // never reused
  EXPECT_EQ(m.fport, 5);
  EXPECT_TRUE(m.fhdr.fctrl.fPending);  // one more waits
  EXPECT_FALSE(m.fhdr.fctrl.ack);
  EXPECT_EQ(lorawan::toHex(decryptDown(d)), "010203");
  expectValidMic(d);
  uplink(3, false);
  Downlink d2 = decode(*fwd->pullResp());
  EXPECT_EQ(std::get<lorawan::MacPayload>(d2.frame.payload).fhdr.fcnt, 2);
  EXPECT_EQ(lorawan::toHex(decryptDown(d2)), "04");
  EXPECT_FALSE(std::get<lorawan::MacPayload>(d2.frame.payload).fhdr.fctrl.fPending);
  auto sent = events("downlink");
  ASSERT_GE(sent.size(), 1u);
  EXPECT_EQ(sent[0]["downlinkId"], id);
  EXPECT_EQ(sent[0]["status"], "sent");
}

// The platform's own downlink queue (seed 001 pagination), read after each uplink.
TEST_F(ClassATest, PlatformQueuedDownlinksAreFetchedSentOnceAndReportedBack) {
  std::atomic<int> listing{1};  // 0: nothing pending, 1: three, 2: the same plus dl-3
  sink.setBodyResponder([&](const RecordedRequest& r) -> std::pair<unsigned, std::string> {
    if (r.method != "GET") return {200, "{}"};
    if (listing == 0) return {200, R"({"data":[]})"};
    if (r.target == "/devices/cellar-sensor/downlinks?status=pending&limit=2&offset=0")
      return {
          200,
          R"({"data":[{"id":"dl-1","fPort":5,"data":"AQID"},{"id":"dl-bad","fPort":0,"data":"AQ=="}]})"};
    if (r.target == "/devices/cellar-sensor/downlinks?status=pending&limit=2&offset=2")
      return {200,
              listing == 1
                  ? R"([{"id":77,"fPort":6,"data":"BA==","confirmed":false}])"
                  : R"([{"id":77,"fPort":6,"data":"BA=="},{"id":"dl-3","fPort":7,"data":"Bw=="}])"};
    if (r.target == "/devices/cellar-sensor/downlinks?status=pending&limit=2&offset=4")
      return {200, "[]"};
    return {404, R"({"error":"unexpected"})"};
  });
  tweak = [](config::Config& c) {
    c.platform->downlinkQueue.enabled = true;
    c.platform->downlinkQueue.pageSize = 2;
    c.platform->downlinkQueue.pollIntervalS = 0;
  };
  auto patches = [&](size_t n) {
    std::map<std::string, json> out;  // target -> body of the PATCH requests seen so far
    for (size_t seen = 0; seen < 50 && out.size() < n; ++seen) {
      out.clear();
      auto reqs = sink.requests();
      for (const auto& r : reqs)
        if (r.method == "PATCH") out[r.target] = json::parse(r.body);
      if (out.size() < n && !sink.waitForRequests(reqs.size() + 1, 5s)) break;
    }
    return out;
  };
  start();
  uplink(1, false);
  auto raw = fwd->pullResp();
  ASSERT_TRUE(raw.has_value());
  Downlink d = decode(*raw);
  const auto& m = std::get<lorawan::MacPayload>(d.frame.payload);
  EXPECT_EQ(m.fport, 5);
  EXPECT_EQ(lorawan::toHex(decryptDown(d)), "010203");
  EXPECT_TRUE(m.fhdr.fctrl.fPending);  // the platform's second one waits in our queue
  auto p = patches(2);
  ASSERT_EQ(p.count("/devices/cellar-sensor/downlinks/dl-1"), 1u);
  EXPECT_EQ(p["/devices/cellar-sensor/downlinks/dl-1"]["status"], "sent");
  ASSERT_EQ(p.count("/devices/cellar-sensor/downlinks/dl-bad"), 1u);
  EXPECT_EQ(p["/devices/cellar-sensor/downlinks/dl-bad"]["status"], "failed");
  EXPECT_NE(p["/devices/cellar-sensor/downlinks/dl-bad"]["detail"].get<std::string>().find("fPort"),
            std::string::npos);
  // Restart: what was fetched is in the store, even though the platform no longer lists it.
  daemon->stop();
  listing = 0;
  start();
  uplink(2, false);
  raw = fwd->pullResp();
  ASSERT_TRUE(raw.has_value());
  Downlink d2 = decode(*raw);
  EXPECT_EQ(std::get<lorawan::MacPayload>(d2.frame.payload).fport, 6);
  EXPECT_EQ(lorawan::toHex(decryptDown(d2)), "04");
  EXPECT_FALSE(std::get<lorawan::MacPayload>(d2.frame.payload).fhdr.fctrl.fPending);
  p = patches(3);
  ASSERT_EQ(p.count("/devices/cellar-sensor/downlinks/77"), 1u);
  EXPECT_EQ(p["/devices/cellar-sensor/downlinks/77"]["status"], "sent");
  // Read pages: 0 and 2 once the first time, then page 0 again after the restart.
  std::vector<std::string> gets;
  for (const auto& r : sink.requests())
    if (r.method == "GET") gets.push_back(r.target.substr(r.target.find('?')));
  EXPECT_EQ(gets, (std::vector<std::string>{"?status=pending&limit=2&offset=0",
                                            "?status=pending&limit=2&offset=2",
                                            "?status=pending&limit=2&offset=0"}));
  // Listed again with one more: only that one is new (dl-1 and 77 are never sent twice).
  listing = 2;
  uplink(3, false);
  raw = fwd->pullResp();
  ASSERT_TRUE(raw.has_value());
  Downlink d3 = decode(*raw);
  EXPECT_EQ(std::get<lorawan::MacPayload>(d3.frame.payload).fport, 7);
  EXPECT_FALSE(std::get<lorawan::MacPayload>(d3.frame.payload).fhdr.fctrl.fPending);
}

// Polling: a downlink queued on the platform while the device sleeps is taken before its next
// uplink, so it goes out even if the platform stops listing it (or is down) by then.
TEST_F(ClassATest, PlatformQueueIsPolledBetweenUplinks) {
  std::atomic<int> gets{0};
  sink.setBodyResponder([&](const RecordedRequest& r) -> std::pair<unsigned, std::string> {
    if (r.method != "GET") return {200, "{}"};
    // Listed once (to the poll), then the platform is unreachable for reads.
    return ++gets == 1
               ? std::pair<unsigned, std::string>{200, R"([{"id":"p1","fPort":9,"data":"CQ=="}])"}
               : std::pair<unsigned, std::string>{503, "{}"};
  });
  tweak = [](config::Config& c) {
    c.platform->downlinkQueue.enabled = true;
    c.platform->downlinkQueue.pollIntervalS = 1;
  };
  start();
  ASSERT_TRUE(sink.waitForRequests(1, 5s));  // the poll, no uplink yet
  EXPECT_EQ(sink.requests()[0].target,
            "/devices/cellar-sensor/downlinks?status=pending&limit=100&offset=0");
  EXPECT_FALSE(fwd->pullRespNow().has_value());  // Class A: nothing is sent without an uplink
  uplink(1, false);
  auto raw = fwd->pullResp();
  ASSERT_TRUE(raw.has_value());
  Downlink d = decode(*raw);
  EXPECT_EQ(std::get<lorawan::MacPayload>(d.frame.payload).fport, 9);
  EXPECT_EQ(lorawan::toHex(decryptDown(d)), "09");
}

TEST_F(ClassATest, TxAckErrorMovesTheFrameToRx2) {
  start();
  uplink(1, true, {}, 5000000);
  Downlink rx1 = decode(*fwd->pullResp());
  fwd->txAck(rx1.token, "TOO_LATE");
  auto raw = fwd->pullResp();
  ASSERT_TRUE(raw.has_value());
  Downlink rx2 = decode(*raw);
  EXPECT_EQ(rx2.phy, rx1.phy);
  EXPECT_EQ(rx2.txpk["tmst"], 5000000 + 2000000);
  EXPECT_DOUBLE_EQ(rx2.txpk["freq"].get<double>(), 869.525);
  EXPECT_EQ(rx2.txpk["datr"], "SF12BW125");
}

TEST_F(ClassATest, Us915MapsTheUplinkChannelToA500kHzDownlinkChannel) {
  start(true, "US915");
  Bytes phy = buildUplink(kCellar, 1, 1, {0x01}, true);
  std::string rx =
      R"({"rxpk":[{"tmst":1000,"chan":1,"rfch":0,"freq":904.1,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-60,"lsnr":7,"size":)" +
      std::to_string(phy.size()) + R"(,"data":")" + lorawan::base64Encode(phy) + "\"}]}";
  ASSERT_TRUE(fwd->push(rx, 1));
  Downlink d = decode(*fwd->pullResp());
  EXPECT_DOUBLE_EQ(d.txpk["freq"].get<double>(), 923.9);  // channel 9 -> downlink channel 1
  EXPECT_EQ(d.txpk["datr"], "SF7BW500");                  // DR3 -> DR13
  EXPECT_EQ(d.txpk["powe"], 20);
}

TEST_F(ClassATest, TooLongForTheDataRateIsAnErrorNeverTruncated) {
  start();
  ASSERT_EQ(
      enqueue(R"({"fPort":2,"data":")" + lorawan::base64Encode(Bytes(100, 0x55)) + "\"}").status,
      201u);
  Bytes phy = buildUplink(kCellar, 1, 1, {0x01}, false);
  std::string rx =
      R"({"rxpk":[{"tmst":1000,"chan":0,"rfch":0,"freq":868.1,"stat":1,"modu":"LORA","datr":"SF12BW125","codr":"4/5","rssi":-60,"lsnr":7,"size":)" +
      std::to_string(phy.size()) + R"(,"data":")" + lorawan::base64Encode(phy) + "\"}]}";
  ASSERT_TRUE(fwd->push(rx, 1));
  ASSERT_TRUE(sink.waitForRequests(2, 10s));  // the failed event, then the uplink
  auto failed = events("downlink");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]["status"], "failed");
  EXPECT_NE(failed[0]["detail"].get<std::string>().find(
                "100 bytes exceed the 51-byte maximum at SF12BW125"),
            std::string::npos);
  EXPECT_FALSE(fwd->pullRespNow().has_value());
}

TEST_F(ClassATest, ConfirmedDownlinkIsAckedByALaterUplink) {
  start();
  ASSERT_EQ(enqueue(R"({"fPort":3,"data":"qg==","confirmed":true})").status, 201u);
  uplink(1, false);
  Downlink d = decode(*fwd->pullResp());
  EXPECT_EQ(d.frame.mhdr.mtype, lorawan::MType::ConfirmedDataDown);
  uplink(2, false, {}, 3000000);  // no ACK bit: sent again, new counter
  Downlink again = decode(*fwd->pullResp());
  EXPECT_EQ(std::get<lorawan::MacPayload>(again.frame.payload).fhdr.fcnt, 1);
  // The device acknowledges in its next uplink (FCtrl.ACK).
  lorawan::PhyPayload up;
  up.mhdr.mtype = lorawan::MType::UnconfirmedDataUp;
  lorawan::MacPayload m;
  m.fhdr.devAddr = kCellar.devAddr;
  m.fhdr.fcnt = 3;
  m.fhdr.fctrl.ack = true;
  m.fport = 1;
  m.frmPayload = lorawan::cryptFrmPayload(kCellar.appSKey, lorawan::Direction::Uplink,
                                          kCellar.devAddr, 3, Bytes{9});
  up.payload = m;
  Bytes b = lorawan::serialize(up);
  auto mic = lorawan::dataMic10(kCellar.nwkSKey, lorawan::Direction::Uplink, kCellar.devAddr, 3,
                                lorawan::micInput(b));
  std::copy(mic.begin(), mic.end(), b.end() - 4);
  ASSERT_TRUE(fwd->push(testsupport::pushBody(b), 3));
  ++uplinks;
  ASSERT_TRUE(sink.waitForRequests(6, 10s));  // 3 uplinks + sent, sent, acked events
  auto ev = events("downlink");
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[2]["status"], "acked");
  EXPECT_FALSE(fwd->pullRespNow().has_value());  // nothing more to send
}

TEST_F(ClassATest, LinkCheckAndDeviceTimeAreAnsweredInFOpts) {
  start();
  uplink(1, false, {0x02, 0x0D});  // LinkCheckReq, DeviceTimeReq
  Downlink d = decode(*fwd->pullResp());
  const auto& m = std::get<lorawan::MacPayload>(d.frame.payload);
  auto cmds = lorawan::parseMacCommands(lorawan::MacDirection::Downlink, m.fhdr.fopts);
  ASSERT_TRUE(cmds.has_value());
  ASSERT_EQ(cmds->size(), 2u);
  auto link = lorawan::macFields(lorawan::MacDirection::Downlink, (*cmds)[0]);
  EXPECT_EQ(link[0].second, 15u);  // SNR 7.0 - (-7.5) for SF7, rounded
  EXPECT_EQ(link[1].second, 1u);   // one gateway
  auto time = lorawan::macFields(lorawan::MacDirection::Downlink, (*cmds)[1]);
  EXPECT_GT(time[0].second, 1'400'000'000u);  // GPS seconds: after 2024
  expectValidMic(d);
}

TEST_F(ClassATest, AdrRaisesTheDataRateOfAStrongDevice) {
  start(true, "EU868", /*adr=*/true);
  for (uint32_t f = 1; f <= 20; ++f) {
    Bytes phy = buildUplink(kCellar, f, 1, {0x01}, false, {}, /*adr=*/true);
    std::string rx =
        R"({"rxpk":[{"tmst":1000,"chan":0,"rfch":0,"freq":868.1,"stat":1,"modu":"LORA","datr":"SF12BW125","codr":"4/5","rssi":-60,"lsnr":9,"size":)" +
        std::to_string(phy.size()) + R"(,"data":")" + lorawan::base64Encode(phy) + "\"}]}";
    ASSERT_TRUE(fwd->push(rx, uint16_t(f)));
    ASSERT_TRUE(sink.waitForRequests(f, 10s));
    if (f < 20) {
      EXPECT_FALSE(fwd->pullRespNow().has_value()) << "at uplink " << f;
    }
  }
  auto raw = fwd->pullResp();
  ASSERT_TRUE(raw.has_value());
  Downlink d = decode(*raw);
  const auto& m = std::get<lorawan::MacPayload>(d.frame.payload);
  auto cmds = lorawan::parseMacCommands(lorawan::MacDirection::Downlink, m.fhdr.fopts);
  ASSERT_TRUE(cmds.has_value());
  ASSERT_EQ(cmds->size(), 1u);
  EXPECT_EQ(lorawan::describe(lorawan::MacDirection::Downlink, (*cmds)[0]),
            "LinkADRReq(data_rate=5 tx_power=1 ch_mask=255 ch_mask_cntl=0 nb_trans=1)");
  EXPECT_EQ(d.txpk["datr"], "SF12BW125");  // RX1 at the uplink's DR
}

TEST_F(ClassATest, ListenOnlyDevicesNeverTransmit) {
  start(/*managed=*/false);
  uplink(1, true);
  EXPECT_FALSE(fwd->pullRespNow().has_value());
  auto r = enqueue(R"({"fPort":1,"data":"AQ=="})");
  EXPECT_EQ(r.status, 400u);
  EXPECT_NE(r.body.find("listen-only"), std::string::npos);
}

TEST_F(ClassATest, DownlinkObjectsAreEncodedByTheDevicesCodec) {
  start();
  // cellar-sensor uses the raw codec: objects cannot be encoded, and the answer says why.
  auto raw = enqueue(R"({"fPort":1,"data":{"led":true}})");
  EXPECT_EQ(raw.status, 400u);
  EXPECT_NE(raw.body.find("data: codec: codec raw cannot encode"), std::string::npos) << raw.body;
}

TEST_F(ClassATest, DownlinkObjectsWithCayenneLpp) {
  start(true, "EU868", false, "cayenne_lpp");
  auto r = enqueue(R"({"fPort":4,"data":{"digital_out_2":1}})");
  ASSERT_EQ(r.status, 201u) << r.body;
  EXPECT_EQ(json::parse(r.body)["body"]["data"], "AgEB");
  auto bad = enqueue(R"({"fPort":4,"data":{"digital_out_2":999}})");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("out of range"), std::string::npos) << bad.body;
  uplink(1, false);
  Downlink d = decode(*fwd->pullResp());
  EXPECT_EQ(std::get<lorawan::MacPayload>(d.frame.payload).fport, 4);
  EXPECT_EQ(lorawan::toHex(decryptDown(d)), "020101");
}

TEST_F(ClassATest, EnqueueValidatesItsInput) {
  start();
  struct Case {
    const char* body;
    unsigned status;
    const char* text;
  } cases[] = {
      {"not json", 400, "body: not a JSON object"},
      {R"({"data":"AQ=="})", 400, "fPort: missing"},
      {R"({"fPort":"1","data":"AQ=="})", 400, "fPort: missing or not an integer"},
      {R"({"fPort":0,"data":"AQ=="})", 400, "fPort must be 1..223"},
      {R"({"fPort":224,"data":"AQ=="})", 400, "fPort must be 1..223"},
      {R"({"fPort":1})", 400, "data: missing"},
      {R"({"fPort":1,"data":"A*=="})", 400, "data: invalid base64"},
      {R"({"fPort":1,"data":"AQ==","confirmed":"yes"})", 400, "confirmed: want true or false"},
  };
  for (const auto& c : cases) {
    auto r = enqueue(c.body);
    EXPECT_EQ(r.status, c.status) << c.body;
    EXPECT_NE(r.body.find(c.text), std::string::npos) << c.body << " -> " << r.body;
  }
  EXPECT_EQ(enqueue(R"({"fPort":1,"data":"AQ=="})", "nobody").status, 404u);
  EXPECT_EQ(testsupport::httpRequest(daemon->apiPort(), "POST", "/devices/cellar-sensor/downlinks",
                                     std::string(70000, 'x'))
                .status,
            413u);
  EXPECT_EQ(testsupport::httpRequest(daemon->apiPort(), "GET", "/healthz").status, 200u);
  auto metrics = testsupport::httpRequest(daemon->apiPort(), "GET", "/metrics");
  EXPECT_NE(metrics.body.find("lorawan_bridge_udp_pull_data_total"), std::string::npos);
}

}  // namespace
