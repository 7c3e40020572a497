// The store when writes fail (a full disk, here a size bound): nothing buffered is dropped, the
// failure is visible, and the next flush after space returns commits it all.
#include "bridge/store/sqlite_store.hpp"

#include <gtest/gtest.h>

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
