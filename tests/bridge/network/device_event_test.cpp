#include "bridge/network/device_event.hpp"

#include <gtest/gtest.h>

using namespace bridge;
using nlohmann::json;

TEST(DeviceEvent, LiveActionsFollowTheType) {
  EXPECT_STREQ(liveAction(DeviceEventType::Join), "join");
  EXPECT_STREQ(liveAction(DeviceEventType::Downlink), "downlink");
  EXPECT_STREQ(liveAction(DeviceEventType::Status), "status");
  EXPECT_STREQ(liveAction(DeviceEventType::FCntReset), "status");
}

TEST(DeviceEvent, RejectionsSerializeWithNullsWhereUnknown) {
  Rejection up{Rejection::Uplink,
               "bad_mic",
               "",
               lorawan::DevAddr(0x26011BDA),
               std::nullopt,
               lorawan::Eui64(0xAA555A0000000001),
               "MIC mismatch",
               0};
  auto j = json::parse(toJson(up));
  EXPECT_EQ(j["type"], "uplink_rejected");
  EXPECT_EQ(j["reason"], "bad_mic");
  EXPECT_TRUE(j["deviceIdOrSlug"].is_null());
  EXPECT_EQ(j["devAddr"], "26011bda");
  EXPECT_FALSE(j.contains("devEui"));
  EXPECT_EQ(j["gatewayEui"], "aa555a0000000001");
  EXPECT_EQ(j["at"], "1970-01-01T00:00:00.000Z");

  Rejection join{Rejection::Join, "dev_nonce_reused", "tracker",     std::nullopt,
                 std::nullopt,    lorawan::Eui64(1),  "detail \xff", 0};
  j = json::parse(toJson(join));  // bytes that are not UTF-8 never make it unparseable
  EXPECT_EQ(j["type"], "join_rejected");
  EXPECT_EQ(j["deviceIdOrSlug"], "tracker");
  EXPECT_TRUE(j["devEui"].is_null());
}
