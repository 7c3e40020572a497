// /devices routes: the device list (seed 001 pagination and filters), one device, its status
// (seed 003), its stored data (seed 004), its downlinks, and its interfaces (seed 000).
#include <map>
#include <nlohmann/json.hpp>

#include "bridge/api/device_name.hpp"
#include "bridge/api/interface_json.hpp"
#include "bridge/api/list_filter.hpp"
#include "bridge/api/protocol.hpp"
#include "bridge/api/routes.hpp"
#include "bridge/network/downlink_request.hpp"
#include "bridge/network/uplink_event.hpp"
#include "lorawan/base64.hpp"

namespace bridge {

using api::reply;
using nlohmann::json;

namespace {

const std::vector<std::string> kDeviceFields{"id",      "devEui",  "devAddr",    "deviceType",
                                             "enabled", "managed", "macVersion", "driverInstanceId",
                                             "online",  "lastSeen"};
const std::vector<std::string> kDeviceArrays{"tags", "interfaces"};

// A device is its interfaces (seed 000): what they say, plus what the bridge saw of it.
// `itfs`: sorted by id, the first one speaks for the device.
json deviceJson(const ApiContext& ctx, const std::string& device,
                const std::vector<Session*>& itfs) {
  const Session& first = *itfs.front();
  const InterfaceProfile& p = *first.profile;
  json tags = json::array(), ids = json::array();
  for (const Session* i : itfs) {
    ids.push_back(i->id.view());
    for (const auto& t : i->profile->tags)
      if (std::find(tags.begin(), tags.end(), t) == tags.end()) tags.push_back(t);
  }
  json status = ctx.deviceStatus ? ctx.deviceStatus(device) : json::object();
  return {{"id", device},
          {"devEui", first.deviceEui ? json(first.deviceEui->toString()) : json()},
          {"devAddr", first.active ? json(first.devAddr.toString()) : json()},
          {"deviceType", p.deviceType == config::DeviceType::Otaa ? "otaa" : "abp"},
          {"enabled", p.enabled},
          {"managed", p.managed},
          {"macVersion", p.macVersion},
          {"driverInstanceId", p.driverInstanceId},
          {"tags", tags},
          {"interfaces", ids},
          {"online", status.value("online", false)},
          {"lastSeen", status.value("lastSeen", json())}};
}

std::map<std::string_view, std::vector<Session*>> devicesOf(const SessionRegistry& sessions) {
  std::map<std::string_view, std::vector<Session*>> out;
  sessions.forEach([&](Session& s) { out[s.device].push_back(&s); });
  for (auto& [device, itfs] : out)
    std::sort(itfs.begin(), itfs.end(),
              [](Session* x, Session* y) { return x->id.view() < y->id.view(); });
  return out;
}

Task<ApiResponse> listDevices(const ApiContext& ctx, api::Query q) {
  auto limit = api::intParam(q, "limit", 100, 1, 10000);
  if (!limit) co_return reply(400, limit.error());
  auto offset = api::intParam(q, "offset", 0, 0, INT32_MAX);
  if (!offset) co_return reply(400, offset.error());
  auto filters = parseListFilters(q, kDeviceFields, kDeviceArrays);
  if (!filters) co_return reply(400, filters.error());
  std::vector<json> items;
  co_await ctx.network([&] {
    for (const auto& [device, itfs] : devicesOf(*ctx.sessions)) {
      json d = deviceJson(ctx, std::string(device), itfs);
      if (matchesAll(d, *filters)) items.push_back(std::move(d));
    }
  });
  if (const std::string* sort = api::param(q, "sort"))
    if (auto sorted = sortItems(items, *sort, kDeviceFields); !sorted)
      co_return reply(400, sorted.error());
  json page = json::array();
  for (size_t i = size_t(*offset); i < items.size() && page.size() < size_t(*limit); ++i)
    page.push_back(items[i]);
  ApiResponse r = reply(200, page);
  // Seed 001: keep reading while a page is full; the total helps a client size it.
  json env = json::parse(r.body);
  env["total"] = items.size();
  r.body = env.dump();
  co_return r;
}

Task<ApiResponse> deviceData(const ApiContext& ctx, const std::string& device, api::Query q) {
  auto start = api::intParam(q, "start", 0, 0, INT64_MAX);
  if (!start) co_return reply(400, start.error());
  auto end = api::intParam(q, "end", INT64_MAX, 0, INT64_MAX);
  if (!end) co_return reply(400, end.error());
  if (*end < *start) co_return reply(400, "end: before start");
  auto page = api::intParam(q, "page", 1, 1, INT32_MAX);
  if (!page) co_return reply(400, page.error());
  auto perPage = api::intParam(q, "perPage", 10, 1, 100);
  if (!perPage) co_return reply(400, perPage.error());
  bool newestFirst = false;
  if (const std::string* sort = api::param(q, "sort")) {
    if (*sort == "-ts")
      newestFirst = true;
    else if (*sort != "ts" && *sort != "+ts")
      co_return reply(400, "sort: \"" + *sort + "\", want ts or -ts");
  }
  UplinkPage found;
  found = ctx.uplinks->queryUplinks(device, *start, *end, size_t(*page - 1) * size_t(*perPage),
                                    size_t(*perPage), newestFirst);
  json data = json::array();
  for (const auto& u : found.items)
    data.push_back({{"_id", u.id},
                    {"deviceId", u.deviceIdOrSlug},
                    {"ts", formatRfc3339Ms(u.receivedAtMs)},
                    {"data", json::parse(u.eventJson, nullptr, false)}});
  // Seed 004's on-premise shape, with our envelope's status and ok beside it.
  co_return ApiResponse{
      200, "application/json",
      json{{"status", 200}, {"ok", true}, {"data", data}, {"totalItems", found.total}}.dump()};
}

json downlinkJson(const QueuedDownlink& d) {
  return {{"id", d.id},
          {"fPort", d.fport},
          {"data", lorawan::base64Encode(d.payload)},
          {"confirmed", d.confirmed},
          {"status", d.status},
          {"attempts", d.attempts},
          {"createdAt", formatRfc3339Ms(d.createdAtMs)},
          {"platformId", d.platformId.empty() ? json() : json(d.platformId)}};
}

Task<ApiResponse> downlinks(const ApiContext& ctx, const ApiRequest& req, const std::string& device,
                            const std::string& interfaceId, const ApiAccess& access) {
  if (req.method == "GET") {
    auto limit = api::intParam(api::parseQuery(req.target), "limit", 100, 1, 10000);
    if (!limit) co_return reply(400, limit.error());
    json list = json::array();
    for (const auto& d : ctx.downlinks->listDownlinks(interfaceId, size_t(*limit)))
      list.push_back(downlinkJson(d));
    co_return reply(200, list);
  }
  if (req.method != "POST" && req.method != "DELETE")
    co_return reply(405, "use GET, POST or DELETE");
  if (!access.writeDevices)
    co_return reply(403,
                    "this token's roles may not write downlinks; needs device-admin or org-admin");
  if (req.method == "DELETE") {
    json list = json::array();
    co_await ctx.networkDurable([&] {
      for (const auto& d : ctx.classA->cancelQueued(device, interfaceId))
        list.push_back(downlinkJson(d));
    });
    co_return reply(200, list);
  }
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) co_return reply(400, "body: not a JSON object");
  std::expected<QueuedReply, EnqueueError> result;
  co_await ctx.networkDurable([&] { result = enqueueFromJson(*ctx.classA, device, j); });
  if (!result) co_return reply(unsigned(result.error().status), result.error().message);
  co_return reply(201, {{"id", result->id},
                        {"fPort", result->fport},
                        {"confirmed", result->confirmed},
                        {"status", "queued"},
                        {"data", lorawan::base64Encode(result->bytes)}});
}

ApiResponse fromService(const std::expected<json, ApiError>& r) {
  if (!r) return reply(r.error().status, r.error().message);
  return reply(200, *r);
}

Task<ApiResponse> interfaces(const ApiContext& ctx, const ApiRequest& req,
                             const std::string& device, const std::vector<std::string>& path,
                             const ApiAccess& access) {
  const bool one = path.size() == 4;
  if (req.method != "GET" && !access.writeInterfaces)
    co_return reply(403, "this token's roles may not change interfaces; needs org-admin");
  json wrapped;
  if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    wrapped = json::parse(req.body, nullptr, false);
    if (wrapped.is_discarded()) co_return reply(400, "body: not JSON");
    if (!wrapped.is_object() || !wrapped.contains("interface") || !wrapped["interface"].is_object())
      co_return reply(400, "body: want {\"interface\": {...}}");
  }
  std::expected<json, ApiError> result = std::unexpected(ApiError{405, ""});
  if (!one && req.method == "GET") {
    const api::Query q = api::parseQuery(req.target);
    auto limit = api::intParam(q, "limit", 100, 1, 10000);
    if (!limit) co_return reply(400, limit.error());
    const std::string* after = api::param(q, "retrieve_after_id");
    InterfaceService::Page page;
    co_await ctx.network(
        [&] { page = ctx.interfaces->list(device, after ? *after : "", size_t(*limit)); });
    co_return ApiResponse{
        200, "application/json",
        json{{"status", 200},
             {"ok", true},
             {"retrieve_after_id", page.retrieveAfterId ? json(*page.retrieveAfterId) : json()},
             {"body", page.items}}
            .dump()};
  }
  if (!one && req.method == "POST")
    co_await ctx.networkDurable(
        [&] { result = ctx.interfaces->create(device, wrapped["interface"]); });
  else if (one && req.method == "GET")
    co_await ctx.network([&] { result = ctx.interfaces->show(device, path[3]); });
  else if (one && (req.method == "PUT" || req.method == "PATCH"))
    co_await ctx.networkDurable(
        [&] { result = ctx.interfaces->edit(device, path[3], wrapped["interface"]); });
  else if (one && req.method == "DELETE")
    co_await ctx.networkDurable([&] { result = ctx.interfaces->remove(device, path[3]); });
  else
    co_return reply(405, one ? "use GET, PUT, PATCH or DELETE" : "use GET or POST");
  co_return fromService(result);
}

}  // namespace

