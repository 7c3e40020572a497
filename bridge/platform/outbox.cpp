#include "bridge/platform/outbox.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "bridge/core/log.hpp"

namespace bridge {

Outbox::Outbox(const config::PlatformConfig& cfg, OutboxStore& store, Platform& platform,
               Metrics& metrics, Post post, Lookup lookup, std::function<int64_t()> wallClockMs)
    : cfg_(cfg),
      store_(store),
      platform_(platform),
      metrics_(metrics),
      post_(std::move(post)),
      lookup_(std::move(lookup)),
      wallClockMs_(std::move(wallClockMs)) {}

std::string Outbox::path(const std::string& tmpl, const std::string& device, const std::string& id,
                         const std::string& interfaceId) const {
  // The device's interface is looked up only for what the template uses and the caller did not
  // give (a lookup per delivered uplink built four strings).
  PathValues v;
  if (tmpl.find("{dev_eui}") != std::string::npos ||
      (interfaceId.empty() && tmpl.find("{interface}") != std::string::npos))
    v = lookup_(device);
  else
    v.device = device;
  v.id = id;
  if (!interfaceId.empty()) v.interfaceId = interfaceId;
  return fillPathTemplate(tmpl, v);
}

bool Outbox::full() const {
  auto [rows, bytes] = store_.outboxSize();
  return rows >= cfg_.outboxMaxRows || bytes >= size_t(cfg_.outboxMaxMb) << 20;
}

nlohmann::json Outbox::health() const {
  auto [rows, bytes] = store_.outboxSize();
  return {{"rows", rows},
          {"bytes", bytes},
          {"maxRows", cfg_.outboxMaxRows},
          {"maxBytes", size_t(cfg_.outboxMaxMb) << 20},
          {"full", full()}};
}

// When full the event is refused (counted, logged with its id, /healthz says so) rather than
// evicting older accepted events.
bool Outbox::admit(const std::string& id) {
  if (!full()) {
    fullReported_ = false;
    return true;
  }
  metrics_.inc("outbox_refused_total");
  if (!fullReported_)
    log::error("outbox_full", {{"rows", std::to_string(store_.outboxSize().first)}});
  fullReported_ = true;
  log::warn("outbox_event_refused", {{"id", id}});
  return false;
}

bool Outbox::stage(const Uplink& u, const std::string& json) {
  if (!admit(u.id)) {
    refused_.insert(u.id);
    return false;
  }
  staged_.push_back(
      {u.id, u.deviceIdOrSlug, path(cfg_.uplinkPath, u.deviceIdOrSlug, u.id, u.interfaceId), json});
  store_.enqueueOutbox(staged_.back());
  return true;
}

void Outbox::deliverStaged(const Uplink& u, const std::string& json) {
  if (refused_.erase(u.id)) return;  // not in the outbox: it must not leave as if it were
  // Normally the front; should the order ever differ, the entry is looked for (and else built
  // again), never taken from another uplink.
  auto it = std::find_if(staged_.begin(), staged_.end(),
                         [&](const OutboxEntry& e) { return e.id == u.id; });
  if (it == staged_.end()) {
    deliver({u.id, u.deviceIdOrSlug, path(cfg_.uplinkPath, u.deviceIdOrSlug, u.id, u.interfaceId),
             json});
    return;
  }
  OutboxEntry e = std::move(*it);
  staged_.erase(it);
  deliver(std::move(e));
}

void Outbox::send(const DeviceEvent& e) {
  OutboxEntry entry{e.id, e.device, path(cfg_.eventsPath, e.device, e.id),
                    e.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
  sendDurably(entry);
}

void Outbox::sendDurably(const OutboxEntry& entry) {
  if (!admit(entry.id)) return;
  store_.enqueueOutbox(entry);
  store_.commit([this, entry] { deliver(entry); });  // durable before it leaves
}

void Outbox::reportDownlinkStatus(const std::string& device, const std::string& platformId,
                                  const std::string& status, const std::string& detail,
                                  uint32_t attempt) {
  nlohmann::json body{{"status", status},
                      {"detail", detail.empty() ? nlohmann::json() : nlohmann::json(detail)},
                      {"at", formatRfc3339Ms(wallClockMs_())}};
  const std::string key = "downlink-" + lookup_(device).interfaceId + "-" + platformId + "-" +
                          status + "-" + std::to_string(attempt);
  sendDurably(
      {key, device, path(cfg_.downlinkStatusPath, device, platformId), body.dump(), "PATCH"});
}

void Outbox::resume() {
  auto pending = store_.loadOutbox();
  if (!pending.empty()) log::info("outbox_resumed", {{"events", std::to_string(pending.size())}});
  for (const auto& e : pending) deliver(e);
}

bool Outbox::retry(const std::string& id) {
  auto e = store_.retryDeadLetter(id);
  if (e) store_.commit([this, entry = *e] { deliver(entry); });
  return e.has_value();
}

// Completions arrive on the platform's thread; they are applied on the network thread and
// committed together.
void Outbox::scheduleFlush() {
  if (flushScheduled_) return;
  flushScheduled_ = true;
  post_([this] {
    flushScheduled_ = false;
    store_.commit(nullptr);
  });
}

void Outbox::deliver(OutboxEntry e) {
  std::string id = e.id;
  platform_.submit({std::move(e.method), std::move(e.path), std::move(e.body), std::move(e.id),
                    std::move(e.device)},
                   [this, id = std::move(id)](const Platform::Outcome& o) mutable {
                     onOutcome(std::move(id), o);
                   });
}

void Outbox::onOutcome(std::string id, const Platform::Outcome& o) {
  std::lock_guard lock(outcomesMutex_);
  outcomes_.emplace_back(std::move(id), o);
  if (outcomesPosted_) return;
  outcomesPosted_ = true;
  post_([this] { applyOutcomes(); });
}

void Outbox::applyOutcomes() {
  std::vector<std::pair<std::string, Platform::Outcome>> batch;
  {
    std::lock_guard lock(outcomesMutex_);
    batch.swap(outcomes_);
    outcomesPosted_ = false;
  }
  bool changed = false;
  for (const auto& [id, o] : batch) {
    if (o.kind == Platform::Outcome::Delivered)
      store_.completeOutbox(id);
    else if (o.kind == Platform::Outcome::Rejected)
      store_.deadLetter(id, o.status, o.responseExcerpt, wallClockMs_());
    else
      continue;  // gave up for this run: stays for the next start
    changed = true;
  }
  if (changed) scheduleFlush();
}

}  // namespace bridge
