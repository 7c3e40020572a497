#include "lorawan/dev_addr_alloc.hpp"

#include <gtest/gtest.h>

using namespace lorawan;

namespace {

TEST(DevAddrAlloc, TtnNetId13GivesThe26And27Block) {
  // The Things Network: NetID 000013, NwkID 0010011 -> DevAddr 0x26000000..0x27FFFFFF.
  EXPECT_EQ(devAddrLayout(NetId(0x13)).nwkAddrBits, 25);
  EXPECT_EQ(makeDevAddr(NetId(0x13), 0), DevAddr(0x26000000));
  EXPECT_EQ(makeDevAddr(NetId(0x13), 0xFFFFFFFF), DevAddr(0x27FFFFFF));
}

TEST(DevAddrAlloc, PrefixPerNetIdType) {
  EXPECT_EQ(makeDevAddr(NetId(0x000000), 0x12345), DevAddr(0x00012345));  // type 0
  EXPECT_EQ(devAddrLayout(NetId(0x200005)).prefixBits, 8);                // type 1: "10" + 6
  EXPECT_EQ(makeDevAddr(NetId(0x200005), 0), DevAddr(0x85000000));
  EXPECT_EQ(devAddrLayout(NetId(0x600123)).prefixBits, 15);         // type 3: "1110" + 11
  EXPECT_EQ(makeDevAddr(NetId(0x600123), 0), DevAddr(0xE2460000));  // 1110 + 00100100011
  EXPECT_EQ(devAddrLayout(NetId(0xE00001)).nwkAddrBits, 7);         // type 7
  EXPECT_EQ(makeDevAddr(NetId(0xE00001), 0x7F), DevAddr(0xFE0000FF));
}

}  // namespace
