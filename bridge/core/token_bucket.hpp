#pragma once
// One token bucket: `rate` tokens a second up to `burst`. Used per API token and per UDP source.
// Not thread-safe: each owner keeps its buckets on its own thread.
#include <algorithm>
#include <chrono>

namespace bridge {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(double rate, double burst, Clock::time_point now)
      : rate_(rate), burst_(burst), tokens_(burst), at_(now) {}
  // True when a token was taken.
  bool take(Clock::time_point now) {
    tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - at_).count());
    at_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }
  // Seconds until the next token.
  double wait() const { return (1 - tokens_) / rate_; }
  Clock::time_point lastUse() const { return at_; }

 private:
  double rate_, burst_, tokens_;
  Clock::time_point at_;
};

}  // namespace bridge
