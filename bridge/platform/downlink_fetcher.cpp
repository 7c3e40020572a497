#include "bridge/platform/downlink_fetcher.hpp"

#include "bridge/core/log.hpp"
#include "bridge/network/downlink_request.hpp"

namespace bridge {

using nlohmann::json;

namespace {
// A platform that ignores offset would hand out full pages forever.
constexpr uint32_t kMaxPages = 100;
}  // namespace

std::expected<PendingPage, std::string> parsePendingDownlinks(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return std::unexpected("not JSON");
  const json* list = &j;
  if (j.is_object())
    for (const char* key : {"data", "downlinks", "items"})
      if (auto it = j.find(key); it != j.end() && it->is_array()) {
        list = &*it;
        break;
      }
  if (!list->is_array())
    return std::unexpected("want an array of downlinks (or {\"data\": [...]})");
  PendingPage page;
  page.entries = list->size();
  for (size_t i = 0; i < list->size(); ++i) {
    const json& e = (*list)[i];
    auto id = e.is_object() ? e.find("id") : e.end();
    if (!e.is_object() || id == e.end() || !(id->is_string() || id->is_number_integer()) ||
        (id->is_string() && id->get<std::string>().empty())) {
      page.problems.push_back("entry " + std::to_string(i) + ": no id (string or integer)");
      continue;
    }
    page.items.emplace_back(
        id->is_string() ? id->get<std::string>() : std::to_string(id->get<int64_t>()), e);
  }
  return page;
}

std::string pagePath(const std::string& path, uint32_t limit, uint32_t offset) {
  return path + (path.find('?') == std::string::npos ? "?" : "&") +
         "limit=" + std::to_string(limit) + "&offset=" + std::to_string(offset);
}

DownlinkFetcher::DownlinkFetcher(const config::PlatformConfig::DownlinkQueue& cfg,
                                 Platform& platform, ClassA& classA, DownlinkQueue& store,
                                 Metrics& metrics,
                                 std::function<void(std::function<void()>)> onNetworkThread,
                                 Report report)
    : cfg_(cfg),
      platform_(platform),
      classA_(classA),
      store_(store),
      metrics_(metrics),
      onNetworkThread_(std::move(onNetworkThread)),
      report_(std::move(report)) {}

void DownlinkFetcher::fetch(const std::string& device, const std::string& interfaceId,
                            const std::string& path, Clock::time_point deadline,
                            std::function<void()> done) {
  page(device, interfaceId, path, 0, 0, deadline, std::move(done));
}

void DownlinkFetcher::page(const std::string& device, const std::string& interfaceId,
                           const std::string& path, uint32_t offset, uint32_t pages,
                           Clock::time_point deadline, std::function<void()> done) {
  platform_.fetch(
      pagePath(path, cfg_.pageSize, offset), deadline,
      [=, this, done = std::move(done)](unsigned status, std::string body) mutable {
        onNetworkThread_([=, this, body = std::move(body), done = std::move(done)]() mutable {
          if (status < 200 || status >= 300) return done();  // logged and counted by the client
          auto parsed = parsePendingDownlinks(body);
          if (!parsed) {
            metrics_.inc("platform_downlink_pages_invalid_total");
            log::warn("platform_downlinks_invalid",
                      {{"device", device}, {"path", path}, {"error", parsed.error()}});
            return done();
          }
          take(device, interfaceId, *parsed);
          if (parsed->entries < cfg_.pageSize || pages + 1 >= kMaxPages) return done();
          page(device, interfaceId, path, offset + cfg_.pageSize, pages + 1, deadline,
               std::move(done));
        });
      });
}

void DownlinkFetcher::take(const std::string& device, const std::string& interfaceId,
                           const PendingPage& page) {
  for (const auto& p : page.problems) {
    metrics_.inc("platform_downlinks_total{result=\"invalid\"}");
    log::warn("platform_downlink_invalid", {{"device", device}, {"error", p}});
  }
  for (const auto& [id, request] : page.items) {
    if (store_.hasPlatformDownlink(interfaceId, id)) continue;  // still listed as pending there
    auto queued = enqueueFromJson(classA_, device, request, id);
    if (queued) {
      metrics_.inc("platform_downlinks_total{result=\"queued\"}");
      continue;
    }
    // Taken but unusable: the platform hears why, and it is not fetched again as new.
    metrics_.inc("platform_downlinks_total{result=\"invalid\"}");
    log::warn("platform_downlink_invalid",
              {{"device", device}, {"platform_id", id}, {"error", queued.error().message}});
    QueuedDownlink failed;
    failed.id = "platform:" + interfaceId + ":" + id;
    failed.interfaceId = interfaceId;
    failed.status = "failed";
    failed.platformId = id;
    store_.enqueueDownlink(failed);
    report_(device, id, "failed", queued.error().message);
  }
}

}  // namespace bridge
