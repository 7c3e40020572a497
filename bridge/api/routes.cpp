#include "bridge/api/routes.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "bridge/api/device_name.hpp"
#include "bridge/api/protocol.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/token_bucket.hpp"
#include "bridge/core/utf8.hpp"
#include "bridge/network/uplink_event.hpp"

namespace bridge {

using api::reply;
using nlohmann::json;

namespace {

// The configured token presented as "Bearer <token>", or nullptr for a missing/unknown one.
const config::ApiToken* tokenOf(const ApiContext& ctx, const std::string& authorization) {
  const std::string prefix = "Bearer ";
  if (authorization.rfind(prefix, 0) != 0) return nullptr;
  const std::string token = authorization.substr(prefix.size());
  for (const auto& t : ctx.tokens)
    if (!t.token.empty() && t.token == token) return &t;
  return nullptr;
}

bool hasRole(const config::ApiToken& t, std::initializer_list<const char*> roles) {
  return std::any_of(t.roles.begin(), t.roles.end(), [&](const std::string& r) {
    return std::any_of(roles.begin(), roles.end(), [&](const char* want) { return r == want; });
  });
}

// A token bucket per token. Only the API thread uses it.
class RateLimiter {
 public:
  RateLimiter(double ratePerS, double burst) : rate_(ratePerS), burst_(burst) {}
  // 0 when allowed, else the seconds to wait.
  unsigned take(const std::string& key) {
    const auto now = TokenBucket::Clock::now();
    auto& b = buckets_.try_emplace(key, rate_, burst_, now).first->second;
    return b.take(now) ? 0 : unsigned(std::ceil(b.wait()));
  }

