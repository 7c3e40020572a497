#pragma once
// Named counters and gauges, rendered in Prometheus text format. Every drop has a name here.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace bridge {

class Metrics {
 public:
  // name is the full series, labels included: uplinks_rejected_total{reason="bad_mic"}.
  void inc(const std::string& series, uint64_t by = 1);
  void set(const std::string& series, double value);
  uint64_t counter(const std::string& series) const;
  std::string renderPrometheus() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> counters_;
  std::map<std::string, double> gauges_;
};

}  // namespace bridge
