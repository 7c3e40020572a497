// The pipeline driven directly, with a fake clock and a real SQLite file.
#include "bridge/network/uplink_pipeline.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bridge/store/sqlite_store.hpp"
#include "lorawan/security.hpp"
#include "support/devices.hpp"
#include "support/temp_dir.hpp"

using namespace bridge;
using namespace std::chrono_literals;
using lorawan::Bytes;
using lorawan::Eui64;
using testsupport::AbpDevice;
using testsupport::buildUplink;

namespace {

const AbpDevice& kDev = testsupport::kCellar;
const Eui64 kGw1(0xAA555A0000000001), kGw2(0xAA555A0000000002);

config::Interface makeInterface(const std::string& id, const std::string& slug, const AbpDevice& d,
                                bool allowDup = false) {
  return testsupport::abpInterface(id, slug, d, allowDup);
}

lorawan::semtech::RxPacket rx(const Bytes& phy, double rssi = -60, double snr = 5,
                              uint32_t tmst = 1) {
  lorawan::semtech::RxPacket p;
  p.phyPayload = phy;
  p.rssi = rssi;
  p.snr = snr;
  p.tmst = tmst;
  p.frequencyHz = 868100000;
  p.modulation = "LORA";
  p.dataRate = "SF7BW125";
  p.codeRate = "4/5";
  return p;
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    open({makeInterface("11111111-1111-4111-8111-111111111111", "cellar", kDev)});
  }

  static PipelineSettings settings() {
    PipelineSettings ps;
    ps.dedupWindow = 200ms;
    ps.lateCopyMemory = 60000ms;
    ps.bands = BandPlan(*lorawan::region::findBand("EU868"));
    ps.bands.extraChannelsHz = {867100000, 867300000, 867500000, 867700000, 867900000};
    return ps;
  }

  void open(std::vector<config::Interface> itfs) {
    pipeline.reset();
    store.reset();
    store = SqliteStore::open(dir.file("state.db")).value();
    interfaces = std::move(itfs);
    sessions.load(interfaces, *store);
    pipeline = std::make_unique<UplinkPipeline>(
        settings(), sessions, *store, *store, metrics,
        [this](const Uplink& u, const std::string& json) {
          emitted.push_back(u);
          events.push_back(nlohmann::json::parse(json));
        },
        [] { return int64_t(1700000000123); });
  }

  std::optional<Verdict> send(const Bytes& phy, Eui64 gw = kGw1, double rssi = -60,
                              double snr = 5) {
    return pipeline->onRxPacket(gw, rx(phy, rssi, snr), now);
  }
  void advance(std::chrono::milliseconds d) {
    now += d;
    pipeline->closeDue(now);
  }
  // A LoRaWAN 1.1 session with the four network/app keys of the ChirpStack lrwn 1.1 vectors.
  Session& installV11(const std::string& id, lorawan::DevAddr addr) {
    sessions.upsert(makeInterface(id, "v11", kDev), *store);
    JoinedSession k;
    k.devAddr = addr;
    k.lorawan11 = true;
    k.fNwkSIntKey = lorawan::Aes128Key::parse("537f8aae896c79e015d102d06286354e").value();
    k.sNwkSIntKey = lorawan::Aes128Key::parse("589498993092cfdb5fd2e02ac7510bf1").value();
    k.nwkSEncKey = lorawan::Aes128Key::parse("9898283c4f66eb6c6fd5165882046c40").value();
    k.appSKey = lorawan::Aes128Key::parse("01621215d1ca08febf0c602cc2ad90fa").value();
    return sessions.join(*sessions.find(id), k);
  }
  uint64_t rejected(const char* reason) {
    return metrics.counter(std::string("uplinks_rejected_total{reason=\"") + reason + "\"}");
  }

  testsupport::TempDir dir;
  Metrics metrics;
  std::unique_ptr<SqliteStore> store;
  std::vector<config::Interface> interfaces;
  SessionRegistry sessions;
  std::unique_ptr<UplinkPipeline> pipeline;
  UplinkPipeline::Clock::time_point now{std::chrono::seconds(1000)};
  std::vector<Uplink> emitted;
  std::vector<nlohmann::json> events;
};

