#include "lorawan/join_accept.hpp"

#include <gtest/gtest.h>

#include "support/fixtures.hpp"

using namespace lorawan;

namespace {

TEST(JoinAccept, PayloadRoundTripsWithAndWithoutCFList) {
  JoinAcceptPayload a{0xE5063A, NetId(0x13), DevAddr(0x26012E43), {false, 0, 3}, 1, std::nullopt};
  Bytes b = serialize(a);
  EXPECT_EQ(b.size(), 12u);
  EXPECT_EQ(*parseJoinAcceptPayload(b), a);
  a.cfList = std::array<uint8_t, 16>{1, 2, 3};
  b = serialize(a);
  EXPECT_EQ(b.size(), 28u);
  EXPECT_EQ(*parseJoinAcceptPayload(b), a);
  EXPECT_FALSE(parseJoinAcceptPayload(Bytes(13)).has_value());
}

TEST(JoinAccept, OpenRejectsWrongLengthAndType) {
  auto k = testsupport::key("01010101010101010101010101010101");
  EXPECT_EQ(openJoinAccept(Bytes(18), k).error().field, "JoinAccept");
  EXPECT_EQ(openJoinAccept(Bytes(17, 0x00), k).error().field, "MHDR");
}

TEST(JoinAccept, DlSettingsBits) {
  DlSettings d{true, 5, 12};
  EXPECT_EQ(d.toByte(), 0xDC);
  EXPECT_EQ(DlSettings::fromByte(0xDC), d);
}

}  // namespace
