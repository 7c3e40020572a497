// The store when writes fail (a full disk, here a size bound): nothing buffered is dropped, the
// failure is visible, and the next flush after space returns commits it all.
#include "bridge/store/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "support/temp_dir.hpp"

using namespace bridge;

TEST(SqliteStore, AFullDatabaseKeepsWhatWasAcceptedAndCommitsItLater) {
  testsupport::TempDir dir;
  auto store = SqliteStore::open(dir.file("bridge.db"), 1000000).value();
  store->setMaxSizeMb(1);
  const std::string event(600, 'x');
  int recorded = 0;
  for (; recorded < 20000 && store->problem().empty(); ++recorded) {
    store->recordUplink({"id-" + std::to_string(recorded), recorded, "itf", "cellar", event});
    store->enqueueOutbox(
        {"id-" + std::to_string(recorded), "cellar", "/devices/cellar/data", event});
    store->saveFCnt("itf", {lorawan::DevAddr(0x26011BDA), uint32_t(recorded), 0, 0});
    if (recorded % 100 == 99) store->flush();
  }
  ASSERT_FALSE(store->problem().empty()) << "1 MB never filled";
  EXPECT_NE(store->problem().find("full"), std::string::npos) << store->problem();
  store->flush();  // still full: still kept
  EXPECT_FALSE(store->problem().empty());
  store->setMaxSizeMb(1000);  // space again
  store->flush();
  EXPECT_EQ(store->problem(), "");
  EXPECT_EQ(store->queryUplinks("cellar", 0, INT64_MAX, 0, 1, false).total, size_t(recorded));
  EXPECT_EQ(store->loadOutbox().size(), size_t(recorded));
  EXPECT_EQ(store->loadFCnt("itf")->lastFCnt, uint32_t(recorded - 1));
}

// The WAL is copied into the database file while the bridge runs (it once never was: the
// checkpointer's connection was not in WAL mode, and the WAL grew by ~75 MB/s under load).
TEST(SqliteStore, CheckpointsCopyTheWalIntoTheDatabaseWhileReadersAreOpen) {
  testsupport::TempDir dir;
  const std::string path = dir.file("bridge.db");
  auto store = SqliteStore::open(path, 1000000).value();
  auto reader = SqliteStore::openReader(path).value();  // as the daemon has: readers beside it
  const std::string event(600, 'x');
  for (int i = 0; i < 2000; ++i) {
    store->recordUplink({"id-" + std::to_string(i), i, "itf", "cellar", event});
    store->saveFCnt("itf", {lorawan::DevAddr(0x26011BDA), uint32_t(i), 0, 0});
    if (i % 100 == 99) store->flush();
  }
  EXPECT_EQ(reader->loadFCnt("itf")->lastFCnt, 1999u);
  auto frames = store->checkpointNow(std::chrono::seconds(10));
  ASSERT_TRUE(frames.has_value()) << "the checkpointer did not run";
  EXPECT_GT(*frames, 0) << "nothing copied (-1: its connection was not in WAL mode)";
  EXPECT_GT(std::filesystem::file_size(path), 1000000u);  // 2000 x 600 bytes are in the file now
}