TEST_F(PipelineTest, AcceptsDecryptsAndEmitsWhenTheWindowCloses) {
  EXPECT_EQ(send(buildUplink(kDev, 1, 10, {0x01, 0x02, 0x03})), Verdict::Accepted);
  EXPECT_TRUE(emitted.empty());  // still inside the dedup window
  advance(199ms);
  EXPECT_TRUE(emitted.empty());
  advance(1ms);
  ASSERT_EQ(emitted.size(), 1u);
  const auto& e = events[0];
  EXPECT_EQ(e["data"], "AQID");
  EXPECT_EQ(e["fCnt"], 1);
  EXPECT_EQ(e["fPort"], 10);
  EXPECT_EQ(e["devAddr"], "26011bda");
  EXPECT_EQ(e["deviceIdOrSlug"], "cellar");
  EXPECT_EQ(e["receivedAt"], "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(e["confirmed"], false);
  EXPECT_TRUE(e["decoded"].is_null());
  EXPECT_EQ(e["codec"]["name"], "raw");
  EXPECT_EQ(e["tx"]["frequency"], 868100000);
  EXPECT_EQ(e["tx"]["dataRate"], "SF7BW125");
  EXPECT_TRUE(e["devEui"].is_null());
  EXPECT_TRUE(e["driverInstanceId"].is_null());
  EXPECT_EQ(e["id"].get<std::string>().size(), 36u);
  for (const char* k :
       {"id", "receivedAt", "interfaceId", "deviceIdOrSlug", "driverInstanceId", "devEui",
        "devAddr", "fCnt", "fPort", "confirmed", "adr", "data", "decoded", "codec", "rx", "tx"})
    EXPECT_TRUE(e.contains(k)) << k;
  EXPECT_EQ(metrics.counter("uplinks_accepted_total"), 1u);
}

TEST_F(PipelineTest, CopiesFromTwoGatewaysBecomeOneUplinkBestGatewayFirst) {
  Bytes up = buildUplink(kDev, 1, 1, {0xAA});
  send(up, kGw1, -100, -3);
  send(up, kGw2, -50, 8);
  send(up, kGw2, -50, 8);  // the same gateway twice is one reception
  advance(200ms);
  ASSERT_EQ(emitted.size(), 1u);
  ASSERT_EQ(events[0]["rx"].size(), 2u);
  EXPECT_EQ(events[0]["rx"][0]["gatewayEui"], "aa555a0000000002");
  EXPECT_EQ(events[0]["rx"][1]["gatewayEui"], "aa555a0000000001");
  EXPECT_EQ(metrics.counter("uplink_copies_total"), 2u);
}

TEST_F(PipelineTest, LateCopiesAreDroppedAndCounted) {
  Bytes up = buildUplink(kDev, 1, 1, {0xAA});
  send(up);
  advance(200ms);
  EXPECT_EQ(send(up, kGw2), std::nullopt);
  advance(200ms);
  EXPECT_EQ(emitted.size(), 1u);
  EXPECT_EQ(metrics.counter("uplinks_late_copies_total"), 1u);
}

TEST_F(PipelineTest, ReplayOfAnOlderCounterIsRejected) {
  Bytes one = buildUplink(kDev, 1, 1, {0x01});
  send(one);
  send(buildUplink(kDev, 2, 1, {0x02}));
  advance(200ms);
  advance(61000ms);  // beyond the late-copy memory: the counter rule alone must catch it
  EXPECT_EQ(send(one), Verdict::Replay);
  EXPECT_EQ(send(buildUplink(kDev, 2, 1, {0x09})), Verdict::Replay);  // same counter, other bytes
  advance(200ms);
  EXPECT_EQ(emitted.size(), 2u);
  EXPECT_EQ(rejected("replay"), 2u);
}

TEST_F(PipelineTest, ConfirmedRetransmissionIsAckedAgainButNotForwarded) {
  std::vector<std::string> acked;
  pipeline->onRetransmission(
      [&](Session& s, Eui64, const lorawan::semtech::RxPacket&) { acked.push_back(s.id.str()); });
  Bytes up = buildUplink(kDev, 9, 1, {0x01}, /*confirmed=*/true);
  send(up);
  advance(200ms);
  EXPECT_EQ(send(up, kGw2), std::nullopt);  // 200 ms later from another gateway: a late copy
  EXPECT_TRUE(acked.empty());
  advance(1500ms);
  EXPECT_EQ(send(up), Verdict::Retransmission);  // the device sent it again: ACK it again
  EXPECT_EQ(acked.size(), 1u);
  EXPECT_EQ(send(up, kGw2), std::nullopt);  // that retransmission's copy
  advance(200ms);
  EXPECT_EQ(emitted.size(), 1u);
  // An unconfirmed frame seen again is never ACKed.
  Bytes plain = buildUplink(kDev, 10, 1, {0x02});
  send(plain);
  advance(3000ms);
  EXPECT_EQ(send(plain), std::nullopt);
  EXPECT_EQ(acked.size(), 1u);
}

TEST_F(PipelineTest, RetransmissionIsNotForwardedTwice) {
  Bytes up = buildUplink(kDev, 7, 1, {0x01}, /*confirmed=*/true);
  send(up);
  advance(200ms);
  advance(61000ms);
  EXPECT_EQ(send(up), Verdict::Retransmission);
  advance(200ms);
  EXPECT_EQ(emitted.size(), 1u);
  EXPECT_EQ(events[0]["confirmed"], true);
}

TEST_F(PipelineTest, CounterRollsOverFrom65535To65536) {
  send(buildUplink(kDev, 65534, 1, {0x01}));
  send(buildUplink(kDev, 65535, 1, {0x02}));
  send(buildUplink(kDev, 65536, 1, {0x03}));
  send(buildUplink(kDev, 65537, 1, {0x04}));
  advance(200ms);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[2]["fCnt"], 65536);
  EXPECT_EQ(events[2]["data"], "Aw==");
  EXPECT_EQ(events[3]["fCnt"], 65537);
}

