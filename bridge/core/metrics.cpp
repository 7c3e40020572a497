#include "bridge/core/metrics.hpp"

#include <cstdio>

namespace bridge {

namespace {
// Seconds: the platform's answers (ms on loopback, up to the timeout) and codec calls (us).
constexpr double kBuckets[] = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05,
                               0.1,    0.25,   0.5,   1,     2.5,  5,     10};
constexpr size_t kBucketCount = sizeof kBuckets / sizeof kBuckets[0];
}  // namespace

std::string labeled(const std::string& name, const std::string& key, const std::string& value) {
  std::string out = name + "{" + key + "=\"";
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out + "\"}";
}

void Metrics::clearGauges(const std::string& prefix) {
  std::lock_guard lock(mutex_);
  for (auto it = gauges_.lower_bound(prefix);
       it != gauges_.end() && it->first.rfind(prefix, 0) == 0;)
    it = gauges_.erase(it);
}

void Metrics::observe(const std::string& name, double seconds) {
  std::lock_guard lock(mutex_);
  Histogram& h = histograms_[name];
  if (h.buckets.empty()) h.buckets.assign(kBucketCount, 0);
  for (size_t i = 0; i < kBucketCount; ++i)
    if (seconds <= kBuckets[i]) {
      ++h.buckets[i];
      break;
    }
  h.sum += seconds;
  ++h.count;
}

uint64_t Metrics::observations(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = histograms_.find(name);
  return it == histograms_.end() ? 0 : it->second.count;
}

void Metrics::inc(const std::string& series, uint64_t by) {
  std::lock_guard lock(mutex_);
  counters_[series].fetch_add(by, std::memory_order_relaxed);
}

Counter Metrics::handle(const std::string& series) {
  std::lock_guard lock(mutex_);
  return Counter(&counters_[series]);
}

void Metrics::set(const std::string& series, double value) {
  std::lock_guard lock(mutex_);
  gauges_[series] = value;
}

uint64_t Metrics::counter(const std::string& series) const {
  std::lock_guard lock(mutex_);
  auto it = counters_.find(series);
  return it == counters_.end() ? 0 : it->second.load(std::memory_order_relaxed);
}

std::string Metrics::renderPrometheus() const {
  std::lock_guard lock(mutex_);
  std::string out;
  auto base = [](const std::string& s) { return s.substr(0, s.find('{')); };
  std::string lastType;
  for (const auto& [k, v] : counters_) {
    std::string b = "lorawan_bridge_" + base(k);
    if (b != lastType) out += "# TYPE " + b + " counter\n", lastType = b;
    out += "lorawan_bridge_" + k + " " + std::to_string(v.load(std::memory_order_relaxed)) + "\n";
  }
  for (const auto& [k, v] : gauges_) {
    std::string b = "lorawan_bridge_" + base(k);
    if (b != lastType) out += "# TYPE " + b + " gauge\n", lastType = b;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%g", v);
    out += "lorawan_bridge_" + k + " " + buf + "\n";
  }
  for (const auto& [name, h] : histograms_) {
    const std::string b = "lorawan_bridge_" + name;
    out += "# TYPE " + b + " histogram\n";
    uint64_t cumulative = 0;
    char buf[64];
    for (size_t i = 0; i < kBucketCount; ++i) {
      cumulative += h.buckets[i];
      std::snprintf(buf, sizeof buf, "%g", kBuckets[i]);
      out += b + "_bucket{le=\"" + buf + "\"} " + std::to_string(cumulative) + "\n";
    }
    out += b + "_bucket{le=\"+Inf\"} " + std::to_string(h.count) + "\n";
    std::snprintf(buf, sizeof buf, "%g", h.sum);
    out += b + "_sum " + buf + "\n" + b + "_count " + std::to_string(h.count) + "\n";
  }
  return out;
}

}  // namespace bridge
