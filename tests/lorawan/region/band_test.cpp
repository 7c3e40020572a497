// Values read off the RP002-1.0.3 tables.
#include "lorawan/region/band.hpp"

#include <gtest/gtest.h>

#include "lorawan/types.hpp"

using namespace lorawan::region;

namespace {

const Band& band(const char* n) {
  const Band* b = findBand(n);
  EXPECT_NE(b, nullptr) << n;
  return *b;
}

TEST(Band, AllRequiredBandsExist) {
  for (const char* n : {"EU868", "US915", "AU915", "AS923", "AS923-1", "AS923-2", "AS923-3",
                        "AS923-4", "IN865", "KR920"})
    EXPECT_NE(findBand(n), nullptr) << n;
  EXPECT_EQ(findBand("XX123"), nullptr);
  EXPECT_EQ(findBand("eu868"), nullptr);
}

TEST(Band, Eu868) {
  const Band& b = band("EU868");
  EXPECT_EQ(dataRateIndex(b, "SF12BW125", true), 0);
  EXPECT_EQ(dataRateIndex(b, "SF7BW125", true), 5);
  EXPECT_EQ(dataRateIndex(b, "SF7BW250", true), 6);
  EXPECT_EQ(dataRateIndex(b, "50000", true), 7);
  EXPECT_EQ(dataRateIndex(b, "SF7BW500", true), std::nullopt);
  EXPECT_EQ(dataRateIndex(b, "garbage", true), std::nullopt);
  EXPECT_EQ(dataRateName(b, 5), "SF7BW125");
  EXPECT_EQ(b.rx1DataRate(5, 0), 5);
  EXPECT_EQ(b.rx1DataRate(5, 2), 3);
  EXPECT_EQ(b.rx1DataRate(1, 5), 0);
  EXPECT_EQ(b.rx1FrequencyHz(868300000), 868300000u);
  EXPECT_EQ(b.rx2FrequencyHz, 869525000u);
  EXPECT_EQ(b.rx2DataRate, 0);
  EXPECT_EQ(maxFrmPayload(b, 0), 51u);
  EXPECT_EQ(maxFrmPayload(b, 3), 115u);
  EXPECT_EQ(maxFrmPayload(b, 5), 242u);
  EXPECT_EQ(maxFrmPayload(b, 5, 2), 240u);
  EXPECT_EQ(maxFrmPayload(b, 9), 0u);
}

TEST(Band, Eu868CfListMatchesTheCapturedJoinAccept) {
  // The CFList of the runkit/lora-packet join accept (fixtures/lorawan/crypto_vectors.json).
  const uint64_t extra[] = {867100000, 867300000, 867500000, 867700000, 867900000};
  auto cf = cfList(band("EU868"), extra, 0);
  ASSERT_TRUE(cf.has_value());
  EXPECT_EQ(lorawan::toHex(*cf), "184f84e85684b85e84886684586e8400");
  EXPECT_FALSE(cfList(band("EU868"), {}, 0).has_value());
}

TEST(Band, Us915) {
  const Band& b = band("US915");
  EXPECT_EQ(dataRateIndex(b, "SF10BW125", true), 0);
  EXPECT_EQ(dataRateIndex(b, "SF8BW500", true), 4);    // uplink DR4
  EXPECT_EQ(dataRateIndex(b, "SF8BW500", false), 12);  // the same modulation is DR12 downlink
  EXPECT_EQ(dataRateIndex(b, "SF12BW500", false), 8);
  EXPECT_EQ(b.rx1DataRate(0, 0), 10);
  EXPECT_EQ(b.rx1DataRate(3, 0), 13);
  EXPECT_EQ(b.rx1DataRate(4, 0), 13);
  EXPECT_EQ(b.rx1DataRate(3, 3), 10);
  EXPECT_EQ(b.rx1DataRate(2, 2), 10);
  // Uplink channel n -> downlink channel n mod 8.
  EXPECT_EQ(b.rx1FrequencyHz(902300000), 923300000u);  // ch 0
  EXPECT_EQ(b.rx1FrequencyHz(903900000), 923300000u);  // ch 8
  EXPECT_EQ(b.rx1FrequencyHz(904100000), 923900000u);  // ch 9
  EXPECT_EQ(b.rx1FrequencyHz(914900000), 927500000u);  // ch 63
  EXPECT_EQ(b.rx1FrequencyHz(903000000), 923300000u);  // ch 64 (500 kHz)
  EXPECT_EQ(b.rx1FrequencyHz(904600000), 923900000u);  // ch 65
  EXPECT_EQ(b.rx2FrequencyHz, 923300000u);
  EXPECT_EQ(b.rx2DataRate, 8);
  EXPECT_EQ(maxFrmPayload(b, 0), 11u);
  EXPECT_EQ(maxFrmPayload(b, 8), 53u);
  EXPECT_EQ(maxFrmPayload(b, 9), 129u);
  auto cf = cfList(b, {}, 2);  // sub-band 2: channels 8-15 and 65
  ASSERT_TRUE(cf.has_value());
  EXPECT_EQ(lorawan::toHex(*cf), "00ff0000000000000200000000000001");
  EXPECT_FALSE(cfList(b, {}, 9).has_value());
}

TEST(Band, Au915) {
  const Band& b = band("AU915");
  EXPECT_EQ(dataRateIndex(b, "SF12BW125", true), 0);
  EXPECT_EQ(dataRateIndex(b, "SF8BW500", true), 6);
  EXPECT_EQ(b.rx1DataRate(0, 0), 8);
  EXPECT_EQ(b.rx1DataRate(5, 0), 13);
  EXPECT_EQ(b.rx1DataRate(6, 5), 9);
  EXPECT_EQ(b.rx1DataRate(4, 3), 9);
  EXPECT_EQ(b.rx1FrequencyHz(915200000), 923300000u);  // ch 0
  EXPECT_EQ(b.rx1FrequencyHz(916000000), 925700000u);  // ch 4
  EXPECT_EQ(b.rx1FrequencyHz(916800000), 923300000u);  // ch 8
  EXPECT_EQ(b.rx1FrequencyHz(917500000), 923900000u);  // ch 65 (500 kHz)
  EXPECT_EQ(b.rx2DataRate, 8);
}

TEST(Band, As923Groups) {
  const Band& b = band("AS923");
  EXPECT_EQ(b.rx1DataRate(2, 0), 2);
  EXPECT_EQ(b.rx1DataRate(2, 6), 3);  // offset 6 raises by one
  EXPECT_EQ(b.rx1DataRate(2, 7), 4);
  EXPECT_EQ(b.rx1DataRate(5, 7), 5);  // capped at DR5
  EXPECT_EQ(b.rx1DataRate(1, 3), 0);
  EXPECT_EQ(b.rx2FrequencyHz, 923200000u);
  EXPECT_EQ(b.rx2DataRate, 2);
  EXPECT_EQ(band("AS923-2").rx2FrequencyHz, 921400000u);
  EXPECT_EQ(band("AS923-3").rx2FrequencyHz, 916600000u);
  EXPECT_EQ(band("AS923-4").rx2FrequencyHz, 917300000u);
  EXPECT_EQ(band("AS923-3").joinChannelsHz[0], 916600000u);
  EXPECT_EQ(maxFrmPayload(b, 2), 115u);
}

TEST(Band, In865AndKr920) {
  const Band& in = band("IN865");
  EXPECT_EQ(dataRateIndex(in, "SF7BW250", true), std::nullopt);  // DR6 is RFU
  EXPECT_EQ(in.rx2FrequencyHz, 866550000u);
  EXPECT_EQ(in.rx2DataRate, 2);
  EXPECT_EQ(in.rx1DataRate(3, 6), 4);
  const Band& kr = band("KR920");
  EXPECT_EQ(kr.rx2FrequencyHz, 921900000u);
  EXPECT_EQ(kr.rx2DataRate, 0);
  EXPECT_EQ(kr.maxRx1DrOffset, 5);
  EXPECT_EQ(kr.rx1DataRate(5, 5), 0);
  EXPECT_EQ(dataRateIndex(kr, "50000", true), std::nullopt);
}

}  // namespace
