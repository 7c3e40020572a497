#pragma once
// The operator's view of the running bridge: /healthz and the gauges /metrics renders.
#include <string>
#include <utility>

#include "bridge/api/server.hpp"
#include "bridge/core/metrics.hpp"
#include "bridge/gateway/gateway_registry.hpp"
#include "bridge/network/session_registry.hpp"
#include "bridge/platform/client.hpp"
#include "bridge/platform/outbox.hpp"
#include "bridge/store/store.hpp"
#include "bridge/store/store_writer.hpp"

namespace bridge {

// What health and the gauges read; platform and outbox are null on the embedded default.
struct HealthSources {
  const GroupCommit* store = nullptr;
  const OutboxStore* outboxStore = nullptr;
  const Platform* platform = nullptr;
  const Outbox* outbox = nullptr;
  const SessionRegistry* sessions = nullptr;
  const GatewayRegistry* gateways = nullptr;
  const ApiServer* api = nullptr;
  const StoreWriter* writer = nullptr;
};

// {healthy, JSON}: unhealthy while store writes fail (accepted data waits in memory) or the
// outbox is full; a platform that is away is reported, not unhealthy (the outbox keeps all).
std::pair<bool, std::string> healthReport(const HealthSources& s);

// Sets the gauges: sessions, interfaces, outbox depth, platform queue, /events clients, the
// store writer's commits (asked for, transactions, waiting), each gateway's last-seen age (a
// forgotten gateway leaves no series).
void refreshGauges(const HealthSources& s, Metrics& m);

}  // namespace bridge
