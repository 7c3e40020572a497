// The durable outbox: nothing accepted is lost when the platform is down across a restart,
// rejected events go to dead letters without blocking others, Retry-After is honoured.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "bridge/app/daemon.hpp"
#include "bridge/core/metrics.hpp"
#include "bridge/platform/client.hpp"
#include "bridge/store/sqlite_store.hpp"
#include "bridge/tools/platform_sink.hpp"
#include "support/devices.hpp"
#include "support/fake_forwarder.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

using namespace bridge;
using namespace std::chrono_literals;
using nlohmann::json;
using testsupport::buildUplink;
using testsupport::kCellar;
using testsupport::kDoor;

namespace {

config::Config makeConfig(const testsupport::TempDir& dir, uint16_t platformPort,
                          uint32_t maxAttempts) {
  config::Config c;
  c.udpListen = {"127.0.0.1", 0};
  c.apiListen = {"127.0.0.1", 0};
  c.dedupWindowMs = 20;
  c.storePath = dir.file("bridge.db");
  c.platform = config::PlatformConfig{
      "http://127.0.0.1:" + std::to_string(platformPort), "t", 2000, maxAttempts, "", std::nullopt};
  c.interfaces = {
      testsupport::abpInterface("68e8e794-1abe-45d6-a63e-158ed5d611ef", "cellar", kCellar),
      testsupport::abpInterface("0b9b5b8c-6f0e-4f43-9d5e-1f4a2f6c2a01", "door", kDoor)};
  return c;
}

TEST(Outbox, PlatformDownAcrossARestartLosesNothing) {
  testsupport::TempDir dir;
  uint16_t port;
  {
    PlatformSink probe("127.0.0.1", 0);  // a free port, then nothing listens on it
    port = probe.port();
  }
  {
    auto d = Daemon::create(makeConfig(dir, port, /*maxAttempts=*/1));
    ASSERT_TRUE(d.has_value()) << d.error();
    (*d)->start();
    testsupport::FakeForwarder fwd((*d)->udpPort(), lorawan::Eui64(1));
    ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {1})), 1));
    ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kDoor, 1, 1, {2})), 2));
    ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 2, 1, {3})), 3));
    (*d)->stop();  // the platform never answered: all three stay in the outbox
    EXPECT_EQ((*d)->metrics().counter("uplinks_accepted_total"), 3u);
  }
  PlatformSink sink("127.0.0.1", port);  // the platform is back
  auto d = Daemon::create(makeConfig(dir, port, 0));
  ASSERT_TRUE(d.has_value()) << d.error();
  (*d)->start();
  ASSERT_TRUE(sink.waitForRequests(3, 10s));
  auto reqs = sink.requests();
  ASSERT_EQ(reqs.size(), 3u);
  std::map<std::string, std::vector<int>> order;  // devices go in parallel; each in accepted order
  for (const auto& r : reqs) {
    auto b = json::parse(r.body);
    EXPECT_EQ(r.idempotencyKey, b["id"].get<std::string>());
    order[b["deviceIdOrSlug"].get<std::string>()].push_back(b["fCnt"].get<int>());
  }
  EXPECT_EQ(order, (std::map<std::string, std::vector<int>>{{"cellar", {1, 2}}, {"door", {1}}}));
  (*d)->stop();
  auto store = SqliteStore::open(dir.file("bridge.db")).value();
  EXPECT_TRUE(store->loadOutbox().empty());  // delivered: gone from the outbox
}

