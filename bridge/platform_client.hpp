#pragma once
// Delivers events to the operator's platform over REST (Boost.Beast, keep-alive, https through
// OpenSSL), on its own thread so a slow platform never delays UDP handling.
// First version: a bounded number of attempts with backoff; the durable outbox comes later.
#include <chrono>
#include <memory>
#include <string>

#include "bridge/metrics.hpp"
#include "config/config.hpp"

namespace bridge {

class PlatformClient {
 public:
  PlatformClient(const config::PlatformConfig& cfg, Metrics& metrics);
  ~PlatformClient();
  PlatformClient(const PlatformClient&) = delete;
  PlatformClient& operator=(const PlatformClient&) = delete;

  // Thread-safe. `path` is appended to the base URL's path.
  void post(std::string path, std::string body, std::string idempotencyKey);
  // Waits until everything queued was delivered or given up, at most `timeout`; then stops.
  void stop(std::chrono::milliseconds timeout);
  size_t queued() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "/devices/{device}/data" with the device id URL-encoded.
std::string urlEncodePathSegment(const std::string& s);

}  // namespace bridge
