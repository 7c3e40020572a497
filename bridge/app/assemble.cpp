// Daemon::create: builds the parts from the config and connects them. Wiring only.
#include <boost/asio/post.hpp>

#include "bridge/api/health.hpp"
#include "bridge/api/routes.hpp"
#include "bridge/app/daemon_parts.hpp"
#include "bridge/network/device_status.hpp"

namespace bridge {

namespace asio = boost::asio;

namespace {

// The store writer this far behind (writes handed over, not committed: ~20k uplinks, ~80 MB with
// a platform), the network thread waits and the receiver's bounded backlog sheds the excess.
constexpr size_t kStoreWritesBehind = 50000;

GatewayRegistrySettings gatewaySettings(const config::Config& cfg) {
  GatewayRegistrySettings gs;
  const auto& gp = cfg.gatewayPolicy;
  gs.pathExpiry = std::chrono::seconds(gp.pathExpiryS);
  gs.idleExpiry = std::chrono::seconds(gp.idleExpiryS);
  gs.maxGateways = gp.maxGateways;
  gs.listedOnly = gp.listedOnly;
  for (const auto& g : cfg.gateways) gs.listed.insert(g.eui);
  return gs;
}

// The platform side's hooks into the network side (the parts they use are built after it).
void platformHooks(Daemon::Impl& d, NetworkHooks& hooks) {
  hooks.beforeCommit = [p = &d](const Uplink& u, const std::string& json) {
    p->outbox->stage(u, json);
  };
  if (!d.cfg.platform->downlinkQueue.enabled) return;
  // The platform may hold a downlink for the device: read its queue first, within a deadline
  // that keeps RX1 reachable, then answer (with or without it).
  hooks.beforeAnswer = [p = &d](const Session& s, std::function<void()> answer) {
    p->fetchDownlinks(s, std::chrono::milliseconds(p->cfg.platform->downlinkQueue.fetchTimeoutMs),
                      std::move(answer));
  };
}

// The platform side: client, outbox, downlink queue.
void wirePlatform(Daemon::Impl& d) {
  const auto& pc = *d.cfg.platform;
  d.platform = std::make_unique<PlatformClient>(pc, d.metrics);
  auto post = [p = &d](std::function<void()> task) { asio::post(p->ioc, std::move(task)); };
  auto lookup = [p = &d](const std::string& device) {
    const Session* itf = p->sessions.anyOfDevice(device);
    return PathValues{device, itf && itf->deviceEui ? itf->deviceEui->toString() : device,
                      itf ? itf->id.str() : "", ""};
  };
  d.outbox =
      std::make_unique<Outbox>(pc, *d.store, *d.platform, d.metrics, post, lookup, wallClockMs);
  if (!pc.downlinkQueue.enabled) return;
  d.fetcher = std::make_unique<DownlinkFetcher>(
      pc.downlinkQueue, *d.platform, d.network->classA(), *d.store, d.metrics, post,
      [p = &d](const std::string& device, const std::string& platformId, const std::string& status,
               const std::string& detail) {
        p->outbox->reportDownlinkStatus(device, platformId, status, detail, 0);
      });
  d.network->classA().onPlatformStatus([p = &d](const std::string& device, const QueuedDownlink& q,
                                                const std::string& status,
                                                const std::string& detail) {
    p->outbox->reportDownlinkStatus(device, q.platformId, status, detail, q.attempts);
  });
  d.armPoll();
}

ApiContext apiContext(Daemon::Impl& d) {
  const auto& cfg = d.cfg;
  ApiContext api;
  api.tokens = cfg.apiTokens;
  api.metrics = &d.metrics;
  api.classA = &d.network->classA();
  api.ratePerS = cfg.apiRatePerS;
  api.rateBurst = cfg.apiRateBurst;
  api.sessions = &d.sessions;
  api.interfaces = d.interfaceService.get();
  api.uplinks = d.reader.get();
  api.downlinks = d.reader.get();
  api.gateways = &d.gateways;
  api.gatewayRegion = [bands = BandPlan::fromConfig(cfg).value()](lorawan::Eui64 eui) {
    return std::string(bands.forGateway(eui)->name);
  };
  api.deviceStatus = [p = &d](const std::string& device) {
    Session* s = p->sessions.anyOfDevice(device);
    if (s && !s->active) s = nullptr;
    return deviceStatusJson(s, *p->store, device, wallClockMs());
  };
  auto sources = [p = &d] {
    return HealthSources{p->store.get(), p->store.get(), p->platform.get(), p->outbox.get(),
                         &p->sessions,   &p->gateways,   p->api.get(),      p->store.get()};
  };
  api.refreshGauges = [p = &d, sources] { refreshGauges(sources(), p->metrics); };
  api.health = [sources] { return healthReport(sources()); };
  if (d.outbox) {
    api.deadLetters = [p = &d] { return p->reader->deadLetters(); };
    api.retryDeadLetter = [p = &d](const std::string& id) { return p->outbox->retry(id); };
  }
  api.commitStore = [p = &d](std::function<void()> durable) { p->store->commit(durable); };
  api.postToNetwork = [p = &d](std::function<void()> task) {
    asio::post(p->ioc, [p, task = std::move(task)] {
      if (!p->closed) task();  // once closing, what has not started is abandoned (503)
    });
  };
  return api;
}

}  // namespace

std::expected<std::unique_ptr<Daemon>, std::string> Daemon::create(config::Config given) {
  auto impl = std::make_unique<Impl>();
  Impl& d = *impl;
  d.cfg = std::move(given);
  const config::Config& cfg = d.cfg;
  auto settings = NetworkSettings::fromConfig(cfg);
  if (!settings) return std::unexpected(settings.error());
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(cfg.udpListen.host, ec);
  if (ec) return std::unexpected("listen.udp: \"" + cfg.udpListen.host + "\" is not an IP address");
  auto store = SqliteStore::open(cfg.storePath, cfg.keepUplinks);
  if (!store) return std::unexpected(store.error());
  if (cfg.storeMaxMb) (*store)->setMaxSizeMb(cfg.storeMaxMb);
  // Three connections: the writer thread's, the network thread's reads, the API thread's.
  // The readers find a device's archived uplinks through the writer's index.
  const auto archive = (*store)->archiveIndex();
  auto networkReader = SqliteStore::openReader(cfg.storePath, archive);
  if (!networkReader) return std::unexpected(networkReader.error());
  d.store = std::make_unique<StoreWriter>(
      std::move(*store), std::move(*networkReader),
      [p = &d](std::function<void()> f) { asio::post(p->ioc, std::move(f)); });
  auto reader = SqliteStore::openReader(cfg.storePath, archive);
  if (!reader) return std::unexpected(reader.error());
  d.reader = std::move(*reader);
  d.interfaceService = std::make_unique<InterfaceService>(d.sessions, *d.store, *d.store);
  // What the API changed earlier wins. The registry keeps the interfaces (a million devices:
  // not twice).
  d.loadInterfaces(std::move(d.cfg.interfaces));
  d.cfg.interfaces = {};
  if (!cfg.sourcePath.empty()) {
    d.watcher = std::make_unique<ConfigWatcher>(d.ioc, cfg.sourcePath, cfg.interfacesDir,
                                                [p = &d] { p->reloadInterfaces("file_changed"); });
    d.watcher->start();
  }
  d.gateways.configure(gatewaySettings(cfg));

  NetworkHooks hooks;
  if (cfg.platform) platformHooks(d, hooks);
  hooks.uplink = [p = &d](const Uplink& u, const std::string& json) {
    p->publish("data", u.deviceIdOrSlug, [&] { return json; });
    if (p->outbox) p->outbox->deliverStaged(u, json);
  };
  hooks.event = [p = &d](const DeviceEvent& e) { p->onEvent(e); };
  hooks.rejection = [p = &d](const Rejection& r) {
    p->publish("error", r.device, [&] { return toJson(r); });
  };
  d.network = std::make_unique<NetworkServer>(
      d.ioc, *settings, d.sessions, *d.store, d.gateways, d.metrics,
      [p = &d](const asio::ip::udp::endpoint& to, std::span<const uint8_t> b) {
        p->udp->sendTo(to, b);
      },
      std::move(hooks), wallClockMs);
  if (cfg.platform) wirePlatform(d);
  if (d.outbox) d.outbox->resume();  // what a previous run never got a 2xx for goes out first

  UdpLimits udpLimits;
  udpLimits.maxDatagramBytes = cfg.gatewayPolicy.maxDatagramBytes;
  udpLimits.ratePerSource = cfg.gatewayPolicy.ratePerSource;
  try {
    d.udp = std::make_unique<UdpServer>(
        d.ioc, asio::ip::udp::endpoint(addr, cfg.udpListen.port), d.gateways, d.metrics,
        [p = &d](lorawan::Eui64 gw, lorawan::semtech::RxPacket&& rx) {
          p->network->onRx(gw, std::move(rx));
        },
        [p = &d] { p->network->afterDatagram(); },
        [p = &d](lorawan::Eui64 gw, uint16_t token, const std::string& error) {
          p->network->onTxAck(gw, token, error);
        },
        udpLimits);
  } catch (const boost::system::system_error& e) {
    return std::unexpected("listen.udp " + cfg.udpListen.toString() + ": " + e.code().message());
  }
  ApiContext api = apiContext(d);
  try {
    ApiLimits limits;
    limits.maxConnections = cfg.apiMaxConnections;
    limits.maxEventClients = cfg.apiMaxEventClients;
    d.api = std::make_unique<ApiServer>(cfg.apiListen.host, cfg.apiListen.port, makeApiHandler(api),
                                        limits, &d.metrics);
    d.api->enableEvents("/events", makeEventsAuthorizer(api),
                        [p = &d] { p->metrics.inc("api_events_dropped_total"); });
  } catch (const std::exception& e) {
    return std::unexpected("listen.api " + cfg.apiListen.toString() + ": " + e.what());
  }
  d.udp->setCongested([p = &d] { return p->store->stats().queuedOps > kStoreWritesBehind; });
  d.udp->start();
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

}  // namespace bridge
