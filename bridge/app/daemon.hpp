#pragma once
// The daemon: wires the UDP server, pipeline, store and platform client on one io_context
// (network thread) plus the platform client's own thread.
#include <expected>
#include <memory>
#include <string>
#include <thread>

#include "config/config.hpp"

namespace bridge {

class Metrics;
class Store;

class Daemon {
 public:
  static std::expected<std::unique_ptr<Daemon>, std::string> create(config::Config cfg);
  ~Daemon();

  void run();    // blocks until stop(); handles SIGINT/SIGTERM when `handleSignals`
  void start();  // runs on a background thread (tests)
  void stop();   // closes open dedup windows, delivers what it can, returns when stopped
  // Reads the config file's interfaces again (as SIGHUP and a changed file do); a file with
  // errors keeps the current interfaces. Thread-safe.
  void reloadInterfaces();

  uint16_t udpPort() const;
  uint16_t apiPort() const;
  Metrics& metrics();
  size_t sessionCount() const;

  struct Impl;

 private:
  explicit Daemon(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::thread thread_;
};

}  // namespace bridge
