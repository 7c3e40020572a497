#pragma once
// The platform's downlink queue: pending downlinks are read page by page (seed 001 limit/offset:
// keep reading while a page is full), each taken once (by the platform's id) into the device's
// Class A queue, where it is durable. Their status goes back through the outbox (see Daemon).
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/core/metrics.hpp"
#include "bridge/network/class_a.hpp"
#include "bridge/platform/client.hpp"
#include "bridge/store/store.hpp"

namespace bridge {

struct PendingPage {
  std::vector<std::pair<std::string, nlohmann::json>> items;  // (platform id, downlink request)
  std::vector<std::string> problems;  // entries without a usable id, named by position
  size_t entries = 0;                 // entries on the page, usable or not: a full page means more
};

// A page as platforms send it: a JSON array, or an object wrapping it in "data" (seed 001),
// "downlinks" or "items". Each entry needs an "id" (string or number).
std::expected<PendingPage, std::string> parsePendingDownlinks(std::string_view body);

// path + "limit=N&offset=M" with the right separator.
std::string pagePath(const std::string& path, uint32_t limit, uint32_t offset);

class DownlinkFetcher {
 public:
  using Clock = std::chrono::steady_clock;
  // (device, platform id, status, detail) for downlinks that could not be taken.
  using Report = std::function<void(const std::string&, const std::string&, const std::string&,
                                    const std::string&)>;

  DownlinkFetcher(const config::PlatformConfig::DownlinkQueue& cfg, Platform& platform,
                  ClassA& classA, DownlinkQueue& store, Metrics& metrics,
                  std::function<void(std::function<void()>)> onNetworkThread, Report report);

  // Reads every page of the device's pending downlinks (`path`: its filled template) until
  // `deadline`, queues the new ones, then calls `done` on the network thread, also when the
  // platform failed or the deadline passed.
  void fetch(const std::string& device, const std::string& interfaceId, const std::string& path,
             Clock::time_point deadline, std::function<void()> done);

 private:
  void page(const std::string& device, const std::string& interfaceId, const std::string& path,
            uint32_t offset, uint32_t pages, Clock::time_point deadline,
            std::function<void()> done);
  void take(const std::string& device, const std::string& interfaceId, const PendingPage& page);

  config::PlatformConfig::DownlinkQueue cfg_;
  Platform& platform_;
  ClassA& classA_;
  DownlinkQueue& store_;
  Metrics& metrics_;
  std::function<void(std::function<void()>)> onNetworkThread_;
  Report report_;
};

}  // namespace bridge
