#pragma once
// Named counters and gauges, rendered in Prometheus text format. Every drop has a name here.
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace bridge {

// `name{key="value"}` with the value escaped as the Prometheus text format wants (\\, \", \n):
// a label value can never end the series or start another.
std::string labeled(const std::string& name, const std::string& key, const std::string& value);

// A counter registered once: an increment is one relaxed atomic add, with no name to build, no
// lookup and no lock (the hot path counts every datagram and uplink this way).
class Counter {
 public:
  Counter() = default;
  void inc(uint64_t by = 1) const {
    if (v_) v_->fetch_add(by, std::memory_order_relaxed);
  }

 private:
  friend class Metrics;
  explicit Counter(std::atomic<uint64_t>* v) : v_(v) {}
  std::atomic<uint64_t>* v_ = nullptr;
};

class Metrics {
 public:
  // The series' handle (registered now: shown, at 0, from then on).
  Counter handle(const std::string& series);
  // name is the full series, labels included: uplinks_rejected_total{reason="bad_mic"}.
  void inc(const std::string& series, uint64_t by = 1);
  void set(const std::string& series, double value);
  // Drops every gauge whose series starts with `prefix` (per-gateway gauges of forgotten ones).
  void clearGauges(const std::string& prefix);
  uint64_t counter(const std::string& series) const;
  // A histogram in seconds with fixed buckets (1 ms .. 10 s), rendered as _bucket/_sum/_count.
  void observe(const std::string& name, double seconds);
  uint64_t observations(const std::string& name) const;
  std::string renderPrometheus() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::atomic<uint64_t>> counters_;  // nodes never move: handles stay valid
  std::map<std::string, double> gauges_;
  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative counts are computed when rendered
    double sum = 0;
    uint64_t count = 0;
  };
  std::map<std::string, Histogram> histograms_;
};

}  // namespace bridge
