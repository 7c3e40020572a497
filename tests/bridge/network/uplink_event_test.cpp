#include "bridge/network/uplink_event.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>

namespace bridge {
namespace {

using nlohmann::json;

Uplink sample() {
  Uplink u;
  u.id = "0b8f6c1e-6c35-4b5e-9b0a-7d2f3b1c9e11";
  u.receivedAtMs = 1764547200123;  // 2025-12-01T00:00:00.123Z
  u.interfaceId = "itf-1";
  u.deviceIdOrSlug = "cellar \"north\"";
  u.devEui = lorawan::Eui64(0x70B3D57ED0000001ull);
  u.devAddr = lorawan::DevAddr(0x26011F00);
  u.fcnt = 70000;
  u.fport = 2;
  u.confirmed = true;
  u.data = {0x01, 0x02, 0xff};
  u.codecName = "cayenne";
  u.codec.dataJson = R"({"temperature":21.5})";
  u.codec.warnings = {"low battery"};
  u.rx.push_back({lorawan::Eui64(0xAA555A0000000101ull), -57, 7.5, 3, 1, 4000000000u,
                  std::string("2025-12-01T00:00:00.1Z")});
  u.rx.push_back({lorawan::Eui64(0xAA555A0000000102ull), -101, std::nullopt, 0, 0, 5, {}});
  u.tx = {868100000, "LORA", "SF7BW125", std::string("4/5")};
  return u;
}

TEST(UplinkEventTest, CarriesEveryFieldOfTheContract) {
  const json j = json::parse(toEventJson(sample()));
  EXPECT_EQ(j["id"], "0b8f6c1e-6c35-4b5e-9b0a-7d2f3b1c9e11");
  EXPECT_EQ(j["receivedAt"], "2025-12-01T00:00:00.123Z");
  EXPECT_EQ(j["interfaceId"], "itf-1");
  EXPECT_EQ(j["deviceIdOrSlug"], "cellar \"north\"");
  EXPECT_TRUE(j["driverInstanceId"].is_null());
  EXPECT_EQ(j["devEui"], "70b3d57ed0000001");
  EXPECT_EQ(j["devAddr"], "26011f00");
  EXPECT_EQ(j["fCnt"], 70000);
  EXPECT_EQ(j["fPort"], 2);
  EXPECT_EQ(j["confirmed"], true);
  EXPECT_EQ(j["adr"], false);
  EXPECT_EQ(j["data"], "AQL/");
  EXPECT_EQ(j["decoded"], json({{"temperature", 21.5}}));
  EXPECT_EQ(j["codec"], json({{"name", "cayenne"},
                              {"errors", json::array()},
                              {"warnings", json::array({"low battery"})}}));
  ASSERT_EQ(j["rx"].size(), 2u);
  EXPECT_EQ(j["rx"][0], json({{"gatewayEui", "aa555a0000000101"},
                              {"rssi", -57},
                              {"snr", 7.5},
                              {"channel", 3},
                              {"rfChain", 1},
                              {"tmst", 4000000000u},
                              {"time", "2025-12-01T00:00:00.1Z"}}));
  EXPECT_TRUE(j["rx"][1]["snr"].is_null());
  EXPECT_TRUE(j["rx"][1]["time"].is_null());
  EXPECT_EQ(j["tx"], json({{"frequency", 868100000},
                           {"modulation", "LORA"},
                           {"dataRate", "SF7BW125"},
                           {"codeRate", "4/5"}}));
  EXPECT_EQ(j.size(), 16u);
}

TEST(UplinkEventTest, AbsentPartsAreNull) {
  Uplink u = sample();
  u.fport.reset();
  u.devEui.reset();
  u.data.clear();
  u.codec = {};
  u.tx.codeRate.reset();
  const json j = json::parse(toEventJson(u));
  EXPECT_TRUE(j["fPort"].is_null());
  EXPECT_TRUE(j["devEui"].is_null());
  EXPECT_EQ(j["data"], "");
  EXPECT_TRUE(j["decoded"].is_null());
  EXPECT_TRUE(j["tx"]["codeRate"].is_null());
}

TEST(UplinkEventTest, BytesFromTheNetworkCannotBreakTheDocument) {
  Uplink u = sample();
  u.rx[0].time = std::string("\"},{\"injected\":1,\"x\":\"\xff");
  u.tx.dataRate = "SF7\nBW125";
  const json j = json::parse(toEventJson(u));
  EXPECT_EQ(j["rx"][0].size(), 7u);
  EXPECT_EQ(j["rx"][0]["time"], "\"},{\"injected\":1,\"x\":\"\xEF\xBF\xBD");
  EXPECT_EQ(j["tx"]["dataRate"], "SF7\nBW125");
}

TEST(UplinkEventTest, UuidsAreVersion4WithTheirGroupsInPlace) {
  UuidGenerator gen(42);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = gen.next();
    ASSERT_TRUE(
        std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-"
                                        "[0-9a-f]{12}")))
        << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(UplinkEventTest, TimesAreRfc3339WithMilliseconds) {
  EXPECT_EQ(formatRfc3339Ms(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(formatRfc3339Ms(1764547200123), "2025-12-01T00:00:00.123Z");
  EXPECT_EQ(formatRfc3339Ms(1764547200999), "2025-12-01T00:00:00.999Z");
  EXPECT_EQ(formatRfc3339Ms(1764547201000), "2025-12-01T00:00:01.000Z");  // the next second
  EXPECT_EQ(formatRfc3339Ms(1764547200123), "2025-12-01T00:00:00.123Z");  // and back
  EXPECT_EQ(formatRfc3339Ms(-1), "1969-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace bridge
