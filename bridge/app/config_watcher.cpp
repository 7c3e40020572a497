#include "bridge/app/config_watcher.hpp"

#include <algorithm>
#include <filesystem>
#include <vector>

namespace bridge {

ConfigWatcher::ConfigWatcher(boost::asio::io_context& ioc, std::string configFile,
                             std::string interfacesDir, std::function<void()> changed)
    : file_(std::move(configFile)),
      dir_(std::move(interfacesDir)),
      changed_(std::move(changed)),
      timer_(ioc) {}

void ConfigWatcher::start() {
  markRead();
  arm();
}

std::string ConfigWatcher::signature() const {
  namespace fs = std::filesystem;
  std::vector<fs::path> files{file_};
  std::error_code ec;
  if (!dir_.empty())
    for (const auto& e : fs::directory_iterator(dir_, ec))
      if (e.path().extension() == ".yaml" || e.path().extension() == ".yml")
        files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::string sig;
  for (const auto& f : files) {
    const auto size = fs::file_size(f, ec);
    const auto mtime = fs::last_write_time(f, ec).time_since_epoch().count();
    sig += f.string() + " " + std::to_string(ec ? 0 : size) + " " + std::to_string(mtime) + "\n";
  }
  return sig;
}

void ConfigWatcher::arm() {
  timer_.expires_after(std::chrono::seconds(2));
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    if (signature() != signature_) changed_();
    arm();
  });
}

}  // namespace bridge
