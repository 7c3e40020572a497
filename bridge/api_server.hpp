#pragma once
// The management API's HTTP server (Boost.Beast, its own thread). Routing lives with the daemon;
// this file only speaks HTTP: body limits, timeouts, keep-alive.
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

class ApiServer {
 public:
  using Handler = std::function<ApiResponse(const ApiRequest&)>;
  // port 0 picks a free one. Throws at start-up when the address cannot be bound.
  ApiServer(const std::string& host, uint16_t port, Handler handler);
  ~ApiServer();
  uint16_t port() const;
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bridge
