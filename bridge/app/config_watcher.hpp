#pragma once
// Notices a changed config file or interfaces_dir YAML within two seconds (a stat per file, no
// inotify) and calls `changed` on the io_context's thread.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <string>

namespace bridge {

class ConfigWatcher {
 public:
  ConfigWatcher(boost::asio::io_context& ioc, std::string configFile, std::string interfacesDir,
                std::function<void()> changed);
  void start();
  void stop() { timer_.cancel(); }
  // Call after reading the files: the state the next change is measured from.
  void markRead() { signature_ = signature(); }

 private:
  std::string signature() const;  // "path size mtime" lines
  void arm();

  std::string file_, dir_;
  std::function<void()> changed_;
  boost::asio::steady_timer timer_;
  std::string signature_;
};

}  // namespace bridge