TEST_F(PipelineTest, GapBeyondMaxFCntGapIsRejected) {
  send(buildUplink(kDev, 10, 1, {0x01}));
  EXPECT_EQ(send(buildUplink(kDev, 10 + 16384, 1, {0x02})), Verdict::Accepted);  // exactly the gap
  EXPECT_EQ(send(buildUplink(kDev, 10 + 16384 + 16385, 1, {0x03})), Verdict::FCntGap);
  advance(200ms);
  EXPECT_EQ(emitted.size(), 2u);
  EXPECT_EQ(rejected("fcnt_gap"), 1u);
}

TEST_F(PipelineTest, CounterResetAcceptedWhenAllowedAndReported) {
  open({makeInterface("11111111-1111-4111-8111-111111111111", "cellar", kDev, /*allowDup=*/true)});
  send(buildUplink(kDev, 500, 1, {0x01}));
  advance(200ms);
  EXPECT_EQ(send(buildUplink(kDev, 1, 1, {0x02})), Verdict::Accepted);  // device rebooted
  advance(200ms);
  ASSERT_EQ(emitted.size(), 2u);
  EXPECT_TRUE(emitted[1].fcntReset);
  EXPECT_EQ(emitted[1].previousFCnt, 500u);
  EXPECT_EQ(events[1]["fCnt"], 1);
  // Identical bytes are still one uplink.
  advance(61000ms);
  EXPECT_EQ(send(buildUplink(kDev, 1, 1, {0x02})), Verdict::Retransmission);
  EXPECT_EQ(metrics.counter("fcnt_resets_total"), 1u);
}

TEST_F(PipelineTest, SharedDevAddrIsDisambiguatedByMic) {
  AbpDevice twin{kDev.devAddr, testsupport::kDoor.nwkSKey, testsupport::kDoor.appSKey};
  open({makeInterface("11111111-1111-4111-8111-111111111111", "cellar", kDev),
        makeInterface("22222222-2222-4222-8222-222222222222", "twin", twin)});
  send(buildUplink(twin, 1, 1, {0x22}));
  send(buildUplink(kDev, 1, 1, {0x11}));
  advance(200ms);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["deviceIdOrSlug"], "twin");
  EXPECT_EQ(events[0]["data"], "Ig==");
  EXPECT_EQ(events[1]["deviceIdOrSlug"], "cellar");
}

