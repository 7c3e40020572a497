#include "bridge/api/health.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

namespace bridge {

std::pair<bool, std::string> healthReport(const HealthSources& s) {
  using nlohmann::json;
  const std::string storeProblem = s.store ? s.store->problem() : "";
  json h{{"store", storeProblem.empty() ? "ok" : storeProblem},
         {"platform", s.platform ? "configured" : "embedded"}};
  bool ok = storeProblem.empty();
  if (s.platform) {
    const auto r = s.platform->reachability();
    h["platformReachable"] = r.reachable;
    h["platformLastAnswerAgoMs"] = r.lastAnswerAgoMs >= 0 ? json(r.lastAnswerAgoMs) : json();
    h["platformLastError"] = r.lastError.empty() ? json() : json(r.lastError);
    h["platformQueued"] = s.platform->queued();
  }
  if (s.outbox) {
    h["outbox"] = s.outbox->health();
    ok = ok && !s.outbox->full();
  }
  return {ok, h.dump(-1, ' ', false, json::error_handler_t::replace)};
}

void refreshGauges(const HealthSources& s, Metrics& m) {
  if (s.sessions) {
    m.set("sessions", double(s.sessions->size()));
    m.set("interfaces", double(s.sessions->interfaceCount()));
  }
  if (s.platform && s.outboxStore) {
    auto [rows, bytes] = s.outboxStore->outboxSize();
    m.set("outbox_rows", double(rows));
    m.set("outbox_bytes", double(bytes));
    m.set("platform_queued", double(s.platform->queued()));
  }
  if (s.api) m.set("api_event_clients", double(s.api->eventClients()));
  if (s.writer) {
    const auto w = s.writer->stats();
    m.set("store_commits", double(w.commits));
    m.set("store_transactions", double(w.transactions));
    m.set("store_commits_waiting", double(w.queued));
  }
  if (!s.gateways) return;
  const auto now = std::chrono::system_clock::now();
  m.clearGauges("gateway_last_seen_seconds{");
  for (const auto& g : s.gateways->all())
    m.set("gateway_last_seen_seconds{gateway=\"" + g.eui.toString() + "\"}",
          std::chrono::duration<double>(now - g.lastSeen).count());
}

}  // namespace bridge
