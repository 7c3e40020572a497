// The store writer thread over a real SQLite file: the owner's calls never wait for the disk
// (here held by another connection's write lock), it reads its own writes while they are in
// flight, a durable callback runs on the owner only once a fresh connection sees the data, and
// commits queued behind a slow one go out together.
#include "bridge/store/store_writer.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>

#include "bridge/store/sqlite_store.hpp"
#include "support/sqlite_lock.hpp"
#include "support/temp_dir.hpp"

using namespace bridge;
using lorawan::DevAddr;
using lorawan::Eui64;
using testsupport::SqliteWriteLock;

namespace {

struct Fixture {
  testsupport::TempDir dir;
  std::string path = dir.file("bridge.db");
  boost::asio::io_context owner;  // the network thread's loop, run by the test
  std::unique_ptr<StoreWriter> store;

  Fixture() { open(); }
  void open() {
    store.reset();
    auto backend = SqliteStore::open(path).value();  // creates the file the reader opens
    store = std::make_unique<StoreWriter>(
        std::move(backend), SqliteStore::openReader(path).value(),
        [this](std::function<void()> f) { boost::asio::post(owner, std::move(f)); });
  }
  // Runs the owner's loop until `done` (posted callbacks arrive), at most 10 s.
  template <class Pred>
  bool runUntil(Pred done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done() && std::chrono::steady_clock::now() < until) {
      owner.restart();
      owner.run_for(std::chrono::milliseconds(20));
    }
    return done();
  }
  std::unique_ptr<SqliteStore> fresh() { return SqliteStore::openReader(path).value(); }
};

SessionRecord session(uint32_t addr) {
  SessionRecord s;
  s.devAddr = DevAddr(addr);
  s.appSKey = lorawan::Aes128Key::parse("2b7e151628aed2a6abf7158809cf4f3c").value();
  s.joinNonce = 7;
  s.devNonce = 9;
  return s;
}

QueuedDownlink downlink(const std::string& id, const std::string& itf) {
  QueuedDownlink d;
  d.id = id;
  d.interfaceId = itf;
  d.payload = {1, 2, 3};
  return d;
}

}  // namespace

TEST(StoreWriter, ADurableCallbackRunsOnTheOwnerOnceAnotherConnectionSeesTheData) {
  Fixture f;
  f.store->saveFCnt("itf", {DevAddr(0x26011BDA), 41, 7, 3});
  f.store->recordUplink({"u1", 1000, "itf", "cellar", "{}"});
  f.store->enqueueOutbox({"u1", "cellar", "/up", "{\"a\":1}"});
  bool durable = false;
  std::optional<FCntState> seen;
  f.store->commit([&] {
    durable = true;
    seen = f.fresh()->loadFCnt("itf");
  });
  EXPECT_FALSE(durable) << "the callback runs on the owner's loop, not inside commit()";
  ASSERT_TRUE(f.runUntil([&] { return durable; }));
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->lastFCnt, 41u);
  EXPECT_EQ(seen->nextFCntDown, 3u);
  EXPECT_EQ(f.fresh()->recentUplinks("cellar", 5).size(), 1u);
  EXPECT_EQ(f.fresh()->loadOutbox().size(), 1u);
  EXPECT_EQ(f.store->outboxSize(), (std::pair<size_t, size_t>{1, 7}));
}

TEST(StoreWriter, AStalledDiskNeverStallsTheOwnerAndItReadsItsOwnWritesMeanwhile) {
  Fixture f;
  f.store->saveFCnt("abp", {DevAddr(0x26011BDA), 5, 0, 0});
  f.store->flush();
  SqliteWriteLock lock(f.path);
  // Everything below returns at once although no commit can happen.
  const auto start = std::chrono::steady_clock::now();
  std::vector<int> order;
  f.store->saveFCnt("abp", {DevAddr(0x26011BDA), 6, 0, 1});
  f.store->commit([&] { order.push_back(1); });
  f.store->commitJoin("otaa", Eui64(0x0102030405060708), {5, {1, 2, 9}}, session(0x260000AA));
  QueuedDownlink fromPlatform = downlink("d1", "abp");
  fromPlatform.platformId = "p-17";
  f.store->enqueueDownlink(fromPlatform);
  f.store->saveApiInterface("api-1", "{\"id\":\"api-1\"}");
  f.store->commit([&] { order.push_back(2); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));

  // The owner's reads see the writes in flight...
  EXPECT_EQ(f.store->loadFCnt("abp")->lastFCnt, 6u);
  EXPECT_FALSE(f.store->loadFCnt("otaa")) << "a join starts the counters over";
  EXPECT_EQ(f.store->loadSession("otaa")->devAddr, DevAddr(0x260000AA));
  EXPECT_EQ(f.store->loadOtaa(Eui64(0x0102030405060708)).devNonces.back(), 9);
  EXPECT_TRUE(f.store->hasPlatformDownlink("abp", "p-17"));
  EXPECT_EQ(f.store->pendingDownlinks("abp").size(), 1u);
  auto api = f.store->loadApiInterfaces();
  ASSERT_EQ(api.size(), 1u);
  EXPECT_EQ(api[0].first, "api-1");
  // ... which are not durable yet: nothing was reported durable, the file has none of them.
  f.owner.poll();
  EXPECT_TRUE(order.empty());
  EXPECT_EQ(f.fresh()->loadFCnt("abp")->lastFCnt, 5u);
  EXPECT_FALSE(f.fresh()->loadSession("otaa"));

  lock.release();
  ASSERT_TRUE(f.runUntil([&] { return order.size() == 2; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2})) << "callbacks run in commit order";
  auto file = f.fresh();
  EXPECT_EQ(file->loadFCnt("abp")->lastFCnt, 6u);
  EXPECT_EQ(file->loadSession("otaa")->devAddr, DevAddr(0x260000AA));
  EXPECT_TRUE(file->hasPlatformDownlink("abp", "p-17"));
  EXPECT_EQ(file->loadApiInterfaces().size(), 1u);
  EXPECT_EQ(f.store->problem(), "");
}

