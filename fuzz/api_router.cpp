// The management API's router, in-process, with the real store, sessions, interface service and
// Class A queue behind it. Input: "METHOD\nTARGET\nBODY". Every answer must be a well-formed
// envelope; nothing may throw past the handler.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "bridge/api/routes.hpp"
#include "bridge/core/log.hpp"
#include "bridge/gateway/downlink_scheduler.hpp"
#include "bridge/network/class_a.hpp"
#include "bridge/network/device_status.hpp"
#include "bridge/store/sqlite_store.hpp"
#include "fuzz/targets.hpp"
#include "lorawan/region/band.hpp"

namespace fuzz {

namespace {
struct Router {
  std::unique_ptr<bridge::SqliteStore> store;
  bridge::Metrics metrics;
  bridge::SessionRegistry sessions;
  bridge::GatewayRegistry gateways;
  std::unique_ptr<bridge::DownlinkScheduler> scheduler;
  std::unique_ptr<bridge::ClassA> classA;
  std::unique_ptr<bridge::InterfaceService> interfaces;
  bridge::ApiServer::Handler handler;
  bridge::ApiServer::WsAuthorize events;

  Router() {
    const auto dir =
        std::filesystem::temp_directory_path() / ("lb-fuzz-router-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    store = std::move(*bridge::SqliteStore::open((dir / "bridge.db").string()));
    config::Interface cellar;
    cellar.id = "68e8e794-1abe-45d6-a63e-158ed5d611ef";
    cellar.deviceIdOrSlug = "cellar";
    cellar.opts.deviceType = config::DeviceType::Abp;
    cellar.opts.deviceAddress = lorawan::DevAddr(0x26011BDA);
    cellar.opts.networkSessionKey = lorawan::Aes128Key();
    cellar.opts.appSessionKey = lorawan::Aes128Key();
    cellar.opts.deviceEui = lorawan::Eui64(0x70B3D57ED0000001);
    sessions.load({cellar}, *store);
    interfaces = std::make_unique<bridge::InterfaceService>(sessions, *store, *store);
    scheduler = std::make_unique<bridge::DownlinkScheduler>(
        gateways, [](const auto&, std::span<const uint8_t>) {}, metrics);
    bridge::ClassASettings cs;
    cs.bands = bridge::BandPlan(*lorawan::region::findBand("EU868"));
    classA = std::make_unique<bridge::ClassA>(
        cs, bridge::NetworkContext{sessions, *scheduler, metrics, [] { return int64_t(0); }},
        *store, *store, [](bridge::DeviceEvent) {});
    bridge::ApiContext ctx;
    ctx.metrics = &metrics;
    ctx.classA = classA.get();
    ctx.sessions = &sessions;
    ctx.interfaces = interfaces.get();
    ctx.uplinks = store.get();
    ctx.downlinks = store.get();
    ctx.gateways = &gateways;
    ctx.gatewayRegion = [](lorawan::Eui64) { return std::string("EU868"); };
    ctx.deviceStatus = [this](const std::string& device) {
      return bridge::deviceStatusJson(nullptr, *store, device, 0);
    };
    ctx.postToNetwork = [](std::function<void()> task) { task(); };  // one thread here
    bridge::log::setLevel(bridge::log::Level::Error);  // a log line per input would be the cost
    ctx.ratePerS = 1000000;
    ctx.rateBurst = 1000000;
    handler = bridge::makeApiHandler(ctx);
    events = bridge::makeEventsAuthorizer(ctx);
  }
};
}  // namespace

// Runs a route's coroutine to its end on this thread.
template <typename T>
T run(boost::asio::awaitable<T> task) {
  boost::asio::io_context ioc;
  std::optional<T> out;
  boost::asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e, T value) {
    if (e) std::rethrow_exception(e);  // the routes' boundary lets nothing out
    out = std::move(value);
  });
  ioc.run();
  return std::move(*out);
}

int apiRouter(const uint8_t* data, size_t size) {
  static Router router;
  const std::string in(reinterpret_cast<const char*>(data), size);
  const size_t a = in.find('\n');
  const size_t b = a == std::string::npos ? std::string::npos : in.find('\n', a + 1);
  bridge::ApiRequest req;
  req.method = in.substr(0, a);
  req.target = a == std::string::npos
                   ? "/"
                   : in.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  if (b != std::string::npos) req.body = in.substr(b + 1);
  if (req.target.empty() || req.target[0] != '/') req.target = "/" + req.target;
  // A WebSocket upgrade of /events goes through its authorizer (device filter, token) instead.
  if (req.target.rfind("/events", 0) == 0) {
    auto allowed = run(router.events(req));
    if (!allowed && nlohmann::json::parse(allowed.error().body, nullptr, false).is_discarded())
      std::abort();
    return 0;
  }
  const bridge::ApiResponse r = run(router.handler(req));
  if (r.contentType == "application/json") {
    // The answer is always JSON a client can parse.
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded()) std::abort();
  }
  if (r.status < 200 || r.status > 599) std::abort();
  return 0;
}

}  // namespace fuzz

LB_FUZZ_ENTRY(apiRouter)
