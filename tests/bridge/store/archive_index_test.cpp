// The archive's in-memory device index: a device's rows in a time range, paged either way, and
// nothing the retention trim removed.
#include "bridge/store/archive_index.hpp"

#include <gtest/gtest.h>

using namespace bridge;

namespace {
std::vector<int64_t> seqs(std::initializer_list<int64_t> s) {
  return s;
}
}  // namespace

TEST(ArchiveIndex, FindsADevicesRowsInATimeRangePagedEitherWay) {
  ArchiveIndex index;
  index.add({{"cellar", 1, 1000}, {"attic", 2, 1001}, {"cellar", 3, 2000}});
  index.add({{"cellar", 4, 3000}, {"cellar", 5, 4000}});
  auto all = index.find("cellar", 0, INT64_MAX, 0, 10, false);
  EXPECT_EQ(all.total, 4u);
  EXPECT_EQ(all.seqs, seqs({1, 3, 4, 5}));
  auto range = index.find("cellar", 2000, 3000, 0, 10, false);
  EXPECT_EQ(range.total, 2u);
  EXPECT_EQ(range.seqs, seqs({3, 4}));
  auto newest = index.find("cellar", 0, INT64_MAX, 1, 2, true);
  EXPECT_EQ(newest.total, 4u);
  EXPECT_EQ(newest.seqs, seqs({4, 3}));
  EXPECT_TRUE(index.find("cellar", 0, INT64_MAX, 9, 2, false).seqs.empty());
  EXPECT_EQ(index.find("nobody", 0, INT64_MAX, 0, 10, false).total, 0u);
  EXPECT_EQ(index.recent("cellar", 2), seqs({5, 4}));
  EXPECT_EQ(index.recent("attic", 5), seqs({2}));
}

TEST(ArchiveIndex, TrimmedRowsAreNeverFoundAndLeaveMemory) {
  ArchiveIndex index;
  std::vector<ArchiveIndex::Entry> rows;
  std::vector<std::string> names;
  for (int d = 0; d < 1000; ++d) names.push_back("device-" + std::to_string(d));
  int64_t seq = 0;
  for (int round = 0; round < 100; ++round) {
    rows.clear();
    for (int d = 0; d < 1000; ++d) rows.push_back({names[size_t(d)], ++seq, seq});
    index.add(rows);
    index.trimBelow(seq - 5000 + 1);  // keep the last 5000 rows, as a retention of 5000
  }
  EXPECT_EQ(index.find("device-7", 0, INT64_MAX, 0, 100, false).total, 5u);
  EXPECT_EQ(index.recent("device-7", 100).size(), 5u);
  // Trimmed rows are dropped as devices send again, and swept now and then: never 100k kept.
  EXPECT_LE(index.entries(), size_t(2 * (1 << 16)));
  // A device that went silent long ago is found with nothing.
  index.add({{"silent", ++seq, seq}});
  seq += 10000;
  index.trimBelow(seq);
  EXPECT_EQ(index.find("silent", 0, INT64_MAX, 0, 10, false).total, 0u);
  EXPECT_TRUE(index.recent("silent", 10).empty());
}
