#include "lorawan/semtech_udp.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/fixtures.hpp"

using namespace lorawan;
using namespace lorawan::semtech;

namespace {

Bytes bytesOf(const std::string& s) {
  return Bytes(s.begin(), s.end());
}

const char* kRxpk =
    R"({"rxpk":[{"time":"2013-03-31T16:21:17.528002Z","tmst":3512348611,"chan":2,"rfch":0,)"
    R"("freq":866.349812,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/6","rssi":-35,)"
    R"("lsnr":5.1,"size":17,"data":"QPF9vkkAAgABlUN4disR/w0="}]})";

TEST(SemtechUdp, ParsesPushDataHeaderWithGatewayEuiMsbFirst) {
  Bytes d = makePushData(2, 0xBEEF, Eui64(0xAA555A0000000001), kRxpk);
  auto dg = parseDatagram(d);
  ASSERT_TRUE(dg.has_value());
  EXPECT_EQ(dg->version, 2);
  EXPECT_EQ(dg->token, 0xBEEF);
  EXPECT_EQ(dg->identifier, Identifier::PushData);
  EXPECT_EQ(dg->gatewayEui->toString(), "aa555a0000000001");
  EXPECT_EQ(d[4], 0xAA);
  auto ack = makeAck(dg->version, dg->token, Identifier::PushAck);
  EXPECT_EQ(ack, (std::array<uint8_t, 4>{2, 0xBE, 0xEF, 1}));
}

TEST(SemtechUdp, ParsesSingleAntennaRxpk) {
  auto pd = parsePushData(bytesOf(kRxpk));
  ASSERT_TRUE(pd.has_value());
  ASSERT_EQ(pd->rxpk.size(), 1u);
  ASSERT_TRUE(pd->rxpk[0].has_value()) << pd->rxpk[0].error().toString();
  const RxPacket& p = *pd->rxpk[0];
  EXPECT_EQ(p.tmst, 3512348611u);
  EXPECT_EQ(p.frequencyHz, 866349812u);
  EXPECT_EQ(p.channel, 2);
  EXPECT_EQ(p.dataRate, "SF7BW125");
  EXPECT_EQ(p.codeRate, "4/6");
  EXPECT_DOUBLE_EQ(p.rssi, -35);
  EXPECT_DOUBLE_EQ(*p.snr, 5.1);
  EXPECT_EQ(toHex(p.phyPayload), "40f17dbe4900020001954378762b11ff0d");
  EXPECT_EQ(*p.time, "2013-03-31T16:21:17.528002Z");
}

TEST(SemtechUdp, ParsesMultiAntennaRsigTakingTheBestAntenna) {
  std::string j =
      R"({"rxpk":[{"tmst":1,"freq":868.1,"stat":1,"modu":"LORA","datr":"SF9BW125","codr":"4/5",)"
      R"("rfch":1,"size":4,"data":"dGVzdA==","rsig":[{"ant":0,"chan":5,"rssic":-90,"lsnr":-2.5},)"
      R"({"ant":1,"chan":5,"rssic":-80,"lsnr":3.0}]}]})";
  auto pd = parsePushData(bytesOf(j));
  ASSERT_TRUE(pd->rxpk[0].has_value()) << pd->rxpk[0].error().toString();
  EXPECT_EQ(pd->rxpk[0]->rsig.size(), 2u);
  EXPECT_DOUBLE_EQ(pd->rxpk[0]->rssi, -80);
  EXPECT_DOUBLE_EQ(*pd->rxpk[0]->snr, 3.0);
  EXPECT_EQ(pd->rxpk[0]->channel, 5);
  EXPECT_EQ(pd->rxpk[0]->rfChain, 1);
}

TEST(SemtechUdp, FskAndLrFhssAndUnknownFields) {
  std::string j =
      R"({"rxpk":[{"tmst":1,"freq":868.8,"chan":8,"rfch":0,"stat":1,"modu":"FSK","datr":50000,)"
      R"("rssi":-70,"size":4,"data":"dGVzdA==","future_field":{"x":1}},)"
      R"({"tmst":2,"freq":868.1,"chan":0,"rfch":0,"stat":1,"modu":"LR-FHSS","datr":"M0CW137",)"
      R"("codr":"1/3","rssi":-100,"size":4,"data":"dGVzdA=="}],"stat":{"rxnb":2}})";
  auto pd = parsePushData(bytesOf(j));
  ASSERT_TRUE(pd.has_value());
  ASSERT_TRUE(pd->rxpk[0].has_value()) << pd->rxpk[0].error().toString();
  ASSERT_TRUE(pd->rxpk[1].has_value()) << pd->rxpk[1].error().toString();
  EXPECT_EQ(pd->rxpk[0]->dataRate, "50000");
  EXPECT_EQ(pd->rxpk[1]->modulation, "LR-FHSS");
  EXPECT_TRUE(pd->hasStat);
}

struct BadRxpk {
  const char* name;
  const char* rxpk;
  const char* field;
};

