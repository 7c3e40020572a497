// The platform double's own routes, which the end-to-end benchmark reads.
#include "bridge/tools/platform_sink.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bridge/http/blocking_client.hpp"
#include "bridge/network/uplink_event.hpp"

namespace bridge {
namespace {

int64_t nowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(PlatformSink, StatsCountRequestsAndUplinkLatencyFromReceivedAt) {
  PlatformSink sink("127.0.0.1", 0);
  sink.setKeepRequests(false);
  const uint16_t port = sink.port();
  auto post = [&](const std::string& body) {
    auto r = blockingRequest("127.0.0.1", port, "POST", "/api/devices/d/data", body);
    ASSERT_TRUE(r.has_value()) << r.error();
    EXPECT_EQ(r->status, 200u);
  };
  post(R"({"id":"a","receivedAt":")" + formatRfc3339Ms(nowMs() - 300) + R"(","fCnt":1})");
  post(R"({"id":"b","receivedAt":")" + formatRfc3339Ms(nowMs() - 300) + R"(","fCnt":2})");
  post(R"({"status":"sent"})");  // no receivedAt: counted, no latency
  auto stats = blockingRequest("127.0.0.1", port, "GET", "/_sink/stats");
  ASSERT_TRUE(stats.has_value()) << stats.error();
  auto j = nlohmann::json::parse(stats->body);
  EXPECT_EQ(j["received"], 3);
  EXPECT_EQ(j["uplinkLatencyMs"]["count"], 2);
  EXPECT_GE(j["uplinkLatencyMs"]["p50"].get<int>(), 300);
  EXPECT_LT(j["uplinkLatencyMs"]["max"].get<int>(), 10000);
  EXPECT_TRUE(sink.requests().empty()) << "not kept";

  auto reset = blockingRequest("127.0.0.1", port, "POST", "/_sink/reset");
  ASSERT_TRUE(reset.has_value());
  j = nlohmann::json::parse(reset->body);
  EXPECT_EQ(j["received"], 0);
  EXPECT_EQ(j["uplinkLatencyMs"]["count"], 0);
}

}  // namespace
}  // namespace bridge