// Files from before the outbox was keyed by its seq alone (`id TEXT UNIQUE`, an index on random
// ids written for every uplink): opened, the table is rebuilt without the index, and what was
// undelivered stays, in order, deliverable.
TEST(SqliteStore, AnOutboxFromAnOlderFileIsKeptInOrderWithoutTheIdIndex) {
  testsupport::TempDir dir;
  const std::string path = dir.file("bridge.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE outbox(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT "
                           "UNIQUE NOT NULL, device TEXT NOT NULL, path TEXT NOT NULL, body TEXT "
                           "NOT NULL, method TEXT NOT NULL DEFAULT 'POST');"
                           "INSERT INTO outbox(id, device, path, body) VALUES"
                           " ('c-first', 'cellar', '/devices/cellar/data', '{\"n\":1}'),"
                           " ('a-second', 'cellar', '/devices/cellar/data', '{\"n\":2}'),"
                           " ('b-third', 'attic', '/devices/attic/data', '{\"n\":3}');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  {
    auto store = SqliteStore::open(path, 1000).value();
    auto pending = store->loadOutbox();
    ASSERT_EQ(pending.size(), 3u);
    EXPECT_EQ(pending[0].id, "c-first");
    EXPECT_EQ(pending[1].id, "a-second");
    EXPECT_EQ(pending[2].id, "b-third");
    EXPECT_EQ(store->outboxSize().first, 3u);
    store->enqueueOutbox({"a-second", "cellar", "/devices/cellar/data", "{\"n\":2}"});  // again
    store->enqueueOutbox({"d-fourth", "cellar", "/devices/cellar/data", "{\"n\":4}"});
    store->completeOutbox("a-second");
    store->deadLetter("b-third", 400, "bad", 7);
    store->flush();
    EXPECT_EQ(store->outboxSize().first, 2u);
  }
  auto store = SqliteStore::open(path, 1000).value();
  auto pending = store->loadOutbox();
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].id, "c-first");
  EXPECT_EQ(pending[1].id, "d-fourth");
  ASSERT_EQ(store->deadLetters().size(), 1u);
  EXPECT_EQ(store->deadLetters()[0].entry.id, "b-third");
  EXPECT_EQ(store->deadLetters()[0].entry.body, "{\"n\":3}");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE name='outbox'", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  const std::string sql = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(sql.find("UNIQUE"), std::string::npos) << sql;
}

// A device's archived uplinks are found through the in-memory index, rebuilt at open, also from a
// reader connection; the retention trim removes the oldest; a file with the old (device, seq)
// index loses it (it was a random b-tree leaf per uplink in every commit).
TEST(SqliteStore, ADevicesUplinksAreFoundByTheIndexAfterTrimsAndRestarts) {
  testsupport::TempDir dir;
  const std::string path = dir.file("bridge.db");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE uplinks(seq INTEGER PRIMARY KEY, id TEXT NOT NULL,"
                           " received_at_ms INTEGER NOT NULL, interface_id TEXT NOT NULL, device "
                           "TEXT NOT NULL, event_json TEXT NOT NULL);"
                           "CREATE INDEX uplinks_device ON uplinks(device, seq);"
                           "INSERT INTO uplinks(id, received_at_ms, interface_id, device, "
                           "event_json) VALUES ('old-1', 5, 'itf-c', 'cellar', '{\"old\":1}');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  {
    auto store = SqliteStore::open(path, 1500).value();
    EXPECT_EQ(store->recentUplinks("cellar", 5).size(), 1u);  // the older file's row
    for (int i = 0; i < 3000; ++i) {
      const std::string device = i % 3 == 0 ? "cellar" : "attic";
      store->recordUplink({"id-" + std::to_string(i), 1000 + i, "itf", device,
                           "{\"i\":" + std::to_string(i) + "}"});
      if (i % 100 == 99) store->flush();
    }
    store->flush();
    // 3001 rows, 1500 kept: the trim runs per 1000 uplinks, so the last one left 1500 of 3001.
    auto reader = SqliteStore::openReader(path, store->archiveIndex()).value();
    auto page = reader->queryUplinks("cellar", 0, INT64_MAX, 0, 3, true);
    EXPECT_EQ(page.total, 500u);
    ASSERT_EQ(page.items.size(), 3u);
    EXPECT_EQ(page.items[0].id, "id-2997");
    EXPECT_EQ(page.items[1].id, "id-2994");
    EXPECT_EQ(page.items[0].eventJson, "{\"i\":2997}");
    auto oldest = reader->queryUplinks("attic", 0, INT64_MAX, 0, 1, false);
    EXPECT_EQ(oldest.total, 1000u);
    EXPECT_EQ(oldest.items.at(0).id, "id-1501");
    auto range = reader->queryUplinks("cellar", 3000, 3010, 0, 10, false);
    EXPECT_EQ(range.total, 4u);  // 3000, 3003, 3006, 3009 ms
  }
  auto store = SqliteStore::open(path, 1500).value();
  auto again = store->queryUplinks("cellar", 0, INT64_MAX, 0, 2, true);
  EXPECT_EQ(again.total, 500u);
  EXPECT_EQ(again.items.at(0).id, "id-2997");
  auto scan = SqliteStore::openReader(path).value();  // no index: the same answer by a scan
  EXPECT_EQ(scan->queryUplinks("cellar", 0, INT64_MAX, 0, 2, true).total, 500u);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM sqlite_master WHERE name='uplinks_device'", -1, &st,
                     nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}
