// Every published vector in fixtures/lorawan/crypto_vectors.json, one parameterised test.
#include "lorawan/security.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "lorawan/join_accept.hpp"
#include "support/fixtures.hpp"

using namespace lorawan;
using nlohmann::json;
using testsupport::hex;
using testsupport::key;

namespace {

struct Vector {
  json c;
};
// gtest prints parameters in test listings: the vector's name is enough.
void PrintTo(const Vector& v, std::ostream* os) {
  *os << v.c["name"].get<std::string>();
}

std::vector<Vector> loadCases() {
  auto doc = json::parse(testsupport::readFixture("lorawan/crypto_vectors.json"));
  std::vector<Vector> out;
  for (const auto& c : doc["cases"]) out.push_back({c});
  return out;
}

Direction dir(const json& c) {
  return c["dir"] == "up" ? Direction::Uplink : Direction::Downlink;
}
DevAddr addr(const json& c) {
  return DevAddr::parse(c["devaddr"].get<std::string>()).value();
}
std::string micHex(const Mic& m) {
  return toHex(m);
}

class CryptoVectors : public ::testing::TestWithParam<Vector> {};

TEST_P(CryptoVectors, MatchesPublishedValue) {
  const json& c = GetParam().c;
  SCOPED_TRACE(c["name"].get<std::string>() + " — " + c["source"].get<std::string>());
  const std::string kind = c["kind"];
  if (kind == "data_mic10") {
    EXPECT_EQ(micHex(dataMic10(key(c["key"]), dir(c), addr(c), c["fcnt"], hex(c["msg"]))),
              c["mic"].get<std::string>());
    // A reused CMAC, its key switched between the cases, gives the same.
    static lorawan::crypto::Cmac reused;
    EXPECT_EQ(micHex(dataMic10(reused, key(c["key"]), dir(c), addr(c), c["fcnt"], hex(c["msg"]))),
              c["mic"].get<std::string>());
  } else if (kind == "data_mic11_up") {
    EXPECT_EQ(micHex(uplinkMic11(key(c["snwk"]), key(c["fnwk"]), c["conf_fcnt"], c["tx_dr"],
                                 c["tx_ch"], addr(c), c["fcnt"], hex(c["msg"]))),
              c["mic"].get<std::string>());
  } else if (kind == "data_mic11_down") {
    EXPECT_EQ(
        micHex(downlinkMic11(key(c["key"]), c["conf_fcnt"], addr(c), c["fcnt"], hex(c["msg"]))),
        c["mic"].get<std::string>());
  } else if (kind == "frm_crypt") {
    EXPECT_EQ(toHex(cryptFrmPayload(key(c["key"]), dir(c), addr(c), c["fcnt"], hex(c["plain"]))),
              c["cipher"].get<std::string>());
    EXPECT_EQ(toHex(cryptFrmPayload(key(c["key"]), dir(c), addr(c), c["fcnt"], hex(c["cipher"]))),
              c["plain"].get<std::string>());
  } else if (kind == "fopts_crypt_original") {
    EXPECT_EQ(toHex(cryptFOpts11(key(c["key"]), dir(c), addr(c), c["fcnt"], hex(c["plain"]), false,
                                 FOptsScheme::Original1_1)),
              c["cipher"].get<std::string>());
  } else if (kind == "join_request_mic") {
    EXPECT_EQ(micHex(joinRequestMic(key(c["key"]), hex(c["msg"]))), c["mic"].get<std::string>());
  } else if (kind == "join_accept_mic10") {
    EXPECT_EQ(micHex(joinAcceptMic10(key(c["key"]), hex(c["msg"]))), c["mic"].get<std::string>());
  } else if (kind == "join_accept_mic11") {
    EXPECT_EQ(micHex(joinAcceptMic11(key(c["key"]), c["join_req_type"],
                                     Eui64::parse(c["join_eui"].get<std::string>()).value(),
                                     c["dev_nonce"], hex(c["msg"]))),
              c["mic"].get<std::string>());
  } else if (kind == "join_accept_encrypt") {
    Bytes plain = hex(c["plain"]);
    Bytes mic = hex(c["mic"]);
    plain.insert(plain.end(), mic.begin(), mic.end());
    EXPECT_EQ(toHex(encryptJoinAccept(key(c["key"]), plain)), c["cipher"].get<std::string>());
    EXPECT_EQ(toHex(decryptJoinAccept(key(c["key"]), hex(c["cipher"]))), toHex(plain));
  } else if (kind == "join_accept_open") {
    Bytes phy = hex(c["phy"]);
    auto d = openJoinAccept(phy, key(c["key"]));
    ASSERT_TRUE(d.has_value()) << d.error().toString();
    EXPECT_EQ(d->payload.joinNonce, c["join_nonce"].get<uint32_t>());
    EXPECT_EQ(d->payload.netId.toString(), c["net_id"].get<std::string>());
    EXPECT_EQ(d->payload.devAddr.toString(), c["devaddr"].get<std::string>());
    EXPECT_EQ(d->payload.dlSettings.toByte(), c["dl_settings"].get<uint8_t>());
    EXPECT_EQ(d->payload.rxDelay, c["rx_delay"].get<uint8_t>());
    ASSERT_TRUE(d->payload.cfList.has_value());
    EXPECT_EQ(toHex(*d->payload.cfList), c["cflist"].get<std::string>());
    EXPECT_EQ(micHex(d->mic), c["mic"].get<std::string>());
    EXPECT_EQ(joinAcceptMic10(key(c["key"]), d->micInput), d->mic);
    // Building the same accept from its fields gives the captured bytes back.
    EXPECT_EQ(toHex(buildJoinAccept10(d->payload, key(c["key"]))), c["phy"].get<std::string>());
  } else if (kind == "keys10") {
    auto k =
        deriveSessionKeys10(key(c["key"]), c["join_nonce"],
                            NetId::parse(c["net_id"].get<std::string>()).value(), c["dev_nonce"]);
    EXPECT_EQ(k.nwkSKey.hex(), c["nwk_s_key"].get<std::string>());
    EXPECT_EQ(k.appSKey.hex(), c["app_s_key"].get<std::string>());
  } else if (kind == "keys11") {
    auto k =
        deriveSessionKeys11(key(c["nwk_key"]), key(c["app_key"]), c["join_nonce"],
                            Eui64::parse(c["join_eui"].get<std::string>()).value(), c["dev_nonce"]);
    EXPECT_EQ(k.fNwkSIntKey.hex(), c["f_nwk_s_int_key"].get<std::string>());
    EXPECT_EQ(k.sNwkSIntKey.hex(), c["s_nwk_s_int_key"].get<std::string>());
    EXPECT_EQ(k.nwkSEncKey.hex(), c["nwk_s_enc_key"].get<std::string>());
    EXPECT_EQ(k.appSKey.hex(), c["app_s_key"].get<std::string>());
    if (c.contains("js_int_key")) {
      auto devEui = Eui64::parse(c["dev_eui"].get<std::string>()).value();
      EXPECT_EQ(deriveJsIntKey(key(c["nwk_key"]), devEui).hex(),
                c["js_int_key"].get<std::string>());
      EXPECT_EQ(deriveJsEncKey(key(c["nwk_key"]), devEui).hex(),
                c["js_enc_key"].get<std::string>());
    }
  } else {
    FAIL() << "unknown vector kind " << kind;
  }
}

INSTANTIATE_TEST_SUITE_P(Published, CryptoVectors, ::testing::ValuesIn(loadCases()),
                         [](const auto& info) { return "case" + std::to_string(info.index); });

TEST(Security, FrmPayloadLongerThanOneBlockRoundTrips) {
  auto k = key("2b7e151628aed2a6abf7158809cf4f3c");
  Bytes plain(40);
  for (size_t i = 0; i < plain.size(); ++i) plain[i] = uint8_t(i);
  Bytes enc = cryptFrmPayload(k, Direction::Uplink, DevAddr(0x26011bda), 70000, plain);
  EXPECT_NE(enc, plain);
  // Blocks differ: the counter byte A[15] advances per block.
  EXPECT_NE(Bytes(enc.begin(), enc.begin() + 16), Bytes(enc.begin() + 16, enc.begin() + 32));
  EXPECT_EQ(cryptFrmPayload(k, Direction::Uplink, DevAddr(0x26011bda), 70000, enc), plain);
}

TEST(Security, MicUsesAll32BitsOfTheCounter) {
  auto k = key("2b7e151628aed2a6abf7158809cf4f3c");
  Bytes msg = hex("40da1b0126000100010102");
  EXPECT_NE(dataMic10(k, Direction::Uplink, DevAddr(0x26011bda), 0x00000001, msg),
            dataMic10(k, Direction::Uplink, DevAddr(0x26011bda), 0x00010001, msg));
}

TEST(Security, ErrataFOptsSchemeDiffersFromOriginalAndRoundTrips) {
  auto k = key("01010101010101010101010101010101");
  Bytes plain = hex("0203");
  Bytes errata = cryptFOpts11(k, Direction::Uplink, DevAddr(0x01020304), 1, plain);
  Bytes original = cryptFOpts11(k, Direction::Uplink, DevAddr(0x01020304), 1, plain, false,
                                FOptsScheme::Original1_1);
  EXPECT_NE(errata, original);
  EXPECT_EQ(cryptFOpts11(k, Direction::Uplink, DevAddr(0x01020304), 1, errata), plain);
  EXPECT_NE(cryptFOpts11(k, Direction::Downlink, DevAddr(0x01020304), 1, plain, true),
            cryptFOpts11(k, Direction::Downlink, DevAddr(0x01020304), 1, plain, false));
}

TEST(Security, JoinAcceptRejectsLengthNotMultipleOf16) {
  EXPECT_TRUE(encryptJoinAccept(key("01010101010101010101010101010101"), hex("0102")).empty());
}

TEST(Security, JoinAccept11RoundTripsThroughOpen) {
  auto nwkKey = key("01020304050607080102030405060708");
  auto devEui = Eui64(0x0102030405060708);
  auto joinEui = Eui64(0x1112131415161718);
  JoinAcceptPayload ja{0x123456, NetId(0x000013), DevAddr(0x26000001), {true, 1, 3}, 1, {}};
  auto jsInt = deriveJsIntKey(nwkKey, devEui);
  Bytes phy = buildJoinAccept11(ja, jsInt, nwkKey, 0xFF, joinEui, 7);
  auto d = openJoinAccept(phy, nwkKey);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->payload, ja);
  EXPECT_EQ(joinAcceptMic11(jsInt, 0xFF, joinEui, 7, d->micInput), d->mic);
  EXPECT_NE(joinAcceptMic10(nwkKey, d->micInput), d->mic);
}

}  // namespace
