#include "bridge/app/daemon.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "bridge/api/interface_service.hpp"
#include "bridge/api/routes.hpp"
#include "bridge/api/server.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/metrics.hpp"
#include "bridge/gateway/downlink_scheduler.hpp"
#include "bridge/gateway/gateway_registry.hpp"
#include "bridge/gateway/udp_server.hpp"
#include "bridge/network/class_a.hpp"
#include "bridge/network/codec_pool.hpp"
#include "bridge/network/device_status.hpp"
#include "bridge/network/join_server.hpp"
#include "bridge/network/session_registry.hpp"
#include "bridge/network/uplink_pipeline.hpp"
#include "bridge/platform/client.hpp"
#include "bridge/platform/downlink_fetcher.hpp"
#include "bridge/store/sqlite_store.hpp"
#include "lorawan/phy_payload.hpp"
#include "lorawan/region/band.hpp"

namespace bridge {

namespace asio = boost::asio;
using asio::ip::udp;

static int64_t wallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Daemon::Impl {
  config::Config cfg;
  asio::io_context ioc;
  Metrics metrics;
  GatewayRegistry gateways;
  std::unique_ptr<SqliteStore> store;
  SessionRegistry sessions;
  std::unique_ptr<PlatformClient> platform;
  std::unique_ptr<UplinkPipeline> pipeline;
  std::unique_ptr<UdpServer> udp;
  std::unique_ptr<DownlinkScheduler> downlinks;
  std::unique_ptr<JoinServer> joins;
  std::unique_ptr<ClassA> classA;
  std::unique_ptr<ApiServer> api;
  std::unique_ptr<CodecPool> codecPool;
  std::unique_ptr<DownlinkFetcher> fetcher;  // the platform's downlink queue, when enabled
  std::unique_ptr<InterfaceService> interfaceService;

  asio::steady_timer windowTimer{ioc};
  asio::steady_timer pollTimer{ioc};
  asio::steady_timer watchTimer{ioc};
  std::set<std::string> yamlIds;  // interfaces that came from the files (a reload may drop them)
  std::string fileSignature;      // the files' names, sizes and mtimes when last read
  std::optional<UplinkPipeline::Clock::time_point> armedFor;
  bool stopped = false;
  bool closed = false;
  std::atomic<bool> closing{false};  // set first in close(): API calls not yet started give up

  // The API thread's way onto the network thread. The network thread never waits for the API:
  // once closing, a task that has not started is abandoned (ApiUnavailable, 503) instead.
  void runOnNetworkThread(const std::function<void()>& task) {
    struct Call {
      std::mutex m;
      std::condition_variable cv;
      enum { Pending, Running, Done, Abandoned } state = Pending;
      std::exception_ptr error;
    };
    auto call = std::make_shared<Call>();
    // `task` is only touched while the caller still waits (Running), never after Abandoned.
    asio::post(ioc, [call, &task] {
      {
        std::lock_guard lock(call->m);
        if (call->state == Call::Abandoned) return;
        call->state = Call::Running;
      }
      try {
        task();
      } catch (...) {
        call->error = std::current_exception();
      }
      std::lock_guard lock(call->m);
      call->state = Call::Done;
      call->cv.notify_all();
    });
    std::unique_lock lock(call->m);
    while (call->state != Call::Done) {
      if (call->state == Call::Pending && closing) {
        call->state = Call::Abandoned;
        throw ApiUnavailable("the bridge is shutting down");
      }
      call->cv.wait_for(lock, std::chrono::milliseconds(20));
    }
    if (call->error) std::rethrow_exception(call->error);
  }

  // Runs the network thread's loop. A handler that throws is a bug, but it must not end the
  // process: logged, counted, and the loop goes on.
  void runNetworkLoop() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        metrics.inc("internal_errors_total");
        log::error("internal_error", {{"thread", "network"}, {"error", e.what()}});
      }
    }
  }

  // Runs on the network thread. Closes every open window: accepted uplinks are persisted and
  // handed over, not lost.
  void close() {
    if (closed) return;
    closed = true;
    closing = true;
    if (api) api->stop();
    udp->close();
    windowTimer.cancel();
    pollTimer.cancel();
    watchTimer.cancel();
    pipeline->closeDue(UplinkPipeline::Clock::time_point::max());
    // Decodes still running finish and post their results here; the io_context keeps running
    // until they are delivered (each holds a work guard).
    store->flush();
  }

  bool flushScheduled = false;
  bool outboxFullReported = false;

  bool outboxFull() const {
    auto [rows, bytes] = store->outboxSize();
    return rows >= cfg.platform->outboxMaxRows || bytes >= size_t(cfg.platform->outboxMaxMb) << 20;
  }

  // The outbox policy when full: the event is refused (counted, logged with its id, /healthz says
  // so) rather than evicting older accepted events; it stays in the embedded store's uplinks.
  bool admitToOutbox(const std::string& id) {
    if (!outboxFull()) {
      outboxFullReported = false;
      return true;
    }
    metrics.inc("outbox_refused_total");
    if (!outboxFullReported)
      log::error("outbox_full", {{"rows", std::to_string(store->outboxSize().first)}});
    outboxFullReported = true;
    log::warn("outbox_event_refused", {{"id", id}});
    return false;
  }

  // A platform path from its template: {device}, {dev_eui}, {interface}, {id}.
  std::string platformPath(const std::string& tmpl, const std::string& device,
                           const std::string& interfaceId, const std::string& id) {
    const config::Interface* itf = sessions.interfaceForDevice(device);
    const std::string devEui =
        itf && itf->opts.deviceEui ? itf->opts.deviceEui->toString() : device;
    std::string out;
    for (size_t i = 0; i < tmpl.size();) {
      auto fill = [&](const char* key, const std::string& value) {
        const size_t n = std::strlen(key);
        if (tmpl.compare(i, n, key) != 0) return false;
        out += urlEncodePathSegment(value);
        i += n;
        return true;
      };
      if (fill("{device}", device) || fill("{dev_eui}", devEui) ||
          fill("{interface}", interfaceId) || fill("{id}", id))
        continue;
      out += tmpl[i++];
    }
    return out;
  }

  // Outbox completions arrive from the platform client's thread; they are applied here, on the
  // network thread, and committed together.
  void scheduleFlush() {
    if (flushScheduled) return;
    flushScheduled = true;
    asio::post(ioc, [this] {
      flushScheduled = false;
      store->flush();
    });
  }

  // Hands an outbox entry (already durable) to the platform client.
  void deliver(const OutboxEntry& e) {
    platform->submit({e.method, e.path, e.body, e.id, e.device},
                     [this, id = e.id](const PlatformClient::Outcome& o) {
                       asio::post(ioc, [this, id, o] {
                         if (o.kind == PlatformClient::Outcome::Delivered)
                           store->completeOutbox(id);
                         else if (o.kind == PlatformClient::Outcome::Rejected)
                           store->deadLetter(id, o.status, o.responseExcerpt, wallClockMs());
                         else
                           return;  // gave up for this run: stays in the outbox for the next start
                         scheduleFlush();
                       });
                     });
  }

  // Live events on the API's WebSocket: {"action": ..., "payload": ...} (seed 004 style).
  void publish(const char* action, const std::string& device, const std::string& payload) {
    if (!api || api->eventClients() == 0) return;
    api->broadcast(device,
                   std::string("{\"action\":\"") + action + "\",\"payload\":" + payload + "}");
  }

  void onEvent(const std::string& device, const std::string& json, const std::string& id) {
    const char* action = json.find("\"type\":\"join\"") != std::string::npos       ? "join"
                         : json.find("\"type\":\"downlink\"") != std::string::npos ? "downlink"
                                                                                   : "status";
    publish(action, device, json);
    if (!platform) return;
    const config::Interface* itf = sessions.interfaceForDevice(device);
    sendDurably(
        {id, device, platformPath(cfg.platform->eventsPath, device, itf ? itf->id : "", id), json});
  }

  void sendDurably(const OutboxEntry& e) {
    if (!admitToOutbox(e.id)) return;
    store->enqueueOutbox(e);
    store->flush();  // durable before it leaves
    deliver(e);
  }

  // PATCH {downlink_status} {"status", "detail", "at"} for a downlink from the platform's queue,
  // through the outbox like every event. The key makes a repeated report the same request.
  void reportPlatformStatus(const std::string& device, const std::string& platformId,
                            const std::string& status, const std::string& detail,
                            uint32_t attempt) {
    if (!platform) return;
    const config::Interface* itf = sessions.interfaceForDevice(device);
    const std::string itfId = itf ? itf->id : "";
    nlohmann::json body{{"status", status},
                        {"detail", detail.empty() ? nlohmann::json() : nlohmann::json(detail)},
                        {"at", formatRfc3339Ms(wallClockMs())}};
    const std::string key =
        "downlink-" + itfId + "-" + platformId + "-" + status + "-" + std::to_string(attempt);
    sendDurably({key, device,
                 platformPath(cfg.platform->downlinkStatusPath, device, itfId, platformId),
                 body.dump(), "PATCH"});
  }

  // Reads the device's pending downlinks from the platform, then `done` (on this thread).
  void fetchDownlinks(const config::Interface& itf, std::chrono::milliseconds within,
                      std::function<void()> done) {
    const std::string path =
        platformPath(cfg.platform->downlinksPath, itf.deviceIdOrSlug, itf.id, "");
    fetcher->fetch(itf.deviceIdOrSlug, itf.id, path, std::chrono::steady_clock::now() + within,
                   std::move(done));
  }

  void armPoll() {
    if (!fetcher || cfg.platform->downlinkQueue.pollIntervalS == 0) return;
    pollTimer.expires_after(std::chrono::seconds(cfg.platform->downlinkQueue.pollIntervalS));
    pollTimer.async_wait([this](boost::system::error_code ec) {
      if (ec || closed) return;
      for (const auto& [id, itf] : sessions.interfaces())
        if (itf.opts.managed && itf.opts.enabled)
          fetchDownlinks(itf, std::chrono::milliseconds(cfg.platform->timeoutMs), [] {});
      armPoll();
    });
  }

  void onRx(lorawan::Eui64 gw, lorawan::semtech::RxPacket&& rx) {
    const auto now = UplinkPipeline::Clock::now();
    // Joins are answered at once (the JoinAccept must leave within milliseconds); copies are
    // recognised by the join server's cache, not by the uplink dedup window.
    if (!rx.phyPayload.empty() && rx.crcStatus == 1 &&
        (rx.phyPayload[0] >> 5) == uint8_t(lorawan::MType::JoinRequest)) {
      metrics.inc("uplinks_received_total");
      joins->onJoinRequest(gw, rx, now);
      return;
    }
    pipeline->onRxPacket(gw, std::move(rx), now);
  }

  void onUplink(const Uplink& u, const std::string& json) {
    Session* s = sessions.byInterfaceId(u.interfaceId);
    if (s) noteUplink(*s, u);
    if (fetcher && s && s->itf.opts.managed) {
      // The platform may hold a downlink for this device: read its queue first, within a
      // deadline that keeps RX1 reachable, then answer (with or without it).
      fetchDownlinks(s->itf, std::chrono::milliseconds(cfg.platform->downlinkQueue.fetchTimeoutMs),
                     [this, u] { classA->afterUplink(u, DownlinkScheduler::Clock::now()); });
    } else {
      classA->afterUplink(u, DownlinkScheduler::Clock::now());
    }
    publish("data", u.deviceIdOrSlug, json);
    if (!platform) return;  // embedded default: kept in the store, shown in the log
    // Already in the outbox (committed with the uplink's counters): hand it over.
    deliver({u.id, u.deviceIdOrSlug,
             platformPath(cfg.platform->uplinkPath, u.deviceIdOrSlug, u.interfaceId, u.id), json});
    if (u.fcntReset) onEvent(u.deviceIdOrSlug, toFCntResetEventJson(u), u.id + "-reset");
  }

  // The config file and every YAML in interfaces_dir: "path size mtime" lines.
  std::string configFilesSignature() const {
    namespace fs = std::filesystem;
    std::vector<fs::path> files{cfg.sourcePath};
    std::error_code ec;
    if (!cfg.interfacesDir.empty())
      for (const auto& e : fs::directory_iterator(cfg.interfacesDir, ec))
        if (e.path().extension() == ".yaml" || e.path().extension() == ".yml")
          files.push_back(e.path());
    std::sort(files.begin(), files.end());
    std::string sig;
    for (const auto& f : files) {
      const auto size = fs::file_size(f, ec);
      const auto mtime = fs::last_write_time(f, ec).time_since_epoch().count();
      sig += f.string() + " " + std::to_string(ec ? 0 : size) + " " + std::to_string(mtime) + "\n";
    }
    return sig;
  }

  // SIGHUP or a changed file: the files' interfaces again; the API's changes still win.
  void reloadInterfaces(const char* why) {
    if (cfg.sourcePath.empty()) return;
    fileSignature = configFilesSignature();
    auto fresh = config::loadConfigFile(cfg.sourcePath);
    if (!fresh) {
      metrics.inc("interface_reloads_total{result=\"failed\"}");
      log::error("interfaces_reload_failed",
                 {{"trigger", why},
                  {"error", fresh.error()},
                  {"kept", std::to_string(sessions.interfaces().size())}});
      return;
    }
    store->flush();
    std::set<std::string> ids;
    for (const auto& itf : fresh->interfaces) {
      ids.insert(itf.id);
      sessions.upsert(itf, *store);
    }
    for (const auto& id : yamlIds)
      if (!ids.count(id)) sessions.remove(id);
    yamlIds = std::move(ids);
    interfaceService->applyStored();
    cfg.interfaces = fresh->interfaces;
    metrics.inc("interface_reloads_total{result=\"ok\"}");
    log::info("interfaces_reloaded",
              {{"trigger", why}, {"interfaces", std::to_string(sessions.interfaces().size())}});
  }

  // A changed interface file is noticed within two seconds (a stat per file, no inotify).
  void armWatch() {
    if (cfg.sourcePath.empty()) return;
    watchTimer.expires_after(std::chrono::seconds(2));
    watchTimer.async_wait([this](boost::system::error_code ec) {
      if (ec || closed) return;
      if (configFilesSignature() != fileSignature) reloadInterfaces("file_changed");
      armWatch();
    });
  }

  // Logged once signals are handled (a SIGHUP before that would end the process).
  void announce() {
    log::info("bridge_started", {{"udp", udp->localEndpoint().address().to_string() + ":" +
                                             std::to_string(udp->localEndpoint().port())},
                                 {"api", cfg.apiListen.host + ":" + std::to_string(api->port())},
                                 {"sessions", std::to_string(sessions.size())},
                                 {"store", cfg.storePath},
                                 {"platform", cfg.platform ? cfg.platform->baseUrl : "embedded"}});
  }

  // A status event (DevStatusAns) also updates the device's status.
  void onClassAEvent(const std::string& device, const std::string& id, const std::string& json) {
    if (json.find("\"type\":\"status\"") != std::string::npos)
      if (Session* s = sessionOf(device))
        noteDevStatus(*s, nlohmann::json::parse(json, nullptr, false));
    onEvent(device, json, id);
  }

  Session* sessionOf(const std::string& device) {
    const config::Interface* itf = sessions.interfaceForDevice(device);
    return itf ? sessions.byInterfaceId(itf->id) : nullptr;
  }

  // Keeps one timer armed for the earliest open dedup window.
  void armTimer() {
    auto next = pipeline->nextDeadline();
    if (!next || (armedFor && *armedFor <= *next)) return;
    armedFor = next;
    windowTimer.expires_at(*next);
    windowTimer.async_wait([this](boost::system::error_code ec) {
      if (ec) return;
      armedFor.reset();
      pipeline->closeDue(UplinkPipeline::Clock::now());
      armTimer();
    });
  }
};

