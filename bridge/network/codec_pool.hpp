#pragma once
// Codec calls off the network thread: a few worker threads, each with its own JavaScript engine.
// A device's uplinks always go to the same worker, so they stay in order.
#include <functional>
#include <memory>
#include <string>

namespace bridge {

class CodecPool {
 public:
  explicit CodecPool(size_t workers);
  ~CodecPool();
  // Runs `task` on the worker for `key` (the device).
  void run(const std::string& key, std::function<void()> task);
  // Blocks until every task queued so far has run.
  void drain();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bridge
