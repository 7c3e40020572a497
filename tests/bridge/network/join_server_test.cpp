// The join server with a fake clock, a real SQLite store and the real downlink scheduler; the
// PULL_RESP datagrams it would send are captured.
#include "bridge/network/join_server.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bridge/store/sqlite_store.hpp"
#include "lorawan/base64.hpp"
#include "lorawan/join_accept.hpp"
#include "lorawan/security.hpp"
#include "support/frames.hpp"
#include "support/temp_dir.hpp"

using namespace bridge;
using namespace std::chrono_literals;
using lorawan::Bytes;
using lorawan::Eui64;

namespace {

const auto kAppKey = lorawan::Aes128Key::parse("B6B53F4A168A7A88BDF7EA135CE9CFCA").value();
const Eui64 kJoinEui(0x70B3D57ED00000DC), kDevEui(0x00AFEE7CF5ED6F1E);
const Eui64 kGw1(0xAA555A0000000001), kGw2(0xAA555A0000000002);

config::Interface otaa(const std::string& macVersion = "1.0.3") {
  config::Interface i;
  i.id = "33333333-3333-4333-8333-333333333333";
  i.deviceIdOrSlug = "otaa-node";
  i.opts.deviceType = config::DeviceType::Otaa;
  i.opts.deviceEui = kDevEui;
  i.opts.joinEui = kJoinEui;
  i.opts.deviceKey = kAppKey;
  i.opts.macVersion = macVersion;
  return i;
}

struct Sent {
  boost::asio::ip::udp::endpoint to;
  nlohmann::json txpk;
  Bytes phy;
};

class JoinServerTest : public ::testing::Test {
 protected:
  void SetUp() override { open({otaa()}); }

  void open(std::vector<config::Interface> itfs) {
    joins.reset();
    store.reset();
    store = SqliteStore::open(dir.file("state.db")).value();
    sessions.load(itfs, *store);
    for (Eui64 gw : {kGw1, kGw2})
      gateways.onPull(gw, {boost::asio::ip::make_address("127.0.0.1"), uint16_t(gw.value() & 0xFF)},
                      2);
    scheduler = std::make_unique<DownlinkScheduler>(
        gateways,
        [this](const boost::asio::ip::udp::endpoint& to, std::span<const uint8_t> d) {
          ASSERT_GE(d.size(), 4u);
          EXPECT_EQ(d[3], 0x03);  // PULL_RESP
          auto j = nlohmann::json::parse(d.begin() + 4, d.end());
          sent.push_back(
              {to, j, lorawan::base64Decode(j["txpk"]["data"].get<std::string>()).value()});
        },
        metrics);
    JoinSettings js;
    js.netId = lorawan::NetId(0x13);
    js.bands = BandPlan(*lorawan::region::findBand("EU868"));
    js.bands.setGatewayBand(kGw2, *lorawan::region::findBand("EU868"));
    js.bands.extraChannelsHz = {867100000, 867300000, 867500000, 867700000, 867900000};
    js.dedupWindow = 200ms;
    joins = std::make_unique<JoinServer>(
        js, NetworkContext{sessions, *scheduler, metrics, [] { return int64_t(0); }}, *store,
        [this](DeviceEvent e) { events.push_back(std::move(e.body)); }, 42);
  }

  lorawan::semtech::RxPacket rx(const Bytes& phy, uint32_t tmst = 1000000,
                                const char* datr = "SF7BW125") {
    lorawan::semtech::RxPacket p;
    p.phyPayload = phy;
    p.tmst = tmst;
    p.frequencyHz = 868300000;
    p.modulation = "LORA";
    p.dataRate = datr;
    p.codeRate = "4/5";
    p.rssi = -70;
    p.snr = 5;
    return p;
  }

  JoinVerdict join(uint16_t devNonce, Eui64 gw = kGw1, uint32_t tmst = 1000000) {
    return joins->onJoinRequest(
        gw, rx(testsupport::buildJoinRequest(kAppKey, kJoinEui, kDevEui, devNonce), tmst), now);
  }

