#pragma once
// A platform double: a real HTTP server (Boost.Beast) that records every request and answers
// with a configurable status. Used by `lorawan-bridge sink` for demos and by the tests.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace bridge {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::string authorization;
  std::string idempotencyKey;
  std::string body;
};

class PlatformSink {
 public:
  // port 0 picks a free one. `print` writes each request to stdout.
  PlatformSink(const std::string& host, uint16_t port, bool print = false);
  ~PlatformSink();
  uint16_t port() const;
  std::string baseUrl() const;  // http://host:port

  // Status to answer with, per request (default: 200).
  void setResponder(std::function<unsigned(const RecordedRequest&)> responder);
  std::vector<RecordedRequest> requests() const;
  // Waits (condition variable, no polling) until at least n requests arrived.
  bool waitForRequests(size_t n, std::chrono::milliseconds timeout) const;
  void run();   // blocks (CLI)
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bridge
