// The Outbox against the Platform seam: a platform in memory that answers when told, the real
// SQLite store. What leaves is always in the store first; only a 2xx takes it out; a 4xx makes
// a dead letter; a full outbox refuses instead of evicting. (The HTTP client itself is tested
// against the real sink in client_test.cpp and outbox_test.cpp.)
#include <gtest/gtest.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "bridge/platform/outbox.hpp"
#include "bridge/store/sqlite_store.hpp"
#include "support/temp_dir.hpp"

using namespace bridge;
using nlohmann::json;

namespace {

class ScriptedPlatform final : public Platform {
 public:
  struct Sent {
    Request req;
    Done done;
  };
  void submit(Request req, Done done) override {
    sent.push_back({std::move(req), std::move(done)});
  }
  void fetch(std::string, std::chrono::steady_clock::time_point, FetchDone done) override {
    done(0, "");
  }
  void stop(std::chrono::milliseconds) override {}
  size_t queued() const override { return sent.size(); }
  Reachability reachability() const override { return {}; }
  // Answers the oldest request.
  void answer(Outcome::Kind kind, unsigned status) {
    Sent s = std::move(sent.front());
    sent.pop_front();
    s.done(Outcome{kind, status, kind == Outcome::Rejected ? "no such device" : ""});
  }
  std::deque<Sent> sent;
};

class OutboxSeamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = std::move(*SqliteStore::open(dir.file("bridge.db")));
    cfg.baseUrl = "http://platform.invalid";
    cfg.outboxMaxRows = 3;
    outbox = std::make_unique<Outbox>(
        cfg, *store, platform, metrics,
        [this](std::function<void()> task) { posted.push_back(std::move(task)); },
        [](const std::string& device) {
          return PathValues{device, "70b3d57ed0000001", "itf-" + device, ""};
        },
        [] { return int64_t(1000); });
  }
  void runPosted() {  // what the network thread would run next
    while (!posted.empty()) {
      auto t = std::move(posted.front());
      posted.pop_front();
      t();
    }
  }
  DeviceEvent event(const std::string& id) {
    return {DeviceEventType::Join, id, "cellar", json{{"type", "join"}, {"id", id}}};
  }

  testsupport::TempDir dir;
  std::unique_ptr<SqliteStore> store;
  config::PlatformConfig cfg;
  ScriptedPlatform platform;
  Metrics metrics;
  std::deque<std::function<void()>> posted;
  std::unique_ptr<Outbox> outbox;
};

TEST_F(OutboxSeamTest, AnEventIsDurableBeforeItLeavesAndGoneOnlyAfterA2xx) {
  outbox->send(event("e1"));
  ASSERT_EQ(platform.sent.size(), 1u);
  EXPECT_EQ(platform.sent[0].req.path, "/devices/cellar/events");
  EXPECT_EQ(platform.sent[0].req.idempotencyKey, "e1");
  // Read from a second connection: it is committed, not just buffered.
  auto reader = std::move(*SqliteStore::openReader(dir.file("bridge.db")));
  EXPECT_EQ(reader->loadOutbox().size(), 1u);
  platform.answer(Platform::Outcome::Delivered, 200);
  EXPECT_EQ(reader->loadOutbox().size(), 1u) << "completed before the network thread applied it";
  runPosted();
  EXPECT_TRUE(reader->loadOutbox().empty());
}

TEST_F(OutboxSeamTest, ARejectionBecomesADeadLetterAndARetrySendsItAgain) {
  outbox->send(event("e1"));
  platform.answer(Platform::Outcome::Rejected, 404);
  runPosted();
  auto dead = store->deadLetters();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].status, 404u);
  EXPECT_EQ(dead[0].response, "no such device");
  EXPECT_TRUE(outbox->retry("e1"));
  EXPECT_FALSE(outbox->retry("nope"));
  ASSERT_EQ(platform.sent.size(), 1u);
  EXPECT_EQ(platform.sent[0].req.idempotencyKey, "e1");
}

TEST_F(OutboxSeamTest, AFullOutboxRefusesNewEventsAndKeepsTheOldOnes) {
  for (const char* id : {"e1", "e2", "e3", "e4"}) outbox->send(event(id));
  EXPECT_EQ(platform.sent.size(), 3u);
  EXPECT_TRUE(outbox->full());
  EXPECT_EQ(metrics.counter("outbox_refused_total"), 1u);
  EXPECT_EQ(outbox->health()["rows"], 3);
  platform.answer(Platform::Outcome::Delivered, 200);
  runPosted();
  EXPECT_FALSE(outbox->full());
  outbox->send(event("e5"));
  EXPECT_EQ(platform.sent.size(), 3u);  // e2, e3 and e5
}

TEST_F(OutboxSeamTest, WhatWasNotDeliveredGoesOutAgainAfterARestart) {
  outbox->send(event("e1"));
  platform.answer(Platform::Outcome::GaveUp, 503);
  runPosted();
  outbox.reset();
  store.reset();
  SetUp();  // a new start on the same file
  outbox->resume();
  ASSERT_EQ(platform.sent.size(), 1u);  // the first run's attempt was answered (gave up)
  EXPECT_EQ(platform.sent.front().req.idempotencyKey, "e1");
}

TEST_F(OutboxSeamTest, DownlinkStatusReportsArePatchesWithAStableKey) {
  outbox->reportDownlinkStatus("cellar", "p-7", "acked", "", 2);
  ASSERT_EQ(platform.sent.size(), 1u);
  const auto& r = platform.sent[0].req;
  EXPECT_EQ(r.method, "PATCH");
  EXPECT_EQ(r.path, "/devices/cellar/downlinks/p-7");
  EXPECT_EQ(r.idempotencyKey, "downlink-itf-cellar-p-7-acked-2");
  EXPECT_EQ(json::parse(r.body)["status"], "acked");
}

// A device may have several interfaces: an uplink's path names the one it came through, not the
// device's first.
TEST_F(OutboxSeamTest, AnUplinksPathNamesTheInterfaceItCameThrough) {
  cfg.uplinkPath = "/d/{device}/{interface}/{id}";
  Uplink u;
  u.id = "u1";
  u.deviceIdOrSlug = "cellar";
  u.interfaceId = "second-itf";
  ASSERT_TRUE(outbox->stage(u, "{}"));
  store->flush();
  outbox->deliverStaged(u, "{}");
  ASSERT_EQ(platform.sent.size(), 1u);
  EXPECT_EQ(platform.sent[0].req.path, "/d/cellar/second-itf/u1");
  EXPECT_EQ(store->loadOutbox().at(0).path, "/d/cellar/second-itf/u1");
}

// A refused uplink does not leave at all: sent, it would bypass the outbox it was refused from
// (not durable, out of order with what waits there).
TEST_F(OutboxSeamTest, AnUplinkTheFullOutboxRefusedIsNotSent) {
  for (const char* id : {"e1", "e2", "e3"}) outbox->send(event(id));
  Uplink u;
  u.id = "u1";
  u.deviceIdOrSlug = "cellar";
  EXPECT_FALSE(outbox->stage(u, "{}"));
  outbox->deliverStaged(u, "{}");
  EXPECT_EQ(platform.sent.size(), 3u);
  EXPECT_EQ(metrics.counter("outbox_refused_total"), 1u);
}

}  // namespace