  testsupport::TempDir dir;
  Metrics metrics;
  GatewayRegistry gateways;
  std::unique_ptr<SqliteStore> store;
  SessionRegistry sessions;
  std::unique_ptr<DownlinkScheduler> scheduler;
  std::unique_ptr<JoinServer> joins;
  std::vector<Sent> sent;
  std::vector<nlohmann::json> events;
  JoinServer::Clock::time_point now{std::chrono::seconds(500)};
};

TEST_F(JoinServerTest, AcceptsAndSendsAJoinAcceptOnRx1) {
  EXPECT_EQ(join(0x1234), JoinVerdict::Accepted);
  ASSERT_EQ(sent.size(), 1u);
  const auto& t = sent[0].txpk["txpk"];
  EXPECT_EQ(t["tmst"], 1000000 + 5000000);           // JOIN_ACCEPT_DELAY1
  EXPECT_DOUBLE_EQ(t["freq"].get<double>(), 868.3);  // EU868 RX1: the uplink frequency
  EXPECT_EQ(t["datr"], "SF7BW125");                  // DR5 with offset 0
  EXPECT_EQ(t["ipol"], true);
  EXPECT_EQ(t["powe"], 14);
  EXPECT_EQ(t["rfch"], 0);
  auto opened = lorawan::openJoinAccept(sent[0].phy, kAppKey);
  ASSERT_TRUE(opened.has_value());
  EXPECT_EQ(lorawan::joinAcceptMic10(kAppKey, opened->micInput), opened->mic);
  const auto& ja = opened->payload;
  EXPECT_EQ(ja.netId, lorawan::NetId(0x13));
  EXPECT_EQ(ja.devAddr.value() >> 25, 0x13u);  // inside TTN-style NetID 13's block
  EXPECT_EQ(ja.joinNonce, 1u);
  EXPECT_EQ(ja.rxDelay, 1);
  EXPECT_EQ(ja.dlSettings.rx2DataRate, 0);
  ASSERT_TRUE(ja.cfList.has_value());
  EXPECT_EQ(lorawan::toHex(*ja.cfList), "184f84e85684b85e84886684586e8400");
  // The session with the keys the device derives is live, and stored.
  auto keys = lorawan::deriveSessionKeys10(kAppKey, ja.joinNonce, ja.netId, 0x1234);
  const auto& s = sessions.byDevAddr(ja.devAddr);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0]->nwkSKey, keys.nwkSKey);
  EXPECT_EQ(s[0]->appSKey, keys.appSKey);
  auto rec = store->loadSession(otaa().id);
  ASSERT_TRUE(rec.has_value());
  EXPECT_EQ(rec->devAddr, ja.devAddr);
  EXPECT_EQ(rec->appSKey, keys.appSKey);  // the keys round-trip through the store
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "join");
  EXPECT_EQ(events[0]["devAddr"], ja.devAddr.toString());
}

TEST_F(JoinServerTest, CopiesGetTheCachedAcceptNeverASecondDerivation) {
  EXPECT_EQ(join(7, kGw1), JoinVerdict::Accepted);
  EXPECT_EQ(join(7, kGw2), JoinVerdict::Copy);  // within the window: not transmitted twice
  EXPECT_EQ(sent.size(), 1u);
  now += 300ms;
  EXPECT_EQ(join(7, kGw2, 2000000), JoinVerdict::LateCopy);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].phy, sent[0].phy);                         // the same JoinAccept bytes
  EXPECT_EQ(sent[1].txpk["txpk"]["tmst"], 2000000 + 5000000);  // timed on that gateway's clock
  EXPECT_EQ(sent[1].to.port(), kGw2.value() & 0xFF);
  EXPECT_EQ(store->loadOtaa(kDevEui).lastJoinNonce, 1u);  // one derivation only
  EXPECT_EQ(events.size(), 1u);
}

// Hardening 15: the JoinRequest repeated once the device no longer listens (after RX1 of the
// first copy) is a replay: nothing is transmitted, it is counted.
TEST_F(JoinServerTest, ARepeatedJoinRequestAfterRx1IsAReplayAndNeverTransmitted) {
  EXPECT_EQ(join(7, kGw1), JoinVerdict::Accepted);
  ASSERT_EQ(sent.size(), 1u);
  now += 4900ms;
  EXPECT_EQ(join(7, kGw2, 2000000), JoinVerdict::LateCopy);  // still before RX1: useful
  ASSERT_EQ(sent.size(), 2u);
  now += 200ms;
  EXPECT_EQ(join(7, kGw1, 9000000), JoinVerdict::Replay);
  now += 30s;
  EXPECT_EQ(join(7, kGw2, 9000000), JoinVerdict::Replay);
  EXPECT_EQ(sent.size(), 2u) << "a replay made a gateway transmit";
  EXPECT_EQ(metrics.counter("joins_total{result=\"replay\"}"), 2u);
  EXPECT_EQ(store->loadOtaa(kDevEui).lastJoinNonce, 1u);
}

TEST_F(JoinServerTest, DevNonceReuseIsRejected) {
  EXPECT_EQ(join(7), JoinVerdict::Accepted);
  now += 61s;  // the cache has forgotten; the store has not
  EXPECT_EQ(join(7), JoinVerdict::DevNonceReused);
  EXPECT_EQ(join(8), JoinVerdict::Accepted);
  EXPECT_EQ(sent.size(), 2u);
  open({otaa()});  // survives a restart
  EXPECT_EQ(join(8), JoinVerdict::DevNonceReused);
  EXPECT_EQ(metrics.counter("joins_total{result=\"devnonce_reused\"}"), 2u);
}

