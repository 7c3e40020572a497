#pragma once
// Small helpers shared by the management API's route files: the seed-000 envelope, URL decoding,
// query parameters, numeric parameters with range checks.
#include <expected>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "bridge/api_server.hpp"

namespace bridge::api {

// {"status", "ok", "body"} (errors: "error" with what was wrong).
inline ApiResponse reply(unsigned status, nlohmann::json body) {
  nlohmann::json env{{"status", status}, {"ok", status < 300}};
  if (status < 300)
    env["body"] = std::move(body);
  else
    env["error"] = std::move(body);
  return {status, "application/json", env.dump()};
}

std::string percentDecode(const std::string& s);

// The path split at '/', each segment percent-decoded; "" segments dropped.
std::vector<std::string> pathSegments(const std::string& target);

// Query parameters in order (names and values percent-decoded; '+' is a space).
using Query = std::vector<std::pair<std::string, std::string>>;
Query parseQuery(const std::string& target);
const std::string* param(const Query& q, const std::string& name);

// An integer parameter in [lo, hi], `fallback` when absent; the error names it and the range.
std::expected<int64_t, std::string> intParam(const Query& q, const std::string& name,
                                             int64_t fallback, int64_t lo, int64_t hi);

}  // namespace bridge::api
