// Pre-registered counters: what the hot path bumps shows in /metrics, from 0, and loses nothing
// when two threads count at once.
#include "bridge/core/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace bridge {
namespace {

TEST(Metrics, ARegisteredCounterShowsFromZeroAndCountsWhatItsHandleAdds) {
  Metrics m;
  Counter c = m.handle("uplinks_accepted_total");
  EXPECT_NE(m.renderPrometheus().find("lorawan_bridge_uplinks_accepted_total 0\n"),
            std::string::npos);
  c.inc();
  c.inc(4);
  m.inc("uplinks_accepted_total");  // the by-name path adds to the same series
  EXPECT_EQ(m.counter("uplinks_accepted_total"), 6u);
  EXPECT_NE(m.renderPrometheus().find("lorawan_bridge_uplinks_accepted_total 6\n"),
            std::string::npos);
  // A handle stays valid while other series are added around it (map nodes do not move).
  for (int i = 0; i < 100; ++i) m.inc("series_" + std::to_string(i) + "_total");
  c.inc();
  EXPECT_EQ(m.counter("uplinks_accepted_total"), 7u);
}

TEST(Metrics, TwoThreadsCountingAtOnceLoseNoIncrement) {
  Metrics m;
  Counter c = m.handle("udp_datagrams_total");
  auto work = [&] {
    for (int i = 0; i < 100000; ++i) c.inc();
  };
  std::thread a(work), b(work);
  a.join();
  b.join();
  EXPECT_EQ(m.counter("udp_datagrams_total"), 200000u);
}

}  // namespace
}  // namespace bridge
