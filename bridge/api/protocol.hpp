#pragma once
// Small helpers shared by the management API's route files: the seed-000 envelope, URL decoding,
// query parameters, numeric parameters with range checks.
#include <expected>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bridge/api/server.hpp"

namespace bridge::api {

// {"status", "ok", "body"} (errors: "error" with what was wrong). Never throws on bytes that are
// not UTF-8 (an error may quote the request): they are serialized as U+FFFD.
inline ApiResponse reply(unsigned status, nlohmann::json body) {
  nlohmann::json env{{"status", status}, {"ok", status < 300}};
  if (status < 300)
    env["body"] = std::move(body);
  else
    env["error"] = std::move(body);
  return {status, "application/json",
          env.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)};
}

// The first path segment or query name/value that is not UTF-8, named for the error ("path
// segment 2", "query parameter sort"); nullopt when all are.
std::optional<std::string> nonUtf8Part(const std::string& target);

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
