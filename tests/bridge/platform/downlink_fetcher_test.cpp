// Pages of the platform's downlink queue as platforms send them.
#include "bridge/platform/downlink_fetcher.hpp"

#include <gtest/gtest.h>

using namespace bridge;

TEST(PlatformDownlinks, PagesInEveryShapeAndTheirProblems) {
  struct Case {
    const char* name;
    const char* body;
    size_t entries, items, problems;
  } cases[] = {
      {"array", R"([{"id":"a","fPort":1,"data":"AQ=="}])", 1, 1, 0},
      {"seed 001 data wrapper", R"({"data":[{"id":1},{"id":2}]})", 2, 2, 0},
      {"downlinks wrapper", R"({"downlinks":[{"id":"x"}]})", 1, 1, 0},
      {"no id, empty id, not an object", R"([{"fPort":1},{"id":""},3,{"id":"ok"}])", 4, 1, 3},
      {"empty", "[]", 0, 0, 0},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto p = parsePendingDownlinks(c.body);
    ASSERT_TRUE(p.has_value()) << p.error();
    EXPECT_EQ(p->entries, c.entries);
    EXPECT_EQ(p->items.size(), c.items);
    EXPECT_EQ(p->problems.size(), c.problems);
  }
  EXPECT_EQ(parsePendingDownlinks(R"({"data":[{"id":7}]})")->items[0].first,
            "7");  // numeric ids as text
  EXPECT_EQ(parsePendingDownlinks("<html>").error(), "not JSON");
  EXPECT_FALSE(parsePendingDownlinks(R"({"total":3})").has_value());
}

TEST(PlatformDownlinks, PagePathAppendsLimitAndOffset) {
  EXPECT_EQ(pagePath("/d/x/downlinks?status=pending", 100, 200),
            "/d/x/downlinks?status=pending&limit=100&offset=200");
  EXPECT_EQ(pagePath("/d/x/downlinks", 10, 0), "/d/x/downlinks?limit=10&offset=0");
}
