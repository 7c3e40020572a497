#pragma once
// The daemon's parts and who owns which thread (README "Threads"): the network thread runs
// `ioc` (UDP, the network server, sessions, the outbox); the store's writer thread commits what
// it hands over and posts back when durable; the API server, the platform client and the codec
// pool each have their own threads and reach the network thread only by posting to `ioc`.
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <thread>

#include "bridge/api/interface_service.hpp"
#include "bridge/api/server.hpp"
#include "bridge/app/config_watcher.hpp"
#include "bridge/app/daemon.hpp"
#include "bridge/core/metrics.hpp"
#include "bridge/gateway/gateway_registry.hpp"
#include "bridge/gateway/udp_server.hpp"
#include "bridge/network/network_server.hpp"
#include "bridge/network/session_registry.hpp"
#include "bridge/platform/client.hpp"
#include "bridge/platform/downlink_fetcher.hpp"
#include "bridge/platform/outbox.hpp"
#include "bridge/store/sqlite_store.hpp"
#include "bridge/store/store_writer.hpp"

namespace bridge {

int64_t wallClockMs();

struct Daemon::Impl {
  config::Config cfg;
  boost::asio::io_context ioc;
  Metrics metrics;
  GatewayRegistry gateways;
  std::unique_ptr<StoreWriter> store;   // the writer thread, over the SQLite file
  std::unique_ptr<SqliteStore> reader;  // the API thread's read connection
  SessionRegistry sessions;
  std::unique_ptr<InterfaceService> interfaceService;
  std::unique_ptr<PlatformClient> platform;  // null: the embedded default
  std::unique_ptr<Outbox> outbox;            // with a platform
  std::unique_ptr<NetworkServer> network;
  std::unique_ptr<UdpServer> udp;
  std::unique_ptr<DownlinkFetcher> fetcher;  // the platform's downlink queue, when enabled
  std::unique_ptr<ConfigWatcher> watcher;
  std::unique_ptr<ApiServer> api;
  boost::asio::steady_timer pollTimer{ioc};
  bool stopped = false;
  bool closed = false;

  void runNetworkLoop();
  void close();
  void announce();
  void reloadInterfaces(const char* why);
  void onEvent(const DeviceEvent& e);
  void publish(const char* action, const std::string& device,
               const std::function<std::string()>& payload);
  void fetchDownlinks(const Session& itf, std::chrono::milliseconds within,
                      std::function<void()> done);
  void armPoll();
  // The interface files' parsed copies are gone once the registry holds its compact ones: hand
  // their pages back (a million devices: ~100 MB that malloc would otherwise keep).
  void loadInterfaces(std::vector<config::Interface> interfaces);
};

}  // namespace bridge
