#pragma once
// What the parts of the network side share (all on the network thread): the sessions, the
// downlink scheduler, the metrics and the wall clock (injected: tests replay at fixed times).
#include <cstdint>
#include <functional>

#include "bridge/core/metrics.hpp"
#include "bridge/gateway/downlink_scheduler.hpp"
#include "bridge/network/session_registry.hpp"

namespace bridge {

struct NetworkContext {
  SessionRegistry& sessions;
  DownlinkScheduler& downlinks;
  Metrics& metrics;
  std::function<int64_t()> wallClockMs;
};

}  // namespace bridge