 private:
  double rate_, burst_;
  std::unordered_map<std::string, TokenBucket> buckets_;
};

Task<ApiResponse> deadLetters(const ApiContext& ctx) {
  if (!ctx.deadLetters) co_return reply(404, "no platform configured: nothing is dead-lettered");
  std::vector<DeadLetter> list;
  list = ctx.deadLetters();
  json body = json::array();
  for (const auto& d : list)
    body.push_back({{"id", d.entry.id},
                    {"device", d.entry.device},
                    {"method", d.entry.method},
                    {"path", d.entry.path},
                    {"status", d.status},
                    {"response", d.response},
                    {"at", d.atMs},
                    {"event", json::parse(d.entry.body, nullptr, false)}});
  co_return reply(200, body);
}

Task<ApiResponse> health(const ApiContext& ctx) {
  if (!ctx.health) co_return reply(200, {{"healthy", true}});
  std::pair<bool, std::string> h;
  co_await ctx.network([&] { h = ctx.health(); });
  json body = json::parse(h.second, nullptr, false);
  body["healthy"] = h.first;
  if (h.first) co_return reply(200, body);
  co_return ApiResponse{503, "application/json",
                        json{{"status", 503}, {"ok", false}, {"body", body}}.dump()};
}

ApiResponse gateways(const ApiContext& ctx) {
  json list = json::array();
  if (ctx.gateways)
    for (const auto& g : ctx.gateways->all()) {
      auto addr = [](const auto& ep) -> json {
        return ep ? json(ep->address().to_string() + ":" + std::to_string(ep->port())) : json();
      };
      const int64_t seen =
          std::chrono::duration_cast<std::chrono::milliseconds>(g.lastSeen.time_since_epoch())
              .count();
      list.push_back(
          {{"gatewayEui", g.eui.toString()},
           {"pushAddress", addr(g.pushAddress)},
           {"pullAddress", addr(g.pullAddress)},
           {"protocolVersion", g.protocolVersion},
           {"lastSeen", formatRfc3339Ms(seen)},
           {"pushCount", g.pushCount},
           {"pullCount", g.pullCount},
           {"stat", g.lastStatJson.empty() ? json() : json::parse(g.lastStatJson, nullptr, false)},
           {"region", ctx.gatewayRegion ? json(ctx.gatewayRegion(g.eui)) : json()}});
    }
  return reply(200, list);
}

Task<std::expected<std::string, ApiResponse>> authorizeEvents(const ApiContext& ctx,
                                                              const ApiRequest& req) {
  const api::Query q = api::parseQuery(req.target);
  if (!ctx.tokens.empty()) {
    std::string auth = req.authorization;
    if (const std::string* t = api::param(q, "access_token")) auth = "Bearer " + *t;
    if (!tokenOf(ctx, auth))
      co_return std::unexpected(
          reply(401, "missing or unknown token (Authorization: Bearer or ?access_token=)"));
  }
  const std::string* filter = api::param(q, "device");
  if (!filter) co_return "";
  auto name = parseDeviceName(*filter);
  if (!name) co_return std::unexpected(reply(400, "device: " + name.error()));
  std::optional<std::string> device;
  co_await ctx.network([&] { device = resolveDevice(*ctx.sessions, *name); });
  if (!device) co_return std::unexpected(reply(404, "no device " + *filter));
  co_return *device;
}

Task<ApiResponse> route(const ApiContext& ctx, RateLimiter& limiter, const ApiRequest& req) {
  const auto path = api::pathSegments(req.target);
  if (path.size() == 1 && path[0] == "healthz") co_return co_await health(ctx);
  ApiAccess access;
  if (!ctx.tokens.empty()) {
    const config::ApiToken* token = tokenOf(ctx, req.authorization);
    if (!token)
      co_return reply(401, "missing or unknown bearer token (Authorization: Bearer <token>)");
    if (unsigned wait = limiter.take(token->token)) {
      ctx.metrics->inc("api_rate_limited_total");
      ApiResponse r = reply(
          429, "too many requests for this token; retry after " + std::to_string(wait) + " s");
      r.retryAfter = std::to_string(wait);
      co_return r;
    }
    access.writeDevices = hasRole(*token, {"device-admin", "org-admin"});
    access.writeInterfaces = hasRole(*token, {"org-admin"});
  }
  if (path.size() == 1 && path[0] == "metrics") {
    if (req.method != "GET") co_return reply(405, "use GET");
    if (ctx.refreshGauges) co_await ctx.network(ctx.refreshGauges);
    co_return ApiResponse{200, "text/plain; version=0.0.4", ctx.metrics->renderPrometheus()};
  }
  if (path.size() == 1 && path[0] == "gateways") {
    if (req.method != "GET") co_return reply(405, "use GET");
    co_return gateways(ctx);
  }
  if (path.size() == 1 && path[0] == "deadletters") {
    if (req.method != "GET") co_return reply(405, "use GET to list dead letters");
    co_return co_await deadLetters(ctx);
  }
  if (path.size() == 3 && path[0] == "deadletters" && path[2] == "retry") {
    if (req.method != "POST") co_return reply(405, "use POST to retry a dead letter");
    if (!access.writeDevices)
      co_return reply(403, "this token's roles may not retry; needs device-admin or org-admin");
    if (!ctx.retryDeadLetter) co_return reply(404, "no platform configured");
    bool ok = false;
    co_await ctx.networkDurable([&] { ok = ctx.retryDeadLetter(path[1]); });
    if (!ok) co_return reply(404, "no dead letter " + path[1]);
    co_return reply(202, {{"id", path[1]}, {"status", "queued"}});
  }
  if (!path.empty() && path[0] == "devices")
    co_return co_await routeDevices(ctx, req, path, access);
  co_return reply(404,
                  "no route for " + req.method + " " + req.target.substr(0, req.target.find('?')));
}

// The one place where a request's failure becomes an answer (see makeApiHandler).
template <typename R, typename F>
Task<R> guarded(const ApiContext& ctx, const ApiRequest& req, F route) {
  auto fail = [](ApiResponse r) -> R {
    if constexpr (std::is_same_v<R, ApiResponse>)
      return r;
    else
      return std::unexpected(std::move(r));
  };
  if (auto bad = api::nonUtf8Part(req.target)) {
    ctx.metrics->inc("api_requests_invalid_total{reason=\"utf8\"}");
    co_return fail(reply(400, *bad + " is not valid UTF-8 (after percent-decoding)"));
  }
  std::optional<ApiResponse> failed;
  try {
    co_return co_await route();
  } catch (const ApiUnavailable& e) {
    failed = reply(503, e.what());
  } catch (const std::exception& e) {
    static std::atomic<uint64_t> nextId{1};
    const std::string id = std::to_string(nextId++);
    ctx.metrics->inc("api_internal_errors_total");
    log::error("api_internal_error",
               {{"request_id", id},
                {"method", sanitizeUtf8(req.method, 16)},
                {"path", sanitizeUtf8(req.target.substr(0, req.target.find('?')), 200)},
                {"error", sanitizeUtf8(e.what(), 300)}});
    failed = reply(500, "internal error (request id " + id + " in the bridge's log)");
  }
  co_return fail(std::move(*failed));
}

}  // namespace

ApiServer::WsAuthorize makeEventsAuthorizer(ApiContext ctx) {
  using Result = std::expected<std::string, ApiResponse>;
  return [ctx](const ApiRequest& req) -> Task<Result> {
    return guarded<Result>(ctx, req, [&ctx, &req] { return authorizeEvents(ctx, req); });
  };
}

ApiServer::Handler makeApiHandler(ApiContext ctx) {
  auto limiter = std::make_shared<RateLimiter>(ctx.ratePerS, ctx.rateBurst);
  return [ctx, limiter](const ApiRequest& req) -> Task<ApiResponse> {
    return guarded<ApiResponse>(ctx, req,
                                [&ctx, &limiter, &req] { return route(ctx, *limiter, req); });
  };
}

}  // namespace bridge