static PipelineSettings pipelineSettings(const config::Config& cfg) {
  PipelineSettings ps;
  ps.dedupWindow = std::chrono::milliseconds(cfg.dedupWindowMs);
  ps.lateCopyMemory = std::chrono::milliseconds(cfg.lateCopyMemoryMs);
  return ps;
}

std::expected<std::unique_ptr<Daemon>, std::string> Daemon::create(const config::Config& cfg) {
  auto impl = std::make_unique<Impl>();
  impl->cfg = cfg;
  auto store = SqliteStore::open(cfg.storePath, cfg.keepUplinks);
  if (!store) return std::unexpected(store.error());
  impl->store = std::move(*store);
  if (cfg.storeMaxMb) impl->store->setMaxSizeMb(cfg.storeMaxMb);
  impl->sessions.load(cfg.interfaces, *impl->store);
  impl->interfaceService = std::make_unique<InterfaceService>(impl->sessions, *impl->store);
  impl->interfaceService->applyStored();  // what the API changed earlier wins over the files
  for (const auto& itf : cfg.interfaces) impl->yamlIds.insert(itf.id);
  if (!cfg.sourcePath.empty()) {
    impl->fileSignature = impl->configFilesSignature();
    impl->armWatch();
  }
  if (cfg.platform) impl->platform = std::make_unique<PlatformClient>(*cfg.platform, impl->metrics);
  Impl* p = impl.get();
  impl->pipeline = std::make_unique<UplinkPipeline>(
      pipelineSettings(cfg), impl->sessions, *impl->store, impl->metrics,
      [p](const Uplink& u, const std::string& json) { p->onUplink(u, json); }, wallClockMs);
  boost::system::error_code ec;
  auto addr = asio::ip::make_address(cfg.udpListen.host, ec);
  if (ec) return std::unexpected("listen.udp: \"" + cfg.udpListen.host + "\" is not an IP address");
  {
    GatewayRegistrySettings gs;
    const auto& gp = cfg.gatewayPolicy;
    gs.pathExpiry = std::chrono::seconds(gp.pathExpiryS);
    gs.idleExpiry = std::chrono::seconds(gp.idleExpiryS);
    gs.maxGateways = gp.maxGateways;
    gs.listedOnly = gp.listedOnly;
    for (const auto& g : cfg.gateways) gs.listed.insert(g.eui);
    impl->gateways.configure(std::move(gs));
  }
  UdpLimits udpLimits;
  udpLimits.maxDatagramBytes = cfg.gatewayPolicy.maxDatagramBytes;
  udpLimits.ratePerSource = cfg.gatewayPolicy.ratePerSource;
  try {
    impl->udp = std::make_unique<UdpServer>(
        impl->ioc, udp::endpoint(addr, cfg.udpListen.port), impl->gateways, impl->metrics,
        [p](lorawan::Eui64 gw, lorawan::semtech::RxPacket&& rx) { p->onRx(gw, std::move(rx)); },
        [p] { p->armTimer(); },
        [p](lorawan::Eui64 gw, uint16_t token, const std::string& error) {
          p->downlinks->onTxAck(gw, token, error, DownlinkScheduler::Clock::now());
        },
        udpLimits);
  } catch (const boost::system::system_error& e) {
    return std::unexpected("listen.udp " + cfg.udpListen.toString() + ": " + e.code().message());
  }
  impl->downlinks = std::make_unique<DownlinkScheduler>(
      impl->gateways,
      [p](const udp::endpoint& to, std::span<const uint8_t> b) { p->udp->sendTo(to, b); },
      impl->metrics,
      [p](const DownlinkJob& job, DownlinkResult r, const std::string& error) {
        if (p->classA) p->classA->onOutcome(job, r, error);
      });
  JoinSettings js;
  js.netId = cfg.netId;
  js.band = lorawan::region::findBand(cfg.region);
  for (const auto& g : cfg.gateways)
    if (auto* b = lorawan::region::findBand(g.region)) js.gatewayBands[g.eui.value()] = b;
  js.rx1DrOffset = cfg.rx1DrOffset;
  js.rx1DelaySeconds = cfg.rx1DelaySeconds;
  js.extraChannelsHz = cfg.extraChannelsHz;
  js.subBand = cfg.subBand;
  js.dedupWindow = std::chrono::milliseconds(cfg.dedupWindowMs);
  if (!js.band) return std::unexpected("network.region: unknown band " + cfg.region);
  impl->joins = std::make_unique<JoinServer>(
      js, impl->sessions, *impl->store, *impl->downlinks, impl->metrics,
      [p](const std::string& device, const std::string& id, const std::string& json) {
        p->onEvent(device, json, id);
      },
      wallClockMs, std::random_device{}());
  impl->pipeline->setBands(js.band, js.gatewayBands, cfg.extraChannelsHz);
  if (impl->platform) {
    impl->pipeline->setBeforeCommit([p](const Uplink& u, const std::string& json) {
      if (!p->admitToOutbox(u.id)) return;
      p->store->enqueueOutbox(
          {u.id, u.deviceIdOrSlug,
           p->platformPath(p->cfg.platform->uplinkPath, u.deviceIdOrSlug, u.interfaceId, u.id),
           json});
    });
    // What a previous run accepted but never got a 2xx for goes out first, in order.
    auto pending = impl->store->loadOutbox();
    if (!pending.empty()) log::info("outbox_resumed", {{"events", std::to_string(pending.size())}});
    for (const auto& e : pending) impl->deliver(e);
  }
  // Two workers on this 2-core target: codecs run beside the network thread, never on it.
  impl->codecPool = std::make_unique<CodecPool>(2);
  impl->pipeline->setDecoder([p](Uplink&& u, std::function<void(Uplink&&)> done) {
    auto guard = asio::make_work_guard(p->ioc);
    auto shared = std::make_shared<Uplink>(std::move(u));
    p->codecPool->run(shared->interfaceId, [p, shared, done = std::move(done),
                                            guard = std::move(guard)]() mutable {
      const auto started = std::chrono::steady_clock::now();
      decodePayload(*shared);
      if (shared->codecName != "raw")
        p->metrics.observe(
            "codec_seconds",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      asio::post(p->ioc, [shared, done = std::move(done), guard = std::move(guard)]() mutable {
        done(std::move(*shared));
      });
    });
  });
  ClassASettings cs;
  cs.band = js.band;
  cs.gatewayBands = js.gatewayBands;
  cs.rx1DrOffset = cfg.rx1DrOffset;
  cs.rx1DelaySeconds = cfg.rx1DelaySeconds;
  cs.extraChannels = cfg.extraChannelsHz.size();
  impl->classA = std::make_unique<ClassA>(
      cs, impl->sessions, *impl->store, *impl->downlinks, impl->metrics,
      [p](const std::string& device, const std::string& id, const std::string& json) {
        p->onClassAEvent(device, id, json);
      },
      wallClockMs);
  if (impl->platform && cfg.platform->downlinkQueue.enabled) {
    impl->fetcher = std::make_unique<DownlinkFetcher>(
        cfg.platform->downlinkQueue, *impl->platform, *impl->classA, *impl->store, impl->metrics,
        [p](std::function<void()> task) { asio::post(p->ioc, std::move(task)); },
        [p](const std::string& device, const std::string& platformId, const std::string& status,
            const std::string& detail) {
          p->reportPlatformStatus(device, platformId, status, detail, 0);
        });
    impl->classA->onPlatformStatus([p](const std::string& device, const QueuedDownlink& d,
                                       const std::string& status, const std::string& detail) {
      p->reportPlatformStatus(device, d.platformId, status, detail, d.attempts);
    });
    impl->armPoll();
  }
  impl->joins->onRejection(
      [p](const char* reason, lorawan::Eui64 devEui, lorawan::Eui64 gw, const std::string& detail) {
        if (!p->api || p->api->eventClients() == 0) return;
        const config::Interface* itf = p->sessions.otaaByDevEui(devEui);
        const std::string device = itf ? itf->deviceIdOrSlug : "";
        nlohmann::json e{{"type", "join_rejected"},
                         {"reason", reason},
                         {"deviceIdOrSlug", itf ? nlohmann::json(device) : nlohmann::json()},
                         {"devEui", devEui.toString()},
                         {"gatewayEui", gw.toString()},
                         {"detail", detail},
                         {"at", formatRfc3339Ms(wallClockMs())}};
        p->publish("error", device, e.dump());
      });
  impl->pipeline->onRejection([p](const char* reason, const Session* s, uint32_t devAddr,
                                  lorawan::Eui64 gw, const std::string& detail) {
    if (!p->api || p->api->eventClients() == 0) return;
    const std::string device = s ? s->itf.deviceIdOrSlug : "";
    nlohmann::json e{{"type", "uplink_rejected"},
                     {"reason", reason},
                     {"deviceIdOrSlug", s ? nlohmann::json(device) : nlohmann::json()},
                     {"devAddr", devAddr ? nlohmann::json(lorawan::DevAddr(devAddr).toString())
                                         : nlohmann::json()},
                     {"gatewayEui", gw.toString()},
                     {"detail", detail},
                     {"at", formatRfc3339Ms(wallClockMs())}};
    p->publish("error", device, e.dump());
  });
  impl->pipeline->onRetransmission(
      [p](Session& s, lorawan::Eui64 gw, const lorawan::semtech::RxPacket& rx) {
        p->classA->ackAgain(s, gw, rx, DownlinkScheduler::Clock::now());
      });
  ApiContext api;
  api.tokens = cfg.apiTokens;
  api.metrics = &impl->metrics;
  api.classA = impl->classA.get();
  api.ratePerS = cfg.apiRatePerS;
  api.rateBurst = cfg.apiRateBurst;
  api.sessions = &impl->sessions;
  api.interfaces = impl->interfaceService.get();
  api.store = impl->store.get();
  api.gateways = &impl->gateways;
  api.gatewayRegion = [region = cfg.region, gws = cfg.gateways](lorawan::Eui64 eui) {
    for (const auto& g : gws)
      if (g.eui == eui) return g.region;
    return region;
  };
  api.deviceStatus = [p](const std::string& device) {
    return deviceStatusJson(p->sessionOf(device), *p->store, device, wallClockMs());
  };
  api.refreshGauges = [p] {
    auto& m = p->metrics;
    m.set("sessions", double(p->sessions.size()));
    m.set("interfaces", double(p->sessions.interfaces().size()));
    if (p->platform) {
      auto [rows, bytes] = p->store->outboxSize();
      m.set("outbox_rows", double(rows));
      m.set("outbox_bytes", double(bytes));
      m.set("platform_queued", double(p->platform->queued()));
    }
    if (p->api) m.set("api_event_clients", double(p->api->eventClients()));
    const auto now = std::chrono::system_clock::now();
    m.clearGauges("gateway_last_seen_seconds{");  // forgotten gateways leave no series
    for (const auto& g : p->gateways.all())
      m.set("gateway_last_seen_seconds{gateway=\"" + g.eui.toString() + "\"}",
            std::chrono::duration<double>(now - g.lastSeen).count());
  };
  api.health = [p] {
    const std::string storeProblem = p->store->problem();
    nlohmann::json h{{"store", storeProblem.empty() ? "ok" : storeProblem},
                     {"platform", p->platform ? "configured" : "embedded"}};
    bool ok = storeProblem.empty();  // writes failing (disk full): accepted data waits in memory
    if (p->platform) {
      // The outbox keeps everything while the platform is away: reported, not unhealthy.
      const auto r = p->platform->reachability();
      h["platformReachable"] = r.reachable;
      h["platformLastAnswerAgoMs"] =
          r.lastAnswerAgoMs >= 0 ? nlohmann::json(r.lastAnswerAgoMs) : nlohmann::json();
      h["platformLastError"] = r.lastError.empty() ? nlohmann::json() : nlohmann::json(r.lastError);
      h["platformQueued"] = p->platform->queued();
      auto [rows, bytes] = p->store->outboxSize();
      const bool full = p->outboxFull();
      h["outbox"] = {{"rows", rows},
                     {"bytes", bytes},
                     {"maxRows", p->cfg.platform->outboxMaxRows},
                     {"maxBytes", size_t(p->cfg.platform->outboxMaxMb) << 20},
                     {"full", full}};
      ok = ok && !full;
    }
    return std::make_pair(ok, h.dump());
  };
  if (impl->platform) {
    api.deadLetters = [p] { return p->store->deadLetters(); };
    api.retryDeadLetter = [p](const std::string& id) {
      auto e = p->store->retryDeadLetter(id);
      if (e) p->deliver(*e);
      return e.has_value();
    };
  }
  api.onNetworkThread = [p](std::function<void()> task) { p->runOnNetworkThread(task); };
  try {
    ApiLimits limits;
    limits.maxConnections = cfg.apiMaxConnections;
    limits.maxEventClients = cfg.apiMaxEventClients;
    impl->api = std::make_unique<ApiServer>(cfg.apiListen.host, cfg.apiListen.port,
                                            makeApiHandler(api), limits, &impl->metrics);
    impl->api->enableEvents("/events", makeEventsAuthorizer(api),
                            [p] { p->metrics.inc("api_events_dropped_total"); });
  } catch (const std::exception& e) {
    return std::unexpected("listen.api " + cfg.apiListen.toString() + ": " + e.what());
  }
  impl->udp->start();
  return std::unique_ptr<Daemon>(new Daemon(std::move(impl)));
}

Daemon::Daemon(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Daemon::~Daemon() {
  stop();
}

void Daemon::run() {
  asio::signal_set signals(impl_->ioc, SIGINT, SIGTERM);
  asio::signal_set hangup(impl_->ioc, SIGHUP);
  signals.async_wait([p = impl_.get(), &hangup, &signals](boost::system::error_code ec, int sig) {
    if (ec) return;
    // A second signal while draining ends the process at once (the default action, restored
    // before anything is logged): an operator's "stop now" always works, and what was committed
    // stays (as after kill -9).
    boost::system::error_code ignored;
    signals.clear(ignored);
    log::info("bridge_stopping", {{"signal", std::to_string(sig)}});
    hangup.cancel();
    p->close();
  });
  std::function<void(boost::system::error_code, int)> onHangup = [&](boost::system::error_code ec,
                                                                     int) {
    if (ec) return;
    impl_->reloadInterfaces("SIGHUP");
    hangup.async_wait(onHangup);
  };
  hangup.async_wait(onHangup);
  impl_->announce();
  impl_->runNetworkLoop();
  stop();
}

void Daemon::start() {
  impl_->announce();
  thread_ = std::thread([this] { impl_->runNetworkLoop(); });
}

void Daemon::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (thread_.joinable()) {
    asio::post(impl_->ioc, [p = impl_.get()] { p->close(); });
    thread_.join();
  } else {
    impl_->close();  // the network thread is not running: we are it
  }
  if (impl_->platform) {
    impl_->platform->stop(std::chrono::seconds(5));
    // Apply the completions that arrived while draining; the rest stays in the outbox.
    impl_->ioc.restart();
    impl_->ioc.poll();
    impl_->store->flush();
  }
  log::info("bridge_stopped");
}

void Daemon::reloadInterfaces() {
  std::promise<void> done;
  asio::post(impl_->ioc, [&] {
    impl_->reloadInterfaces("request");
    done.set_value();
  });
  done.get_future().wait();
}

uint16_t Daemon::udpPort() const {
  return impl_->udp->localEndpoint().port();
}
uint16_t Daemon::apiPort() const {
  return impl_->api->port();
}
Metrics& Daemon::metrics() {
  return impl_->metrics;
}
size_t Daemon::sessionCount() const {
  return impl_->sessions.size();
}

}  // namespace bridge
