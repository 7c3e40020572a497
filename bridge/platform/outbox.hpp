#pragma once
// The durable outbox (DESIGN "never loses an uplink"): every event for the platform is in the
// store before it is handed to the Platform, and leaves the store only on the platform's 2xx
// (or as a dead letter on a 4xx). Lives on the network thread; the platform's answers are posted
// back to it and committed together.
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "bridge/core/metrics.hpp"
#include "bridge/network/device_event.hpp"
#include "bridge/network/uplink_event.hpp"
#include "bridge/platform/client.hpp"
#include "bridge/platform/path_template.hpp"
#include "bridge/store/store.hpp"
#include "config/config.hpp"

namespace bridge {

class Outbox {
 public:
  using Post = std::function<void(std::function<void()>)>;  // onto the network thread
  // The path values of a device (its interface and DevEUI).
  using Lookup = std::function<PathValues(const std::string& device)>;

  Outbox(const config::PlatformConfig& cfg, OutboxStore& store, Platform& platform,
         Metrics& metrics, Post post, Lookup lookup, std::function<int64_t()> wallClockMs);

  // Before the uplink's counters commit: the event joins the same transaction. False when the
  // outbox is full (refused, counted, logged; the uplink stays in the archive).
  bool stage(const Uplink& u, const std::string& json);
  // After that commit: hands the staged uplink to the platform (not one stage() refused).
  void deliverStaged(const Uplink& u, const std::string& json);
  // Any other event: committed, then handed over.
  void send(const DeviceEvent& e);
  // PATCH {downlink_status} for a downlink from the platform's queue; the key makes a repeated
  // report the same request.
  void reportDownlinkStatus(const std::string& device, const std::string& platformId,
                            const std::string& status, const std::string& detail, uint32_t attempt);
  // What a previous run accepted but never got a 2xx for goes out first, in order.
  void resume();
  // A dead letter back into the outbox and out again; false for an unknown id.
  bool retry(const std::string& id);

  // A template of the platform config filled for a device (and `interfaceId` instead of the
  // device's first interface, when given: an uplink names the interface it came through).
  std::string path(const std::string& tmpl, const std::string& device, const std::string& id = "",
                   const std::string& interfaceId = "") const;
  bool full() const;
  // {"rows", "bytes", "maxRows", "maxBytes", "full"} for /healthz.
  nlohmann::json health() const;

 private:
  bool admit(const std::string& id);
  void sendDurably(const OutboxEntry& entry);  // admitted, committed, then handed over
  void deliver(OutboxEntry e);
  void scheduleFlush();
  // On the platform's thread: the outcome joins a batch that the network thread applies in one
  // turn (one hand-over per batch, not per event).
  void onOutcome(std::string id, const Platform::Outcome& o);
  void applyOutcomes();

  const config::PlatformConfig& cfg_;
  OutboxStore& store_;
  Platform& platform_;
  Metrics& metrics_;
  Post post_;
  Lookup lookup_;
  std::function<int64_t()> wallClockMs_;
  bool flushScheduled_ = false;
  bool fullReported_ = false;
  std::unordered_set<std::string> refused_;  // uplinks stage() refused, until deliverStaged
  // Staged entries in stage() order, which is deliverStaged() order (both follow the pipeline's
  // commits): the path is filled and the body copied once per uplink, not twice.
  std::deque<OutboxEntry> staged_;
  std::mutex outcomesMutex_;
  std::vector<std::pair<std::string, Platform::Outcome>> outcomes_;  // under outcomesMutex_
  bool outcomesPosted_ = false;                                      // under outcomesMutex_
};

}  // namespace bridge