TEST(StoreWriter, CommitsQueuedBehindASlowOneGoOutAsOneTransaction) {
  Fixture f;
  SqliteWriteLock lock(f.path);
  int durable = 0;
  for (uint32_t i = 0; i < 50; ++i) {
    f.store->saveFCnt("itf-" + std::to_string(i), {DevAddr(i + 1), i, 0, 0});
    f.store->commit([&] { ++durable; });
  }
  lock.release();
  ASSERT_TRUE(f.runUntil([&] { return durable == 50; }));
  const auto s = f.store->stats();
  EXPECT_EQ(s.commits, 50u);
  // At most the one that was waiting for the lock, then all the others together.
  EXPECT_LE(s.transactions, 2u);
  EXPECT_EQ(s.queued, 0u);
  EXPECT_EQ(f.fresh()->loadFCnt("itf-49")->lastFCnt, 49u);
}

TEST(StoreWriter, TheDownlinkQueueIsInMemoryInQueueOrderAndSurvivesARestart) {
  Fixture f;
  for (const char* id : {"a", "b", "c"}) f.store->enqueueDownlink(downlink(id, "itf"));
  f.store->enqueueDownlink(downlink("other", "itf-2"));
  auto q = f.store->pendingDownlinks("itf");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].id, "a");
  // Sent (unconfirmed): it leaves the queue...
  QueuedDownlink a = q[0];
  a.status = "sent";
  a.attempts = 1;
  f.store->updateDownlink(a);
  ASSERT_EQ(f.store->pendingDownlinks("itf").size(), 2u);
  EXPECT_EQ(f.store->pendingDownlinks("itf")[0].id, "b");
  // ... and a gateway that could not transmit puts it back by id, in its old place.
  QueuedDownlink back;
  back.id = "a";
  back.interfaceId = "itf";
  back.status = "queued";
  f.store->updateDownlink(back);
  q = f.store->pendingDownlinks("itf");
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0].id, "a");
  EXPECT_EQ(q[0].payload, (lorawan::Bytes{1, 2, 3})) << "the whole entry comes back";
  EXPECT_EQ(q[0].attempts, 1u);
  QueuedDownlink c = q[2];
  c.status = "cancelled";
  f.store->updateDownlink(c);
  f.store->flush();

  f.open();  // a restart reads the queue back from the file once
  q = f.store->pendingDownlinks("itf");
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].id, "a");
  EXPECT_EQ(q[0].attempts, 1u);
  EXPECT_EQ(q[1].id, "b");
  EXPECT_EQ(f.store->pendingDownlinks("itf-2").size(), 1u);
  EXPECT_EQ(f.store->allPendingDownlinks().size(), 3u);
}

TEST(StoreWriter, WhatIsWrittenBeforeDestructionIsCommitted) {
  Fixture f;
  f.store->saveFCnt("itf", {DevAddr(1), 99, 0, 0});
  f.store->enqueueOutbox({"e1", "cellar", "/up", "{}"});
  f.store->commitJoin("otaa", Eui64(42), {3, {7, 8}}, session(0x260000AB));
  f.store.reset();  // no commit asked for: the writer still commits it before it stops
  EXPECT_EQ(f.fresh()->loadFCnt("itf")->lastFCnt, 99u);
  EXPECT_EQ(f.fresh()->loadOutbox().size(), 1u);
  f.open();  // join state is read back once, into memory
  EXPECT_EQ(f.store->loadOtaa(Eui64(42)).devNonces, (std::vector<uint16_t>{7, 8}));
  EXPECT_EQ(f.store->loadOtaa(Eui64(42)).lastJoinNonce, 3u);
  EXPECT_EQ(f.store->outboxSize().first, 1u);
}