// Each replaces one field of an otherwise valid rxpk.
const BadRxpk kBad[] = {
    {"missing tmst",
     R"({"freq":868.1,"chan":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"dGVzdA=="})",
     "rxpk[0].tmst"},
    {"tmst too big",
     R"({"tmst":99999999999,"freq":868.1,"chan":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"dGVzdA=="})",
     "rxpk[0].tmst"},
    {"tmst negative",
     R"({"tmst":-1,"freq":868.1,"chan":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"dGVzdA=="})",
     "rxpk[0].tmst"},
    {"tmst float",
     R"({"tmst":1.5,"freq":868.1,"chan":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"dGVzdA=="})",
     "rxpk[0].tmst"},
    {"freq string",
     R"({"tmst":1,"freq":"868.1","chan":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"dGVzdA=="})",
     "rxpk[0].freq"},
    {"bad modu",
     R"({"tmst":1,"freq":868.1,"chan":0,"stat":1,"modu":"OOK","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"dGVzdA=="})",
     "rxpk[0].modu"},
    {"bad base64",
     R"({"tmst":1,"freq":868.1,"chan":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"dG*zdA=="})",
     "rxpk[0].data"},
    {"size mismatch",
     R"({"tmst":1,"freq":868.1,"chan":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-1,"size":9,"data":"dGVzdA=="})",
     "rxpk[0].size"},
    {"stat 2",
     R"({"tmst":1,"freq":868.1,"chan":0,"stat":2,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"dGVzdA=="})",
     "rxpk[0].stat"},
    {"rsig empty",
     R"({"tmst":1,"freq":868.1,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rsig":[],"data":"dGVzdA=="})",
     "rxpk[0].rsig"},
    {"not object", R"(42)", "rxpk[0]"},
    {"lora datr number",
     R"({"tmst":1,"freq":868.1,"chan":0,"stat":1,"modu":"LORA","datr":7,"codr":"4/5","rssi":-1,"data":"dGVzdA=="})",
     "rxpk[0].datr"},
};

TEST(SemtechUdp, BadRxpkFieldsAreNamedAndDoNotHideGoodOnes) {
  const std::string good =
      R"({"tmst":1,"freq":868.1,"chan":0,"stat":1,"modu":"LORA","datr":"SF7BW125","codr":"4/5","rssi":-1,"data":"dGVzdA=="})";
  for (const auto& c : kBad) {
    SCOPED_TRACE(c.name);
    auto pd = parsePushData(bytesOf(std::string(R"({"rxpk":[)") + c.rxpk + "," + good + "]}"));
    ASSERT_TRUE(pd.has_value());
    ASSERT_EQ(pd->rxpk.size(), 2u);
    ASSERT_FALSE(pd->rxpk[0].has_value());
    EXPECT_EQ(pd->rxpk[0].error().field, c.field) << pd->rxpk[0].error().toString();
    EXPECT_TRUE(pd->rxpk[1].has_value());
  }
}

TEST(SemtechUdp, MalformedDatagrams) {
  EXPECT_EQ(parseDatagram(Bytes{2, 0, 1}).error().field, "header");
  EXPECT_EQ(parseDatagram(Bytes{3, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, '{', '}'}).error().field,
            "version");
  EXPECT_EQ(parseDatagram(Bytes{2, 0, 1, 9}).error().field, "identifier");
  EXPECT_EQ(parseDatagram(Bytes{2, 0, 1, 0, 1, 2}).error().field, "gateway EUI");
  EXPECT_EQ(parseDatagram(Bytes{2, 0, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8}).error().field, "PUSH_DATA");
  EXPECT_EQ(parsePushData(bytesOf("{\"rxpk\":")).error().field, "PUSH_DATA");
  EXPECT_EQ(parsePushData(bytesOf("[1]")).error().field, "PUSH_DATA");
  EXPECT_EQ(parsePushData(bytesOf("{\"rxpk\":5}")).error().field, "rxpk");
  EXPECT_NE(
      parsePushData(bytesOf(R"({"rxpk":[{"tmst":1e400}]})")).error().message.find("out of range"),
      std::string::npos);
  auto pull = parseDatagram(makePullData(1, 7, Eui64(1)));
  ASSERT_TRUE(pull.has_value());
  EXPECT_EQ(pull->identifier, Identifier::PullData);
}

TEST(SemtechUdp, PullRespAndTxAck) {
  Bytes r1 = makePullResp(1, 0x1234, "{}");
  EXPECT_EQ(r1[1], 0);  // v1: zero token
  Bytes r2 = makePullResp(2, 0x1234, "{}");
  EXPECT_EQ(r2[1], 0x12);
  EXPECT_EQ(r2[3], 0x03);
  EXPECT_EQ(parseTxAck({})->error, "NONE");
  for (const char* e : {"NONE", "TOO_LATE", "TOO_EARLY", "COLLISION_PACKET", "COLLISION_BEACON",
                        "TX_FREQ", "TX_POWER", "GPS_UNLOCKED"}) {
    auto ack = parseTxAck(bytesOf(std::string(R"({"txpk_ack":{"error":")") + e + "\"}}"));
    ASSERT_TRUE(ack.has_value());
    EXPECT_EQ(ack->error, e);
  }
  EXPECT_FALSE(parseTxAck(bytesOf("{bad")).has_value());
}

}  // namespace

namespace {
TEST(SemtechUdp, TxpkJsonForPullResp) {
  lorawan::semtech::TxPacket tx;
  tx.tmst = 4294967295u;
  tx.frequencyHz = 923300000;
  tx.powerDbm = 20;
  tx.dataRate = "SF12BW500";
  tx.phyPayload = {0x20, 0x01};
  auto j = nlohmann::json::parse(lorawan::semtech::txpkJson(tx));
  const auto& t = j["txpk"];
  EXPECT_EQ(t["imme"], false);
  EXPECT_EQ(t["tmst"], 4294967295u);
  EXPECT_DOUBLE_EQ(t["freq"].get<double>(), 923.3);
  EXPECT_EQ(t["powe"], 20);
  EXPECT_EQ(t["modu"], "LORA");
  EXPECT_EQ(t["datr"], "SF12BW500");
  EXPECT_EQ(t["codr"], "4/5");
  EXPECT_EQ(t["ipol"], true);
  EXPECT_EQ(t["size"], 2);
  EXPECT_EQ(t["data"], "IAE=");
}
}  // namespace
