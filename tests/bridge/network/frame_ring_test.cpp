// The dedup window's ring and key index against a plain map, through growth and many removals
// (backward-shift deletion must never lose a key that is still there).
#include "bridge/network/frame_ring.hpp"

#include <gtest/gtest.h>

#include <random>
#include <unordered_map>

namespace bridge {
namespace {

TEST(FrameKeyIndex, AgreesWithAMapThroughGrowthAndRemovals) {
  FrameKeyIndex index;
  std::unordered_map<uint64_t, uint64_t> oracle;
  std::mt19937_64 rng(7);
  std::vector<uint64_t> keys;
  for (int round = 0; round < 200000; ++round) {
    const int op = int(rng() % 3);
    if (op < 2 || keys.empty()) {
      // Small keys too: neighbours in the table, and 0 is a key like any other.
      const uint64_t key = round % 5 == 0 ? uint64_t(round % 64) : rng();
      const uint64_t seq = uint64_t(round) + 1;
      index.set(key, seq);
      if (!oracle.count(key)) keys.push_back(key);
      oracle[key] = seq;
    } else {
      const size_t at = rng() % keys.size();
      index.erase(keys[at]);
      oracle.erase(keys[at]);
      keys[at] = keys.back();
      keys.pop_back();
    }
    if (round % 997 == 0) {
      for (uint64_t k : keys) ASSERT_EQ(index.get(k), oracle[k]) << "round " << round;
    }
  }
  EXPECT_EQ(index.size(), oracle.size());
  for (const auto& [k, seq] : oracle) EXPECT_EQ(index.get(k), seq);
  EXPECT_EQ(index.get(0xdeadbeefull), oracle.count(0xdeadbeefull) ? oracle[0xdeadbeefull] : 0);
}

TEST(FrameRing, FindsByKeyPopsInArrivalOrderAndTheNewestOfAKeyWins) {
  FrameRing<int> ring;
  ring.push(10, 1);
  ring.push(20, 2);
  ring.push(10, 3);  // the same key again: found as 3 from now on
  ASSERT_NE(ring.find(10), nullptr);
  EXPECT_EQ(*ring.find(10), 3);
  EXPECT_EQ(*ring.find(20), 2);
  EXPECT_EQ(ring.find(30), nullptr);
  *ring.find(20) = 22;  // found values can be changed in place

  EXPECT_EQ(ring.front().key, 10u);
  EXPECT_FALSE(ring.pop());  // the old 10: a newer one holds the key, still found
  EXPECT_EQ(*ring.find(10), 3);
  EXPECT_EQ(ring.front().value, 22);
  EXPECT_TRUE(ring.pop());
  EXPECT_EQ(ring.find(20), nullptr);
  EXPECT_TRUE(ring.pop());
  EXPECT_EQ(ring.find(10), nullptr);
  EXPECT_TRUE(ring.empty());
}

TEST(FrameRing, AMillionFramesThroughAWindowOfTenThousand) {
  FrameRing<uint64_t> ring;
  std::mt19937_64 rng(11);
  std::vector<uint64_t> keys;
  for (uint64_t i = 0; i < 1000000; ++i) {
    keys.push_back(rng());
    ring.push(keys.back(), i);
    if (ring.size() > 10000) {
      const uint64_t gone = ring.front().key;
      ASSERT_TRUE(ring.pop());
      ASSERT_EQ(ring.find(gone), nullptr);
    }
  }
  EXPECT_EQ(ring.size(), 10000u);
  for (uint64_t i = 1000000 - 10000; i < 1000000; ++i) {
    ASSERT_NE(ring.find(keys[i]), nullptr);
    EXPECT_EQ(*ring.find(keys[i]), i);
  }
}

}  // namespace
}  // namespace bridge
