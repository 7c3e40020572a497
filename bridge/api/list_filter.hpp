#pragma once
// Seed 001 list filters: `f:<field>=<op>:<value>` on fields (eq, gt, lt, gte, lte, like, ilike;
// eq when no operator) and `fa:<field>=<op>:<a,b>` on arrays (contains, containedby, overlap;
// contains when none), evaluated on the JSON objects a list returns; and `sort=[-]field`.
#include <expected>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "bridge/api/protocol.hpp"

namespace bridge {

struct ListFilter {
  bool array = false;
  std::string field;
  std::string op;
  std::string value;                // fields
  std::vector<std::string> values;  // arrays: the comma-separated list
};

// `fields` and `arrays`: the names a filter may use; errors name the parameter and what is wrong.
std::expected<std::vector<ListFilter>, std::string> parseListFilters(
    const api::Query& q, const std::vector<std::string>& fields,
    const std::vector<std::string>& arrays);
bool matchesAll(const nlohmann::json& item, const std::vector<ListFilter>& filters);

// SQL LIKE: % any run, _ one character; `caseless` for ILIKE.
bool sqlLike(const std::string& text, const std::string& pattern, bool caseless);

// Sorts by `field` ("-field": descending); an unknown field is an error naming it.
std::expected<void, std::string> sortItems(std::vector<nlohmann::json>& items,
                                           const std::string& spec,
                                           const std::vector<std::string>& fields);

}  // namespace bridge