TEST(Outbox, RejectedEventsAreDeadLetteredAndOthersStillFlow) {
  testsupport::TempDir dir;
  PlatformSink sink("127.0.0.1", 0);
  sink.setResponder([](const RecordedRequest& r) {
    return r.target.find("/devices/door/") != std::string::npos ? 400u : 200u;
  });
  {
    auto d = Daemon::create(makeConfig(dir, sink.port(), 0));
    ASSERT_TRUE(d.has_value()) << d.error();
    (*d)->start();
    testsupport::FakeForwarder fwd((*d)->udpPort(), lorawan::Eui64(1));
    ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kDoor, 1, 1, {2})), 1));
    ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {1})), 2));
    ASSERT_TRUE(sink.waitForRequests(2, 10s));
    (*d)->stop();
    EXPECT_EQ((*d)->metrics().counter("platform_events_dead_lettered_total"), 1u);
  }
  auto store = SqliteStore::open(dir.file("bridge.db")).value();
  auto dead = store->deadLetters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].status, 400u);
  EXPECT_EQ(dead[0].entry.device, "door");
  EXPECT_NE(dead[0].response.find("rejected by the platform double"), std::string::npos);
  EXPECT_TRUE(store->loadOutbox().empty());
}

TEST(Outbox, DeadLettersAreListedAndRetriedThroughTheApi) {
  testsupport::TempDir dir;
  PlatformSink sink("127.0.0.1", 0);
  std::atomic<bool> reject{true};
  sink.setResponder([&reject](const RecordedRequest&) { return reject ? 400u : 200u; });
  auto d = Daemon::create(makeConfig(dir, sink.port(), 0));
  ASSERT_TRUE(d.has_value()) << d.error();
  (*d)->start();
  testsupport::FakeForwarder fwd((*d)->udpPort(), lorawan::Eui64(1));
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {1})), 1));
  ASSERT_TRUE(sink.waitForRequests(1, 10s));
  // The rejection is committed on the network thread right after the response; ask until it shows.
  json list;
  // Poll against a deadline; each pull is a round trip through the network thread, not a sleep.
  for (auto until = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < until;) {
    list = json::parse(testsupport::httpRequest((*d)->apiPort(), "GET", "/deadletters").body);
    if (!list["body"].empty()) break;
    fwd.pull(100);
  }
  ASSERT_EQ(list["body"].size(), 1u) << list.dump();
  EXPECT_EQ(list["body"][0]["status"], 400);
  EXPECT_EQ(list["body"][0]["event"]["fCnt"], 1);
  const std::string id = list["body"][0]["id"];
  reject = false;  // the platform was fixed
  auto r = testsupport::httpRequest((*d)->apiPort(), "POST", "/deadletters/" + id + "/retry");
  EXPECT_EQ(r.status, 202u) << r.body;
  ASSERT_TRUE(sink.waitForRequests(2, 10s));
  EXPECT_EQ(sink.requests()[1].idempotencyKey, id);
  EXPECT_EQ(testsupport::httpRequest((*d)->apiPort(), "POST", "/deadletters/nope/retry").status,
            404u);
  // The same through the CLI.
  const std::string api = " --api 127.0.0.1:" + std::to_string((*d)->apiPort());
  EXPECT_EQ(
      std::system((std::string(LB_BINARY) + " deadletters list" + api + " | grep -q '\"ok\":true'")
                      .c_str()),
      0);
  EXPECT_NE(std::system(
                (std::string(LB_BINARY) + " deadletters retry nope" + api + " >/dev/null").c_str()),
            0);
}

TEST(Outbox, RetryAfterIsHonoured) {
  testsupport::TempDir dir;
  PlatformSink sink("127.0.0.1", 0);
  int calls = 0;
  sink.setResponder([&calls](const RecordedRequest&) { return ++calls == 1 ? 429u : 200u; });
  sink.setRetryAfter("1");
  auto d = Daemon::create(makeConfig(dir, sink.port(), 0));
  ASSERT_TRUE(d.has_value()) << d.error();
  (*d)->start();
  testsupport::FakeForwarder fwd((*d)->udpPort(), lorawan::Eui64(1));
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {1})), 1));
  ASSERT_TRUE(sink.waitForRequests(2, 10s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s);  // waited as the platform asked
  auto reqs = sink.requests();
  EXPECT_EQ(reqs[0].idempotencyKey, reqs[1].idempotencyKey);
}

