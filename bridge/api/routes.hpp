#pragma once
// The management API's routes (DESIGN "Management API", seeds 000-004): interfaces CRUD, devices,
// their data, status and downlinks, gateways, dead letters, health and metrics. Responses use the
// seed-000 envelope {"status", "ok", "body"}; errors say what was wrong in "error".
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <stdexcept>
#include <vector>

#include "bridge/api/interface_service.hpp"
#include "bridge/api/network_hop.hpp"
#include "bridge/api/server.hpp"
#include "bridge/core/metrics.hpp"
#include "bridge/gateway/gateway_registry.hpp"
#include "bridge/network/class_a.hpp"
#include "bridge/network/session_registry.hpp"
#include "bridge/store/store.hpp"
#include "config/config.hpp"

namespace bridge {

template <typename T>
using Task = boost::asio::awaitable<T>;

struct ApiContext {
  std::vector<config::ApiToken> tokens;  // empty: no authentication (loopback default)
  uint32_t ratePerS = config::defaults::kApiRatePerS;
  uint32_t rateBurst = config::defaults::kApiRateBurst;
  Metrics* metrics = nullptr;
  ClassA* classA = nullptr;
  // Used on the network thread only (through network()).
  SessionRegistry* sessions = nullptr;
  InterfaceService* interfaces = nullptr;
  // The API thread's own read connection: stored uplinks and downlinks are read here, never on
  // the network thread. It sees what is committed.
  UplinkArchive* uplinks = nullptr;
  DownlinkQueue* downlinks = nullptr;
  GatewayRegistry* gateways = nullptr;  // thread-safe
  std::function<std::string(lorawan::Eui64)> gatewayRegion;
  // A device's live status (last seen, RSSI/SNR, battery, margin) as JSON; network thread.
  std::function<nlohmann::json(const std::string& device)> deviceStatus;
  // Sets the gauges (outbox depth, sessions, gateways' last seen) before /metrics renders;
  // network thread.
  std::function<void()> refreshGauges;
  // {healthy, JSON details}; runs on the network thread.
  std::function<std::pair<bool, std::string>()> health;
  // Dead letters (null without a platform): list them (API thread, read connection), and send
  // one again by id (network thread).
  std::function<std::vector<DeadLetter>()> deadLetters;
  std::function<bool(const std::string& id)> retryDeadLetter;
  // Onto the network thread (where the sessions and Class A live); see network().
  NetworkPost postToNetwork;
  NetworkCommit commitStore;  // network thread: the store's commit (see networkDurable())
  std::chrono::milliseconds networkPatience{5000};

  // Runs `task` on the network thread and resumes on the API thread (api/network_hop.hpp).
  Task<void> network(std::function<void()> task) const {
    return onNetwork(postToNetwork, std::move(task), networkPatience);
  }
  // The same for a change: resumes once what `task` wrote is durable.
  Task<void> networkDurable(std::function<void()> task) const {
    return onNetwork(postToNetwork, std::move(task), networkPatience, commitStore);
  }
};

// Every request passes one boundary: a target that is not UTF-8 gets 400 naming the part, an
// exception 500 with a request id (logged, counted in api_internal_errors_total).
ApiServer::Handler makeApiHandler(ApiContext ctx);
// Who may open the /events WebSocket (seed 004: token as a bearer header or an `access_token`
// query parameter; any role reads) and which device it follows (`device`: any device name).
ApiServer::WsAuthorize makeEventsAuthorizer(ApiContext ctx);

// What the presented token may do.
struct ApiAccess {
  bool writeDevices = true;     // device-admin, org-admin
  bool writeInterfaces = true;  // org-admin
};

// /devices... routes (api_devices.cpp).
Task<ApiResponse> routeDevices(const ApiContext& ctx, const ApiRequest& req,
                               const std::vector<std::string>& path, const ApiAccess& access);

}  // namespace bridge