TEST_F(JoinServerTest, From104DevNoncesMustIncrease) {
  open({otaa("1.0.4")});
  EXPECT_EQ(join(10), JoinVerdict::Accepted);
  EXPECT_EQ(join(9), JoinVerdict::DevNonceNotIncreasing);
  EXPECT_EQ(join(11), JoinVerdict::Accepted);
  open({otaa("1.0.3")});
  EXPECT_EQ(join(3), JoinVerdict::Accepted);  // 1.0.3: random nonces, only reuse counts
}

TEST_F(JoinServerTest, JoinNonceIncreasesAndPersists) {
  join(1);
  join(2);
  open({otaa()});
  join(3);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(lorawan::openJoinAccept(sent[2].phy, kAppKey)->payload.joinNonce, 3u);
}

TEST_F(JoinServerTest, RejectsUnknownWrongJoinEuiBadMicAndListenOnly) {
  auto bad = [&](const Bytes& phy) { return joins->onJoinRequest(kGw1, rx(phy), now); };
  EXPECT_EQ(bad(testsupport::buildJoinRequest(kAppKey, kJoinEui, Eui64(0x1111), 1)),
            JoinVerdict::UnknownDevEui);
  EXPECT_EQ(bad(testsupport::buildJoinRequest(kAppKey, Eui64(0x2222), kDevEui, 1)),
            JoinVerdict::WrongJoinEui);
  auto wrongKey = lorawan::Aes128Key::parse("00000000000000000000000000000001").value();
  EXPECT_EQ(bad(testsupport::buildJoinRequest(wrongKey, kJoinEui, kDevEui, 1)),
            JoinVerdict::BadMic);
  auto listenOnly = otaa();
  listenOnly.opts.managed = false;
  open({listenOnly});
  EXPECT_EQ(join(1), JoinVerdict::NotManaged);
  EXPECT_TRUE(sent.empty());
  EXPECT_TRUE(events.empty());
}

TEST_F(JoinServerTest, UnknownDataRateGoesToRx2AndTxAckErrorMovesToRx2) {
  joins->onJoinRequest(
      kGw1, rx(testsupport::buildJoinRequest(kAppKey, kJoinEui, kDevEui, 5), 100, "SF7BW500"), now);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].txpk["txpk"]["tmst"], 100 + 6000000);  // RX2: JOIN_ACCEPT_DELAY2
  EXPECT_DOUBLE_EQ(sent[0].txpk["txpk"]["freq"].get<double>(), 869.525);
  EXPECT_EQ(sent[0].txpk["txpk"]["datr"], "SF12BW125");

  EXPECT_EQ(join(6), JoinVerdict::Accepted);
  ASSERT_EQ(sent.size(), 2u);
  // The gateway refuses RX1: the same frame goes out on RX2.
  scheduler->onTxAck(kGw1, 2, "TOO_LATE", now + 10ms);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[2].phy, sent[1].phy);
  EXPECT_EQ(sent[2].txpk["txpk"]["tmst"], 1000000 + 6000000);
  EXPECT_EQ(metrics.counter("downlinks_total{result=\"tx_error\",error=\"TOO_LATE\"}"), 1u);
}

TEST_F(JoinServerTest, Lorawan11JoinUsesNwkKeyAndOptNeg) {
  auto itf = otaa("1.1");
  auto nwkKey = lorawan::Aes128Key::parse("0102030405060708090A0B0C0D0E0F10").value();
  itf.opts.networkKey = nwkKey;
  open({itf});
  auto phy = testsupport::buildJoinRequest(nwkKey, kJoinEui, kDevEui, 1);
  EXPECT_EQ(joins->onJoinRequest(kGw1, rx(phy), now), JoinVerdict::Accepted);
  ASSERT_EQ(sent.size(), 1u);
  auto opened = lorawan::openJoinAccept(sent[0].phy, nwkKey);
  ASSERT_TRUE(opened.has_value());
  EXPECT_TRUE(opened->payload.dlSettings.optNeg);
  auto jsInt = lorawan::deriveJsIntKey(nwkKey, kDevEui);
  EXPECT_EQ(lorawan::joinAcceptMic11(jsInt, 0xFF, kJoinEui, 1, opened->micInput), opened->mic);
  auto keys = lorawan::deriveSessionKeys11(nwkKey, kAppKey, opened->payload.joinNonce, kJoinEui, 1);
  const auto& s = sessions.byDevAddr(opened->payload.devAddr);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_TRUE(s[0]->lorawan11);
  EXPECT_EQ(s[0]->sNwkSIntKey(), keys.sNwkSIntKey);
  EXPECT_EQ(s[0]->nwkSEncKey(), keys.nwkSEncKey);
  EXPECT_EQ(s[0]->appSKey, keys.appSKey);
}

}  // namespace