TEST(Outbox, OAuthClientCredentialsFetchedCachedAndRefreshedOn401) {
  testsupport::TempDir dir;
  PlatformSink sink("127.0.0.1", 0);
  std::mutex m;
  std::string current = "tok-1";
  int tokenCalls = 0;
  sink.setBodyResponder([&](const RecordedRequest& r) -> std::pair<unsigned, std::string> {
    std::lock_guard lock(m);
    if (r.target == "/auth/token") {
      auto b = json::parse(r.body, nullptr, false);
      if (!b.is_object() || b.value("clientId", "") != "cid" ||
          b.value("clientSecret", "") != "s3cret")
        return {401, R"({"error":"bad client"})"};
      ++tokenCalls;
      return {200, json{{"access_token", current}, {"expires_in", 3600}}.dump()};
    }
    return {r.authorization == "Bearer " + current ? 200u : 401u, "{}"};
  });
  auto cfg = makeConfig(dir, sink.port(), 0);
  cfg.platform->token = "";
  cfg.platform->oauth =
      config::PlatformConfig::OAuth{sink.baseUrl() + "/auth/token", "cid", "s3cret"};
  auto d = Daemon::create(cfg);
  ASSERT_TRUE(d.has_value()) << d.error();
  (*d)->start();
  testsupport::FakeForwarder fwd((*d)->udpPort(), lorawan::Eui64(1));
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {1})), 1));
  ASSERT_TRUE(sink.waitForRequests(2, 10s));  // token, data
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 2, 1, {2})), 2));
  ASSERT_TRUE(sink.waitForRequests(3, 10s));  // the cached token is reused
  {
    std::lock_guard lock(m);
    current = "tok-2";  // the platform revokes the token
  }
  ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 3, 1, {3})), 3));
  ASSERT_TRUE(sink.waitForRequests(6, 10s));  // data (401), token, data (200)
  auto reqs = sink.requests();
  std::vector<std::string> seen;
  for (const auto& r : reqs) seen.push_back(r.target + " " + r.authorization);
  EXPECT_EQ(seen, (std::vector<std::string>{"/auth/token ", "/devices/cellar/data Bearer tok-1",
                                            "/devices/cellar/data Bearer tok-1",
                                            "/devices/cellar/data Bearer tok-1", "/auth/token ",
                                            "/devices/cellar/data Bearer tok-2"}));
  EXPECT_EQ(tokenCalls, 2);
  EXPECT_EQ(json::parse(reqs[5].body)["fCnt"], 3);
}

TEST(PlatformProfiles, EachProfileAddressesThePlatformItsWay) {
  struct Case {
    const char* profile;
    const char* uplink;
    const char* events;
  } cases[] = {
      {"generic", "/api/devices/cellar/data", "/api/devices/cellar/events"},
      {"deveui", "/api/devices/deveui:70b3d57ed0000001/data",
       "/api/devices/deveui:70b3d57ed0000001/events"},
      {"instathings", "/api/device/v1/devices/cellar/data", "/api/device/v1/devices/cellar/events"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.profile);
    testsupport::TempDir dir;
    PlatformSink sink("127.0.0.1", 0);
    auto cfg = makeConfig(dir, sink.port(), 0);
    cfg.platform->baseUrl += "/api";
    ASSERT_TRUE(config::applyPlatformProfile(c.profile, *cfg.platform));
    cfg.interfaces[0].opts.deviceEui = lorawan::Eui64(0x70B3D57ED0000001);
    cfg.interfaces[0].opts.duplicateFramecounterAllowed = true;  // to provoke an fcnt_reset event
    auto d = Daemon::create(cfg);
    ASSERT_TRUE(d.has_value()) << d.error();
    (*d)->start();
    testsupport::FakeForwarder fwd((*d)->udpPort(), lorawan::Eui64(1));
    ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 5, 1, {1})), 1));
    ASSERT_TRUE(sink.waitForRequests(1, 10s));
    ASSERT_TRUE(
        fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {2})), 2));  // counter reset
    ASSERT_TRUE(sink.waitForRequests(3, 10s));
    auto reqs = sink.requests();
    EXPECT_EQ(reqs[0].target, c.uplink);
    std::set<std::string> targets{reqs[1].target, reqs[2].target};
    EXPECT_TRUE(targets.count(c.events)) << reqs[1].target << " " << reqs[2].target;
  }
  config::PlatformConfig pc;
  EXPECT_FALSE(config::applyPlatformProfile("nope", pc));
}

