#pragma once
// Runs the real lorawan-bridge binary as a child process (for restart and kill -9 tests) and
// reads the ports it bound from its "bridge_started" log line.
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

extern char** environ;

namespace testsupport {

class BridgeProcess {
 public:
  explicit BridgeProcess(const std::string& configPath) : BridgeProcess({"--config", configPath}) {}
  // Any command line of the binary (a tool: {"sink", "--listen", ...}).
  explicit BridgeProcess(std::vector<std::string> args) {
    int fds[2];
    if (pipe(fds) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::string bin = LB_BINARY;
    std::vector<const char*> argv{bin.c_str()};
    for (const auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, bin.c_str(), &fa, nullptr, const_cast<char**>(argv.data()), environ) !=
        0)
      pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(fds[1]);
    stderr_ = fds[0];
  }
  ~BridgeProcess() {
    kill9();
    if (stderr_ >= 0) close(stderr_);
  }

  pid_t pid() const { return pid_; }
  // Waits for the start line (reading its stderr with a deadline); returns the UDP port.
  std::optional<uint16_t> waitStarted(
      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    if (!waitForLog("event=bridge_started udp=", timeout)) return std::nullopt;
    auto pos = log_.find("event=bridge_started udp=");
    auto colon = log_.find(':', pos + 26);
    auto end = log_.find(' ', colon);
    if (colon == std::string::npos || end == std::string::npos) return std::nullopt;
    return uint16_t(std::stoi(log_.substr(colon + 1, end - colon - 1)));
  }

  // Waits (poll on its stderr, with a deadline) until its log contains `needle`.
  bool waitForLog(const std::string& needle,
                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    // The whole start line, not a prefix of it still being written.
    auto complete = [&] {
      auto at = log_.find(needle);
      return at != std::string::npos && log_.find('\n', at) != std::string::npos;
    };
    while (!complete() && std::chrono::steady_clock::now() < deadline) {
      pollfd p{stderr_, POLLIN, 0};
      int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(
                         deadline - std::chrono::steady_clock::now())
                         .count());
      if (poll(&p, 1, std::max(left, 0)) <= 0) break;
      char buf[4096];
      ssize_t n = read(stderr_, buf, sizeof buf);
      if (n <= 0) break;
      log_.append(buf, size_t(n));
    }
    return complete();
  }
  void signal(int sig) {
    if (pid_ > 0) ::kill(pid_, sig);
  }
  // The management API's port from the start line.
  std::optional<uint16_t> apiPort() const {
    auto at = log_.find(" api=127.0.0.1:");
    if (at == std::string::npos) return std::nullopt;
    return uint16_t(std::stoi(log_.substr(at + 15)));
  }

  // Reads its log until it exits (its stderr closes) or the deadline passes; the exit status, or
  // nullopt when it is still running at the deadline.
  std::optional<int> waitExit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd p{stderr_, POLLIN, 0};
      if (poll(&p, 1, int(left.count())) <= 0) return std::nullopt;
      char buf[65536];
      ssize_t n = read(stderr_, buf, sizeof buf);
      if (n > 0) {
        log_.append(buf, size_t(n));
        continue;
      }
      break;  // EOF: it exited
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  void kill9() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  const std::string& log() const { return log_; }

 private:
  pid_t pid_ = -1;
  int stderr_ = -1;
  std::string log_;
};

}  // namespace testsupport
