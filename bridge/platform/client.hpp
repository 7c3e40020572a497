#pragma once
// Delivers events to the operator's platform over REST (Boost.Beast, keep-alive, https through
// OpenSSL), on its own thread so a slow platform never delays UDP handling.
//
// Requests with the same order key (the device) go out one at a time, in order; different
// devices go out in parallel over `connections` keep-alive connections, so one failing device
// or one hung request never holds up the rest. 408/429/5xx and transport errors are retried
// per device with capped exponential backoff and jitter; a Retry-After pauses every request
// (the platform asked the whole client to slow down). The caller keeps each event in the durable
// outbox until Done says Delivered.
#include <chrono>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bridge/core/metrics.hpp"
#include "config/config.hpp"

namespace bridge {

// The platform as the rest of the bridge sees it; PlatformClient is the real one.
class Platform {
 public:
  virtual ~Platform() = default;

  struct Request {
    std::string method = "POST";  // POST or PATCH
    std::string path;             // appended to the base URL's path
    std::string body;             // JSON
    std::string idempotencyKey;   // the event id; also names the request in logs
    std::string orderKey;         // same key: one at a time, in submission order
  };
  struct Outcome {
    enum Kind { Delivered, Rejected, GaveUp } kind;  // Rejected: 4xx other than 408/429
    unsigned status = 0;
    std::string responseExcerpt;
  };
  using Done = std::function<void(const Outcome&)>;  // called on the platform's own thread

  // Thread-safe. Retried until delivered, rejected, or given up.
  virtual void submit(Request req, Done done = nullptr) = 0;
  // A GET that jumps the queues, tried once: `done(status, body)`, status 0 on a transport error
  // or when `deadline` passed first. Thread-safe; `done` runs on the platform's thread.
  using FetchDone = std::function<void(unsigned status, std::string body)>;
  virtual void fetch(std::string path, std::chrono::steady_clock::time_point deadline,
                     FetchDone done) = 0;
  // Waits until everything submitted was delivered or given up, at most `timeout`; then stops.
  virtual void stop(std::chrono::milliseconds timeout) = 0;
  virtual size_t queued() const = 0;

  // For /healthz: whether the platform answered lately. Thread-safe.
  struct Reachability {
    bool reachable = true;  // false after a transport error or 5xx, until the next answer < 500
    int64_t lastAnswerAgoMs = -1;  // -1: never answered
    std::string lastError;
  };
  virtual Reachability reachability() const = 0;
};

class PlatformClient final : public Platform {
 public:
  PlatformClient(const config::PlatformConfig& cfg, Metrics& metrics);
  ~PlatformClient() override;
  PlatformClient(const PlatformClient&) = delete;
  PlatformClient& operator=(const PlatformClient&) = delete;

  void submit(Request req, Done done = nullptr) override;
  void fetch(std::string path, std::chrono::steady_clock::time_point deadline,
             FetchDone done) override;
  void stop(std::chrono::milliseconds timeout) override;
  size_t queued() const override;
  Reachability reachability() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Retry-After in seconds or as an HTTP-date (RFC 9110), as milliseconds to wait from `now`.
std::optional<uint64_t> retryAfterMs(const std::string& value, std::time_t now);

// "/devices/{device}/data" with the device id URL-encoded.
std::string urlEncodePathSegment(const std::string& s);

}  // namespace bridge