TEST(Outbox, AFullOutboxRefusesLoudlyAndHealthzSaysSo) {
  testsupport::TempDir dir;
  uint16_t port;
  {
    PlatformSink probe("127.0.0.1", 0);
    port = probe.port();  // nothing listens: everything stays in the outbox
  }
  auto cfg = makeConfig(dir, port, 1);
  cfg.platform->outboxMaxRows = 2;
  auto d = Daemon::create(cfg);
  ASSERT_TRUE(d.has_value()) << d.error();
  (*d)->start();
  testsupport::FakeForwarder fwd((*d)->udpPort(), lorawan::Eui64(1));
  for (uint32_t f = 1; f <= 3; ++f)
    ASSERT_TRUE(
        fwd.push(testsupport::pushBody(buildUplink(kCellar, f, 1, {uint8_t(f)})), uint16_t(f)));
  json health;
  unsigned status = 0;
  // Poll against a deadline (the dedup windows must close first); no fixed sleep.
  for (auto until = std::chrono::steady_clock::now() + 10s;
       (status != 503 || (*d)->metrics().counter("uplinks_accepted_total") < 3) &&
       std::chrono::steady_clock::now() < until;) {
    auto r = testsupport::httpRequest((*d)->apiPort(), "GET", "/healthz");
    status = r.status;
    health = json::parse(r.body);
    fwd.pull(50);
  }
  EXPECT_EQ(status, 503u) << health.dump();
  EXPECT_EQ(health["body"]["outbox"]["rows"], 2);
  EXPECT_EQ(health["body"]["outbox"]["full"], true);
  EXPECT_EQ((*d)->metrics().counter("outbox_refused_total"), 1u);
  EXPECT_EQ((*d)->metrics().counter("uplinks_accepted_total"), 3u);  // accepted, kept in the store
}

TEST(Outbox, AHangingOrBrokenPlatformIsRetriedWithTheSameId) {
  for (auto m : {PlatformSink::Misbehaviour::Hang, PlatformSink::Misbehaviour::CloseMidResponse}) {
    SCOPED_TRACE(m == PlatformSink::Misbehaviour::Hang ? "hang" : "close mid-response");
    testsupport::TempDir dir;
    PlatformSink sink("127.0.0.1", 0);
    sink.misbehave(m, 1);
    auto cfg = makeConfig(dir, sink.port(), 0);
    cfg.platform->timeoutMs = 300;  // a hung request is abandoned after this
    auto d = Daemon::create(cfg);
    ASSERT_TRUE(d.has_value()) << d.error();
    (*d)->start();
    testsupport::FakeForwarder fwd((*d)->udpPort(), lorawan::Eui64(1));
    ASSERT_TRUE(fwd.push(testsupport::pushBody(buildUplink(kCellar, 1, 1, {1})), 1));
    ASSERT_TRUE(sink.waitForRequests(2, 10s));
    auto reqs = sink.requests();
    EXPECT_EQ(reqs[0].idempotencyKey, reqs[1].idempotencyKey);
    EXPECT_EQ(reqs[0].body, reqs[1].body);
    (*d)->stop();
    auto store = SqliteStore::open(dir.file("bridge.db")).value();
    EXPECT_TRUE(store->loadOutbox().empty());  // the second attempt got its 2xx
  }
}

TEST(Outbox, RetryAfterParsing) {
  EXPECT_EQ(retryAfterMs("120", 0), 120000u);
  EXPECT_EQ(retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470), 10000u);  // 10 s ahead
  EXPECT_EQ(retryAfterMs("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490), 0u);      // already past
  EXPECT_FALSE(retryAfterMs("soon", 0).has_value());
  EXPECT_FALSE(retryAfterMs("", 0).has_value());
}

}  // namespace
