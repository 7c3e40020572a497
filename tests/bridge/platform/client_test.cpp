// The platform client against a hostile platform double over loopback: one device's trouble
// never holds up the others, order per device survives retries, pipelining falls back by itself.
#include "bridge/platform/client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>

#include "bridge/tools/platform_sink.hpp"

using namespace bridge;
using namespace std::chrono_literals;

namespace {

config::PlatformConfig configFor(const PlatformSink& sink) {
  config::PlatformConfig pc;
  pc.baseUrl = sink.baseUrl() + "/api";
  pc.token = "t";
  pc.timeoutMs = 2000;
  pc.maxBackoffMs = 200;  // retries come quickly in tests
  return pc;
}

// Counts completions and lets a test wait for them without polling.
struct Completions {
  std::mutex m;
  std::condition_variable cv;
  std::map<std::string, PlatformClient::Outcome::Kind> byId;
  PlatformClient::Done track(const std::string& id) {
    return [this, id](const PlatformClient::Outcome& o) {
      std::lock_guard lock(m);
      byId[id] = o.kind;
      cv.notify_all();
    };
  }
  bool waitFor(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(m);
    return cv.wait_for(lock, timeout, [&] { return byId.size() >= n; });
  }
  size_t count() {
    std::lock_guard lock(m);
    return byId.size();
  }
};

PlatformClient::Request event(const std::string& device, int n) {
  const std::string id = device + "-" + std::to_string(n);
  return {"POST", "/devices/" + device + "/data", "{\"n\":" + std::to_string(n) + "}", id, device};
}

TEST(PlatformClient, AHungDeviceDoesNotHoldUpTheOthers) {
  PlatformSink sink("127.0.0.1", 0);
  sink.misbehaveWhen([](const RecordedRequest& r) {
    return r.target.find("/slow/") != std::string::npos ? PlatformSink::Misbehaviour::Hang
                                                        : PlatformSink::Misbehaviour::None;
  });
  auto pc = configFor(sink);
  pc.timeoutMs = 1500;  // the slow device's requests hang this long, then give up
  pc.maxAttempts = 1;
  Metrics metrics;
  PlatformClient client(pc, metrics);
  Completions done;
  // 1. A request hangs; everything submitted meanwhile for other devices is delivered.
  client.submit(event("slow", 0), done.track("slow-0"));
  ASSERT_TRUE(sink.waitForRequests(1, 5s));
  for (int n = 0; n < 60; ++n)
    client.submit(event("dev" + std::to_string(n % 6), n), done.track(std::to_string(n)));
  ASSERT_TRUE(done.waitFor(60, 5s));
  {
    std::lock_guard lock(done.m);
    EXPECT_EQ(done.byId.count("slow-0"), 0u)
        << "delivered after the slow one's timeout, not before";
  }
  ASSERT_TRUE(done.waitFor(61, 5s));
  EXPECT_EQ(done.byId["slow-0"], PlatformClient::Outcome::GaveUp);
  // 2. Submitted together with the others now: the slow device goes alone (never pipelined
  //    with them), so again all of theirs arrive while its request hangs.
  client.submit(event("slow", 1), done.track("slow-1"));
  for (int n = 60; n < 120; ++n)
    client.submit(event("dev" + std::to_string(n % 6), n), done.track(std::to_string(n)));
  ASSERT_TRUE(done.waitFor(121, 5s));
  std::lock_guard lock(done.m);
  EXPECT_EQ(done.byId.count("slow-1"), 0u);
  for (int n = 0; n < 120; ++n)
    EXPECT_EQ(done.byId[std::to_string(n)], PlatformClient::Outcome::Delivered);
}

TEST(PlatformClient, OrderPerDeviceSurvives503sAndEveryEventArrives) {
  PlatformSink sink("127.0.0.1", 0);
  std::atomic<int> calls{0};
  // 503 on every third request for the first 150 requests: retries interleave with new events.
  sink.setResponder(
      [&](const RecordedRequest&) { return ++calls <= 150 && calls % 3 == 0 ? 503u : 200u; });
  Metrics metrics;
  PlatformClient client(configFor(sink), metrics);
  Completions done;
  const int kDevices = 8, kEach = 40;
  for (int n = 0; n < kEach; ++n)
    for (int d = 0; d < kDevices; ++d) {
      auto e = event("d" + std::to_string(d), n);
      client.submit(e, done.track(e.idempotencyKey));
    }
  ASSERT_TRUE(done.waitFor(kDevices * kEach, 20s)) << done.count();
  EXPECT_GT(metrics.counter("platform_requests_total{result=\"http_503\"}"), 0u);
  // Per device, the requests' sequence numbers never skip ahead: a later event is sent only after
  // the earlier one got its 2xx (a retry repeats the same number).
  std::map<std::string, int> next;
  for (const auto& r : sink.requests()) {
    const std::string device = r.target.substr(std::string("/api/devices/").size(), 2);
    const int n = std::stoi(r.idempotencyKey.substr(3));
    int& expected = next[device];
    ASSERT_TRUE(n == expected || n == expected - 1)
        << device << " sent " << n << " after " << expected - 1;
    if (n == expected) ++expected;
  }
  for (int d = 0; d < kDevices; ++d) EXPECT_EQ(next["d" + std::to_string(d)], kEach);
}

TEST(PlatformClient, APlatformThatClosesPipelinedConnectionsStillGetsEverythingOnce) {
  PlatformSink sink("127.0.0.1", 0);
  sink.setKeepAlive(false);  // answers one request per connection, then closes it
  auto pc = configFor(sink);
  pc.pipeline = 8;
  pc.connections = 2;
  Metrics metrics;
  PlatformClient client(pc, metrics);
  Completions done;
  for (int n = 0; n < 40; ++n) {
    auto e = event("d" + std::to_string(n % 10), n);
    client.submit(e, done.track(e.idempotencyKey));
  }
  ASSERT_TRUE(done.waitFor(40, 20s)) << done.count();
  auto reqs = sink.requests();
  std::map<std::string, int> seen;
  for (const auto& r : reqs) ++seen[r.idempotencyKey];
  EXPECT_EQ(seen.size(), 40u);
  for (const auto& [id, times] : seen)
    EXPECT_EQ(times, 1) << id;  // the unanswered ones were never processed
  EXPECT_EQ(metrics.counter("platform_requests_total{result=\"transport_error\"}"), 0u);
}

TEST(PlatformClient, FetchReturnsTheBodyAndGivesUpAtItsDeadline) {
  PlatformSink sink("127.0.0.1", 0);
  sink.setBodyResponder([](const RecordedRequest& r) -> std::pair<unsigned, std::string> {
    return {200, "{\"target\":\"" + r.target + "\"}"};
  });
  Metrics metrics;
  PlatformClient client(configFor(sink), metrics);
  std::promise<std::pair<unsigned, std::string>> got;
  client.fetch("/devices/x/downlinks?status=pending", std::chrono::steady_clock::now() + 2s,
               [&](unsigned status, std::string body) {
                 got.set_value({status, body});
               });
  auto [status, body] = got.get_future().get();
  EXPECT_EQ(status, 200u);
  EXPECT_EQ(body, "{\"target\":\"/api/devices/x/downlinks?status=pending\"}");
  EXPECT_EQ(sink.requests().back().method, "GET");
  EXPECT_EQ(sink.requests().back().authorization, "Bearer t");

  sink.misbehave(PlatformSink::Misbehaviour::Hang, 1);
  std::promise<unsigned> late;
  const auto started = std::chrono::steady_clock::now();
  client.fetch("/devices/x/downlinks", started + 150ms,
               [&](unsigned s, std::string) { late.set_value(s); });
  EXPECT_EQ(late.get_future().get(), 0u);  // gave up at the deadline, not at the 2 s timeout
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1500ms);
}

}  // namespace
