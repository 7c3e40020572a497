#pragma once
// Delivers events to the operator's platform over REST (Boost.Beast, keep-alive, https through
// OpenSSL), on its own thread so a slow platform never delays UDP handling.
// Retries 408/429/5xx and transport errors with capped exponential backoff and jitter, honouring
// Retry-After; the caller keeps each event in the durable outbox until Done says Delivered.
#include <chrono>
#include <ctime>
#include <optional>
#include <functional>
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

  struct Outcome {
    enum Kind { Delivered, Rejected, GaveUp } kind;  // Rejected: 4xx other than 408/429
    unsigned status = 0;
    std::string responseExcerpt;
  };
  using Done = std::function<void(const Outcome&)>;  // called on the client's thread

  // Thread-safe. `path` is appended to the base URL's path.
  void post(std::string path, std::string body, std::string idempotencyKey, Done done = nullptr);
  // Waits until everything queued was delivered or given up, at most `timeout`; then stops.
  void stop(std::chrono::milliseconds timeout);
  size_t queued() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Retry-After in seconds or as an HTTP-date (RFC 9110), as milliseconds to wait from `now`.
std::optional<uint64_t> retryAfterMs(const std::string& value, std::time_t now);

// "/devices/{device}/data" with the device id URL-encoded.
std::string urlEncodePathSegment(const std::string& s);

}  // namespace bridge
