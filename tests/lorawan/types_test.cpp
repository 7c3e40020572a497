#include "lorawan/types.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>

#include "lorawan/base64.hpp"
#include "lorawan/fcnt.hpp"

using namespace lorawan;

namespace {

TEST(Types, HexParseAndFormatRoundTrip) {
  EXPECT_EQ(Eui64::parse("70B3D57ED00000DC")->toString(), "70b3d57ed00000dc");
  EXPECT_EQ(DevAddr::parse("26011BDA")->value(), 0x26011bdau);
  EXPECT_EQ(NetId::parse("000013")->toString(), "000013");
  EXPECT_EQ(NetId(0x600013).type(), 3);
}

TEST(Types, WireOrderIsLittleEndian) {
  uint8_t b[8];
  Eui64(0x0102030405060708).toLe(b);
  EXPECT_EQ(b[0], 0x08);
  EXPECT_EQ(Eui64::fromLe(std::span<const uint8_t, 8>(b)), Eui64(0x0102030405060708));
  DevAddr(0x26011bda).toLe(b);
  EXPECT_EQ(b[0], 0xda);
  EXPECT_EQ(b[3], 0x26);
}

TEST(Types, BadHexNamesTheProblem) {
  EXPECT_EQ(DevAddr::parse("26011BD").error(), "DevAddr must be 8 hex digits, got 7");
  EXPECT_EQ(Eui64::parse("70B3D57ED00000DX").error(),
            "EUI-64 has a non-hex character at position 15");
  EXPECT_EQ(Aes128Key::parse("00").error(), "AES-128 key must be 32 hex digits, got 2");
  EXPECT_NE(Aes128Key::parse("zz000000000000000000000000000000").error().find("position 0"),
            std::string::npos);
  EXPECT_FALSE(fromHex("abc").has_value());
}

TEST(Types, KeysPrintRedacted) {
  auto k = Aes128Key::parse("2b7e151628aed2a6abf7158809cf4f3c").value();
  EXPECT_EQ(k.redacted(), "2b7e…(redacted)");
  EXPECT_EQ(k.redacted().find("28aed2a6"), std::string::npos);
}

TEST(FCnt, ReconstructsAcrossTheRollover) {
  EXPECT_EQ(reconstructFCnt(0, 1), 1u);
  EXPECT_EQ(reconstructFCnt(65535, 0), 65536u);
  EXPECT_EQ(reconstructFCnt(65535, 65535), 65535u);  // retransmission
  EXPECT_EQ(reconstructFCnt(0x1FFFE, 3), 0x20003u);
  EXPECT_EQ(reconstructFCnt(100, 50), 0x10032u);  // older counter: lands a gap ahead
}

TEST(Base64, StrictDecoding) {
  EXPECT_EQ(base64Encode(Bytes{'t', 'e', 's', 't'}), "dGVzdA==");
  EXPECT_EQ(*base64Decode("dGVzdA=="), (Bytes{'t', 'e', 's', 't'}));
  EXPECT_EQ(*base64Decode(""), Bytes{});
  EXPECT_NE(base64Decode("dGVzdA=").error().find("multiple of 4"), std::string::npos);
  EXPECT_NE(base64Decode("dGV*dA==").error().find("position 3"), std::string::npos);
  EXPECT_FALSE(base64Decode("dA====").has_value());
  EXPECT_FALSE(base64Decode("d===").has_value());
}

// The event writer's base64 (into a buffer) is the same text as base64Encode for every length a
// LoRaWAN payload can have, and writes no byte past what it reports.
TEST(Base64, EncodeIntoABufferMatchesTheStringForEveryLength) {
  Bytes data;
  for (size_t n = 0; n <= 300; ++n) {
    char out[base64Size(300) + 8];
    std::fill(std::begin(out), std::end(out), '#');
    const size_t len = base64EncodeTo(data, out);
    ASSERT_EQ(std::string(out, len), base64Encode(data)) << n << " bytes";
    EXPECT_EQ(len, base64Size(n));
    EXPECT_EQ(out[len], '#') << n << " bytes: written past the text";
    data.push_back(uint8_t(n * 37 + 11));
  }
}

}  // namespace
