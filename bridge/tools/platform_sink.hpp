#pragma once
// A platform double: a real HTTP server (Boost.Beast) that records every request and answers
// with a configurable status. Used by `lorawan-bridge sink` for demos and by the tests.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace bridge {

struct RecordedRequest {
  std::string method;
  std::string target;
  std::string authorization;
  std::string idempotencyKey;
  std::string body;
};

// Besides the platform's routes it answers two of its own, for benchmarks: GET /_sink/stats
// ({"received": N, "uplinkLatencyMs": {count, p50, p99, max}}: arrival minus the event's
// receivedAt, for every body that has one) and POST /_sink/reset (starts the counts again).
class PlatformSink {
 public:
  struct Tls {
    std::string certFile;  // PEM
    std::string keyFile;   // PEM
  };
  // port 0 picks a free one. `print` writes each request to stdout. With `tls`, serves https.
  PlatformSink(const std::string& host, uint16_t port, bool print = false,
               std::optional<Tls> tls = std::nullopt);
  ~PlatformSink();
  uint16_t port() const;
  std::string baseUrl() const;  // http(s)://host:port

  // Status to answer with, per request (default: 200).
  void setResponder(std::function<unsigned(const RecordedRequest&)> responder);
  // Status and body per request (wins over setResponder), e.g. an OAuth token endpoint.
  void setBodyResponder(
      std::function<std::pair<unsigned, std::string>(const RecordedRequest&)> responder);
  // Misbehaviour for the next `count` requests (they are still recorded): Hang never answers;
  // CloseMidResponse sends half a response and closes the connection.
  enum class Misbehaviour { None, Hang, CloseMidResponse };
  void misbehave(Misbehaviour m, int count);
  // Misbehaviour chosen per request (wins over misbehave()), e.g. only one device's requests hang.
  void misbehaveWhen(std::function<Misbehaviour(const RecordedRequest&)> choose);
  // false: every answer says "Connection: close" and the connection is closed after it, like a
  // server that does not keep connections alive (or refuses pipelined requests).
  void setKeepAlive(bool keepAlive);
  // Retry-After header value sent with every non-2xx answer ("" for none).
  void setRetryAfter(std::string value);
  // false: requests are counted, not kept (long load runs; the CLI).
  void setKeepRequests(bool keep);
  std::vector<RecordedRequest> requests() const;
  // Waits (condition variable, no polling) until at least n requests arrived.
  bool waitForRequests(size_t n, std::chrono::milliseconds timeout) const;
  void run();  // blocks (CLI)
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bridge
