#include "bridge/api_routes.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "bridge/downlink_request.hpp"
#include "lorawan/base64.hpp"

namespace bridge {

using nlohmann::json;

namespace {

ApiResponse reply(unsigned status, json body) {
  json env{{"status", status}, {"ok", status < 300}};
  if (status < 300) env["body"] = std::move(body);
  else env["error"] = std::move(body);
  return {status, "application/json", env.dump()};
}

std::string percentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(uint8_t(s[i + 1])) && std::isxdigit(uint8_t(s[i + 2]))) {
      out += char(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Roles of the presented bearer token, or nullopt for a missing/unknown token.
std::optional<std::vector<std::string>> rolesOf(const ApiContext& ctx, const std::string& authorization) {
  const std::string prefix = "Bearer ";
  if (authorization.rfind(prefix, 0) != 0) return std::nullopt;
  const std::string token = authorization.substr(prefix.size());
  for (const auto& t : ctx.tokens)
    if (!t.token.empty() && t.token == token) return t.roles;
  return std::nullopt;
}

ApiResponse enqueueDownlink(const ApiContext& ctx, const std::string& device, const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return reply(400, "body: not a JSON object");
  std::expected<QueuedReply, EnqueueError> result;
  ctx.onNetworkThread([&] { result = enqueueFromJson(*ctx.classA, device, j); });
  if (!result) return reply(unsigned(result.error().status), result.error().message);
  return reply(201, {{"id", result->id}, {"fPort", result->fport}, {"confirmed", result->confirmed},
                     {"status", "queued"}, {"data", lorawan::base64Encode(result->bytes)}});
}

}  // namespace

ApiServer::Handler makeApiHandler(ApiContext ctx) {
  return [ctx](const ApiRequest& req) -> ApiResponse {
    std::string path = req.target.substr(0, req.target.find('?'));
    if (path == "/healthz") {
      if (!ctx.health) return reply(200, {{"healthy", true}});
      std::pair<bool, std::string> h;
      ctx.onNetworkThread([&] { h = ctx.health(); });
      json body = json::parse(h.second, nullptr, false);
      body["healthy"] = h.first;
      if (h.first) return reply(200, body);
      return {503, "application/json", json{{"status", 503}, {"ok", false}, {"body", body}}.dump()};
    }
    if (!ctx.tokens.empty()) {
      auto roles = rolesOf(ctx, req.authorization);
      if (!roles) return reply(401, "missing or unknown bearer token");
      if (req.method != "GET" && std::none_of(roles->begin(), roles->end(), [](const std::string& r) {
            return r == "device-admin" || r == "org-admin";
          }))
        return reply(403, "this token's roles may not write; needs device-admin or org-admin");
    }
    if (path == "/deadletters" && req.method == "GET") {
      if (!ctx.deadLetters) return reply(404, "no platform configured: nothing is dead-lettered");
      std::vector<DeadLetter> list;
      ctx.onNetworkThread([&] { list = ctx.deadLetters(); });
      json body = json::array();
      for (const auto& d : list)
        body.push_back({{"id", d.entry.id},
                        {"device", d.entry.device},
                        {"path", d.entry.path},
                        {"status", d.status},
                        {"response", d.response},
                        {"at", d.atMs},
                        {"event", json::parse(d.entry.body, nullptr, false)}});
      return reply(200, body);
    }
    const std::string dl = "/deadletters/", retry = "/retry";
    if (path.rfind(dl, 0) == 0 && path.size() > dl.size() + retry.size() &&
        path.compare(path.size() - retry.size(), retry.size(), retry) == 0) {
      if (req.method != "POST") return reply(405, "use POST to retry a dead letter");
      if (!ctx.retryDeadLetter) return reply(404, "no platform configured");
      const std::string id = percentDecode(path.substr(dl.size(), path.size() - dl.size() - retry.size()));
      bool ok = false;
      ctx.onNetworkThread([&] { ok = ctx.retryDeadLetter(id); });
      if (!ok) return reply(404, "no dead letter " + id);
      return reply(202, {{"id", id}, {"status", "queued"}});
    }
    if (path == "/metrics" && req.method == "GET")
      return {200, "text/plain; version=0.0.4", ctx.metrics->renderPrometheus()};
    // /devices/{device}/downlinks
    const std::string prefix = "/devices/", suffix = "/downlinks";
    if (path.rfind(prefix, 0) == 0 && path.size() > prefix.size() + suffix.size() &&
        path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::string device = percentDecode(path.substr(prefix.size(), path.size() - prefix.size() - suffix.size()));
      if (req.method == "POST") return enqueueDownlink(ctx, device, req.body);
      return reply(405, "use POST to queue a downlink");
    }
    return reply(404, "no route for " + req.method + " " + path);
  };
}

}  // namespace bridge