Task<ApiResponse> routeDevices(const ApiContext& ctx, const ApiRequest& req,
                               const std::vector<std::string>& path, const ApiAccess& access) {
  if (path.size() == 1) {
    if (req.method != "GET") co_return reply(405, "use GET to list devices");
    co_return co_await listDevices(ctx, api::parseQuery(req.target));
  }
  auto name = parseDeviceName(path[1]);
  if (!name) co_return reply(400, name.error());
  std::optional<std::string> device;
  std::string interfaceId;
  co_await ctx.network([&] {
    device = resolveDevice(*ctx.sessions, *name);
    if (device)
      if (const Session* itf = ctx.sessions->anyOfDevice(*device)) interfaceId = itf->id.str();
  });
  const std::string sub = path.size() > 2 ? path[2] : "";
  // The first interface of a new device names it: creating one needs no existing device.
  if (!device && sub == "interfaces" && path.size() == 3 && req.method == "POST" && !name->devEui)
    device = name->idOrSlug;
  if (!device) co_return reply(404, "no device " + path[1]);
  if (sub == "interfaces" && (path.size() == 3 || path.size() == 4))
    co_return co_await interfaces(ctx, req, *device, path, access);
  if (path.size() == 2) {
    if (req.method != "GET") co_return reply(405, "use GET");
    json d;
    co_await ctx.network([&] {
      const auto itfs = ctx.sessions->ofDevice(*device);
      if (!itfs.empty()) d = deviceJson(ctx, *device, itfs);  // gone meanwhile: null
    });
    if (d.is_null()) co_return reply(404, "no device " + path[1]);
    co_return reply(200, d);
  }
  if (path.size() != 3)
    co_return reply(
        404, "no route for " + req.method + " " + req.target.substr(0, req.target.find('?')));
  if (sub == "downlinks") co_return co_await downlinks(ctx, req, *device, interfaceId, access);
  if (req.method != "GET") co_return reply(405, "use GET");
  if (sub == "status") {
    json s;
    co_await ctx.network(
        [&] { s = ctx.deviceStatus ? ctx.deviceStatus(*device) : json::object(); });
    s["id"] = *device;
    co_return reply(200, s);
  }
  if (sub == "data") co_return co_await deviceData(ctx, *device, api::parseQuery(req.target));
  co_return reply(404,
                  "no route for " + req.method + " " + req.target.substr(0, req.target.find('?')));
}

}  // namespace bridge
