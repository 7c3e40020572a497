#include "bridge/metrics.hpp"

#include <cstdio>

namespace bridge {

void Metrics::inc(const std::string& series, uint64_t by) {
  std::lock_guard lock(mutex_);
  counters_[series] += by;
}

void Metrics::set(const std::string& series, double value) {
  std::lock_guard lock(mutex_);
  gauges_[series] = value;
}

uint64_t Metrics::counter(const std::string& series) const {
  std::lock_guard lock(mutex_);
  auto it = counters_.find(series);
  return it == counters_.end() ? 0 : it->second;
}

std::string Metrics::renderPrometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  auto base = [](const std::string& s) { return s.substr(0, s.find('{')); };
  std::string lastType;
  for (const auto& [k, v] : counters_) {
    std::string b = "lorawan_bridge_" + base(k);
    if (b != lastType) out += "# TYPE " + b + " counter\n", lastType = b;
    out += "lorawan_bridge_" + k + " " + std::to_string(v) + "\n";
  }
  for (const auto& [k, v] : gauges_) {
    std::string b = "lorawan_bridge_" + base(k);
    if (b != lastType) out += "# TYPE " + b + " gauge\n", lastType = b;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    out += "lorawan_bridge_" + k + " " + buf + "\n";
  }
  return out;
}

}  // namespace bridge
