// Delivery throughput to a loopback platform double (keep-alive, requests in flight on several
// connections). Run: build/delivery_bench [events] [connections] [pipeline depth]
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "bridge/core/log.hpp"
#include "bridge/core/metrics.hpp"
#include "bridge/platform/client.hpp"
#include "bridge/tools/platform_sink.hpp"

int main(int argc, char** argv) {
  const int events = argc > 1 ? std::atoi(argv[1]) : 20000;
  bridge::log::setLevel(bridge::log::Level::Warn);
  bridge::PlatformSink sink("127.0.0.1", 0);
  bridge::Metrics metrics;
  config::PlatformConfig pc;
  pc.baseUrl = sink.baseUrl() + "/api";
  pc.token = "t";
  pc.timeoutMs = 5000;
  if (argc > 2) pc.connections = uint32_t(std::atoi(argv[2]));
  if (argc > 3) pc.pipeline = uint32_t(std::atoi(argv[3]));
  bridge::PlatformClient client(pc, metrics);
  std::string body(400, 'x');  // about the size of an uplink event
  std::mutex m;
  std::condition_variable cv;
  std::atomic<int> done{0};
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < events; ++i)
    client.submit({"POST", "/devices/d" + std::to_string(i % 100) + "/data", body,
                   std::to_string(i), "d" + std::to_string(i % 100)},
                  [&](const bridge::PlatformClient::Outcome&) {
                    if (++done == events) cv.notify_all();
                  });
  std::unique_lock lock(m);
  cv.wait_for(lock, std::chrono::minutes(2), [&] { return done == events; });
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("delivered %d/%d events to a loopback platform double in %.2f s: %.0f events/s\n",
              done.load(), events, s, done / s);
  client.stop(std::chrono::seconds(1));
  return done == events ? 0 : 1;
}
