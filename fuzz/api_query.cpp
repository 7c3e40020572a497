// What a URL carries: query parameters, seed-001 filters and sort, device names.
#include <nlohmann/json.hpp>
#include <string>

#include "bridge/api/device_name.hpp"
#include "bridge/api/list_filter.hpp"
#include "bridge/api/protocol.hpp"
#include "fuzz/targets.hpp"

namespace fuzz {

int apiQuery(const uint8_t* data, size_t size) {
  const std::string target(reinterpret_cast<const char*>(data), size);
  (void)bridge::api::pathSegments(target);
  (void)bridge::api::nonUtf8Part(target);
  const auto q = bridge::api::parseQuery(target);
  (void)bridge::api::intParam(q, "limit", 100, 1, 10000);
  const std::vector<std::string> fields{"id", "name", "lastSeen"};
  if (auto filters = bridge::parseListFilters(q, fields, {"tags"})) {
    nlohmann::json item{{"id", "a"}, {"name", "cellar"}, {"lastSeen", 5}, {"tags", {"x", "y"}}};
    (void)bridge::matchesAll(item, *filters);
  }
  if (const std::string* sort = bridge::api::param(q, "sort")) {
    std::vector<nlohmann::json> items{{{"id", "b"}, {"name", 1}}, {{"id", "a"}}};
    (void)bridge::sortItems(items, *sort, fields);
  }
  for (const auto& [k, v] : q) {
    (void)bridge::parseDeviceName(v);
    (void)bridge::sqlLike(k, v, true);
  }
  return 0;
}

}  // namespace fuzz

LB_FUZZ_ENTRY(apiQuery)
