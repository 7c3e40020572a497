#include "bridge/app/daemon.hpp"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <future>

#include "bridge/app/daemon_parts.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/memory.hpp"
#include "bridge/core/thread_name.hpp"

namespace bridge {

namespace asio = boost::asio;

int64_t wallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void Daemon::Impl::runNetworkLoop() {
  // Not the main thread's name: that one is the process's (ps, pgrep, killall).
  if (::gettid() != ::getpid()) nameThisThread("lb-network");
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {  // a bug, but it must not end the process
      metrics.inc("internal_errors_total");
      log::error("internal_error", {{"thread", "network"}, {"error", e.what()}});
    }
  }
}

// On the network thread. Decodes still running finish and post their results here; the loop
// runs until they are delivered (each holds a work guard).
void Daemon::Impl::close() {
  if (closed) return;
  closed = true;
  if (api) api->stop();
  udp->close();
  pollTimer.cancel();
  if (watcher) watcher->stop();
  network->close();
  store->flush();
}

void Daemon::Impl::fetchDownlinks(const Session& itf, std::chrono::milliseconds within,
                                  std::function<void()> done) {
  fetcher->fetch(itf.device, itf.id.str(), outbox->path(cfg.platform->downlinksPath, itf.device),
                 std::chrono::steady_clock::now() + within, std::move(done));
}

void Daemon::Impl::armPoll() {
  if (!fetcher || cfg.platform->downlinkQueue.pollIntervalS == 0) return;
  pollTimer.expires_after(std::chrono::seconds(cfg.platform->downlinkQueue.pollIntervalS));
  pollTimer.async_wait([this](boost::system::error_code ec) {
    if (ec || closed) return;
    sessions.forEach([&](const Session& itf) {
      if (itf.profile->managed && itf.profile->enabled)
        fetchDownlinks(itf, std::chrono::milliseconds(cfg.platform->timeoutMs), [] {});
    });
    armPoll();
  });
}

// Live events on the API's WebSocket: {"action": ..., "payload": ...} (seed 004 style).
void Daemon::Impl::publish(const char* action, const std::string& device,
                           const std::function<std::string()>& payload) {
  if (!api || api->eventClients() == 0) return;
  api->broadcast(device,
                 std::string("{\"action\":\"") + action + "\",\"payload\":" + payload() + "}");
}

void Daemon::Impl::onEvent(const DeviceEvent& e) {
  publish(liveAction(e.type), e.device,
          [&] { return e.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); });
  if (outbox) outbox->send(e);
}

// SIGHUP or a changed file: the files' interfaces again; the API's changes still win. A file
// with errors keeps the current interfaces.
void Daemon::Impl::reloadInterfaces(const char* why) {
  if (cfg.sourcePath.empty()) return;
  if (watcher) watcher->markRead();
  memory::ReturnFreedPages returnParse;  // a million interfaces parse to ~1.5 GB, then free
  auto fresh = config::loadConfigFile(cfg.sourcePath);
  if (!fresh) {
    metrics.inc("interface_reloads_total{result=\"failed\"}");
    log::error("interfaces_reload_failed", {{"trigger", why},
                                            {"error", fresh.error()},
                                            {"kept", std::to_string(sessions.interfaceCount())}});
    return;
  }
  loadInterfaces(std::move(fresh->interfaces));
  metrics.inc("interface_reloads_total{result=\"ok\"}");
  log::info("interfaces_reloaded",
            {{"trigger", why}, {"interfaces", std::to_string(sessions.interfaceCount())}});
}

void Daemon::Impl::loadInterfaces(std::vector<config::Interface> interfaces) {
  interfaceService->loadFiles(std::move(interfaces));
}

// Logged once signals are handled (a SIGHUP before that would end the process).
void Daemon::Impl::announce() {
  const auto udpAt = udp->localEndpoint();
  log::info("bridge_started",
            {{"udp", udpAt.address().to_string() + ":" + std::to_string(udpAt.port())},
             {"api", cfg.apiListen.host + ":" + std::to_string(api->port())},
             {"sessions", std::to_string(sessions.size())},
             {"store", cfg.storePath},
             {"platform", cfg.platform ? cfg.platform->baseUrl : "embedded"},
             {"allocator", memory::allocatorName()}});
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
  if (impl_->platform) impl_->platform->stop(std::chrono::seconds(5));
  // Apply what arrived after the loop ended (the platform's completions while draining, the
  // store's callbacks) and commit it, until nothing more comes; what is still unsent stays in
  // the outbox. Each commit's callbacks are posted before flush() returns.
  for (int round = 0; round < 100; ++round) {
    impl_->ioc.restart();
    const size_t ran = impl_->ioc.poll();
    impl_->store->flush();
    if (ran == 0) break;
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
