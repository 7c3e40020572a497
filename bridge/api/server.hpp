#pragma once
// The management API's HTTP server (Boost.Beast, its own thread). Routing lives with the daemon;
// this file only speaks HTTP: body and header limits, timeouts, keep-alive, the connection and
// /events caps (ApiLimits), and an accept loop that outlives every error.
#include <boost/asio/awaitable.hpp>
#include <expected>
#include <functional>
#include <memory>
#include <string>

namespace bridge {

struct ApiRequest {
  std::string method;
  std::string target;
  std::string authorization;
  std::string body;
};

struct ApiResponse {
  unsigned status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::string retryAfter = {};  // set on 429
};

class Metrics;

// What one client may cost the bridge. Beyond a cap the answer is 503 (counted), never a crash.
struct ApiLimits {
  size_t maxConnections = 256;  // open HTTP connections, WebSocket clients included
  size_t maxEventClients = 64;  // WebSocket /events clients
  size_t maxBodyBytes = 64 * 1024;
  size_t maxHeaderBytes = 16 * 1024;
  size_t maxWsMessageBytes = 4096;  // clients only ever send pings and the close handshake
};

class ApiServer {
 public:
  // A coroutine on the API thread: it may hop to another thread and back (api/network_hop.hpp)
  // while the thread serves other connections; nothing it does blocks.
  using Handler = std::function<boost::asio::awaitable<ApiResponse>(const ApiRequest&)>;
  // port 0 picks a free one. Throws at start-up when the address cannot be bound. `metrics`
  // (optional) counts refused connections and accept errors.
  ApiServer(const std::string& host, uint16_t port, Handler handler, ApiLimits limits = {},
            Metrics* metrics = nullptr);
  ~ApiServer();
  uint16_t port() const;
  void stop();

  // WebSocket upgrades of `path` are accepted when `authorize` returns the client's device filter
  // ("" for all devices); otherwise its response is sent instead. `dropped` counts messages a
  // slow client lost (each client buffers at most 1000).
  using WsAuthorize = std::function<boost::asio::awaitable<std::expected<std::string, ApiResponse>>(
      const ApiRequest&)>;
  void enableEvents(const std::string& path, WsAuthorize authorize, std::function<void()> dropped);
  // Thread-safe and cheap without clients: `text` to every events client whose filter is "" or
  // `device`.
  void broadcast(const std::string& device, const std::string& text);
  size_t eventClients() const;
  size_t connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bridge