TEST_F(PipelineTest, BadMicUnknownDevAddrDisabledAndCrcAreRejected) {
  Bytes forged = buildUplink(kDev, 1, 1, {0x01});
  forged[10] ^= 0x01;
  EXPECT_EQ(send(forged), Verdict::BadMic);
  AbpDevice stranger{lorawan::DevAddr(0x01020304), kDev.nwkSKey, kDev.appSKey};
  EXPECT_EQ(send(buildUplink(stranger, 1, 1, {0x01})), Verdict::UnknownDevAddr);
  auto crc = rx(buildUplink(kDev, 2, 1, {0x01}));
  crc.crcStatus = -1;
  EXPECT_EQ(pipeline->onRxPacket(kGw1, std::move(crc), now), Verdict::CrcBad);
  EXPECT_EQ(send(lorawan::fromHex("00dc0000d07ed5b3701e6fedf57ceeaf0085cc587fe913").value()),
            Verdict::UnsupportedMType);
  EXPECT_EQ(send(Bytes{0x40, 0x01}), Verdict::Malformed);
  advance(200ms);
  EXPECT_TRUE(emitted.empty());
  EXPECT_EQ(rejected("bad_mic"), 1u);
  EXPECT_EQ(rejected("unknown_devaddr"), 1u);
  EXPECT_EQ(rejected("crc_bad"), 1u);

  auto itf = makeInterface("11111111-1111-4111-8111-111111111111", "cellar", kDev);
  itf.opts.enabled = false;
  open({itf});
  EXPECT_EQ(send(buildUplink(kDev, 3, 1, {0x01})), Verdict::Disabled);
  advance(200ms);
  EXPECT_TRUE(emitted.empty());
}

TEST_F(PipelineTest, MacCommandsOnFPort0AreNotForwardedAsData) {
  send(buildUplink(kDev, 1, 0, {0x02, 0x06, 0xFF, 0x0A}));  // LinkCheckReq, DevStatusAns
  advance(200ms);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["fPort"], 0);
  EXPECT_EQ(events[0]["data"], "");
  EXPECT_EQ(metrics.counter("mac_command_errors_total"), 0u);
}

TEST_F(PipelineTest, CountersSurviveARestartOfTheStore) {
  Bytes three = buildUplink(kDev, 3, 1, {0x03});
  send(buildUplink(kDev, 1, 1, {0x01}));
  send(three);
  advance(200ms);
  open(interfaces);  // a new registry and pipeline on the same SQLite file
  EXPECT_EQ(send(three), Verdict::Retransmission);
  EXPECT_EQ(send(buildUplink(kDev, 2, 1, {0x02})), Verdict::Replay);
  EXPECT_EQ(send(buildUplink(kDev, 4, 1, {0x04})), Verdict::Accepted);
}

TEST_F(PipelineTest, Lorawan11SessionsUseTheSplitMicWithTxDrAndTxCh) {
  Session& v11 = installV11("55555555-5555-4555-8555-555555555555", lorawan::DevAddr(0x26AABBCC));
  auto frame = [&](uint8_t txDr, uint8_t txCh) {
    AbpDevice d{v11.devAddr, v11.nwkSKey, v11.appSKey};
    Bytes b = buildUplink(d, 1, 1, {0x11});
    auto mic = lorawan::uplinkMic11(v11.sNwkSIntKey(), v11.nwkSKey, 0, txDr, txCh, v11.devAddr, 1,
                                    lorawan::micInput(b));
    std::copy(mic.begin(), mic.end(), b.end() - 4);
    return b;
  };
  auto rx868 = [&](const Bytes& phy) {
    auto r = rx(phy);
    r.frequencyHz = 868300000;  // default channel 1
    return r;
  };
  EXPECT_EQ(pipeline->onRxPacket(kGw1, rx868(frame(5, 0)), now), Verdict::BadMic);  // wrong channel
  EXPECT_EQ(pipeline->onRxPacket(kGw1, rx868(frame(4, 1)), now),
            Verdict::BadMic);  // wrong data rate
  EXPECT_EQ(pipeline->onRxPacket(kGw1, rx868(frame(5, 1)), now), Verdict::Accepted);
  advance(200ms);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["data"], "EQ==");
}

// Hardening 15: in a 1.1 session FOpts arrive encrypted with NwkSEncKey and FPort 0 is
// encrypted with NwkSEncKey, not FNwkSIntKey (keys: the ChirpStack lrwn 1.1 vector set above).
TEST_F(PipelineTest, Lorawan11FOptsAndFPort0AreDecryptedWithNwkSEncKey) {
  Session& v11 = installV11("55555555-5555-4555-8555-555555555556", lorawan::DevAddr(0x26AABBCD));
  const Bytes linkCheckAndDevStatus{0x02, 0x06, 0xFE, 0x0A};  // LinkCheckReq, DevStatusAns
  auto sign = [&](Bytes b, uint32_t fcnt) {
    auto mic = lorawan::uplinkMic11(v11.sNwkSIntKey(), v11.nwkSKey, 0, 5, 0, v11.devAddr, fcnt,
                                    lorawan::micInput(b));
    std::copy(mic.begin(), mic.end(), b.end() - 4);
    return b;
  };
  // FOpts encrypted as a 1.1 device does (errata scheme).
  const Bytes fopts = lorawan::cryptFOpts11(v11.nwkSEncKey(), lorawan::Direction::Uplink,
                                            v11.devAddr, 1, linkCheckAndDevStatus);
  AbpDevice app{v11.devAddr, v11.nwkSEncKey(), v11.appSKey};
  EXPECT_EQ(
      pipeline->onRxPacket(kGw1, rx(sign(buildUplink(app, 1, 1, {0x11}, false, fopts), 1)), now),
      Verdict::Accepted);
  // FPort 0: MAC commands in FRMPayload under NwkSEncKey.
  EXPECT_EQ(
      pipeline->onRxPacket(kGw1, rx(sign(buildUplink(app, 2, 0, linkCheckAndDevStatus), 2)), now),
      Verdict::Accepted);
  advance(200ms);
  ASSERT_EQ(emitted.size(), 2u);
  for (const Uplink& u : emitted) {
    ASSERT_EQ(u.macCommands.size(), 2u) << "MAC commands not decrypted";
    EXPECT_EQ(u.macCommands[0].cid, 0x02);
    EXPECT_EQ(u.macCommands[1].cid, 0x06);
  }
  EXPECT_EQ(metrics.counter("mac_command_errors_total"), 0u);
}

// Hardening 5: closing every window at shutdown (time_point::max) keeps late-copy memory sound.
TEST_F(PipelineTest, ClosingEverythingAtShutdownStillRecognisesLateCopies) {
  const Bytes f = buildUplink(kDev, 1, 1, {0x01});
  send(f);
  pipeline->closeDue(UplinkPipeline::Clock::time_point::max());
  ASSERT_EQ(emitted.size(), 1u);
  now += 1s;
  EXPECT_EQ(send(f, kGw2), std::nullopt);  // a late copy: remembered, dropped
  EXPECT_EQ(metrics.counter("uplinks_late_copies_total"), 1u);
  EXPECT_EQ(emitted.size(), 1u);
}

TEST_F(PipelineTest, AcceptedUplinksAreKeptInTheEmbeddedStore) {
  send(buildUplink(kDev, 1, 1, {0x01}));
  advance(200ms);
  auto kept = store->recentUplinks("cellar", 10);
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].id, emitted[0].id);
  EXPECT_EQ(nlohmann::json::parse(kept[0].eventJson)["data"], "AQ==");
}

}  // namespace

// A backlog of windows is closed in slices (the network thread reads its socket in between):
// at most the slice per call, in deadline order, the rest on the next call.
TEST_F(PipelineTest, ABacklogOfWindowsClosesInSlicesInOrder) {
  for (uint32_t f = 1; f <= 10; ++f) {
    send(buildUplink(kDev, f, 1, {uint8_t(f)}));
    now += 1ms;
  }
  now += 500ms;  // all ten are due
  pipeline->closeDue(now, 4);
  ASSERT_EQ(emitted.size(), 4u);
  EXPECT_EQ(emitted[3].fcnt, 4u);
  ASSERT_TRUE(pipeline->nextDeadline().has_value());
  EXPECT_LE(*pipeline->nextDeadline(), now) << "the rest is still due: the caller comes back";
  pipeline->closeDue(now, 4);
  pipeline->closeDue(now, 4);
  ASSERT_EQ(emitted.size(), 10u);
  for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(emitted[i].fcnt, i + 1);
  EXPECT_FALSE(pipeline->nextDeadline().has_value());
}
