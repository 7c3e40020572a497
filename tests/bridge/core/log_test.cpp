// The log as a reader of stderr sees it: info lines arrive soon and in order though they are
// written by a flusher thread; a warning brings everything before it out at once.
#include "bridge/core/log.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <string>

namespace bridge {
namespace {

// Points stderr at a pipe for the test's lifetime.
class StderrPipe {
 public:
  StderrPipe() {
    EXPECT_EQ(pipe(fds_), 0);
    saved_ = dup(STDERR_FILENO);
    dup2(fds_[1], STDERR_FILENO);
    fcntl(fds_[0], F_SETFL, O_NONBLOCK);
  }
  ~StderrPipe() {
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    close(fds_[0]);
    close(fds_[1]);
  }
  // What arrived until `needle` is in it or the deadline passes.
  std::string readUntil(const std::string& needle, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (got_.find(needle) == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fds_[0], POLLIN, 0};
      poll(&p, 1, 10);
      char buf[4096];
      for (ssize_t n; (n = read(fds_[0], buf, sizeof buf)) > 0;) got_.append(buf, size_t(n));
    }
    return got_;
  }
  // What is there right now, without waiting for the flusher.
  std::string now() {
    char buf[4096];
    for (ssize_t n; (n = read(fds_[0], buf, sizeof buf)) > 0;) got_.append(buf, size_t(n));
    return got_;
  }

 private:
  int fds_[2] = {-1, -1};
  int saved_ = -1;
  std::string got_;
};

TEST(Log, InfoLinesArriveInOrderSoon) {
  StderrPipe err;
  for (int i = 0; i < 100; ++i) log::info("log_test_line", {{"n", std::to_string(i)}});
  const std::string got = err.readUntil("n=99\n", std::chrono::seconds(5));
  size_t at = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string want = "event=log_test_line n=" + std::to_string(i) + "\n";
    const size_t found = got.find(want, at);
    ASSERT_NE(found, std::string::npos) << "line " << i << " missing or out of order";
    at = found + want.size();
  }
}

TEST(Log, AWarningWritesOutWhatCameBeforeItAtOnce) {
  StderrPipe err;
  log::info("log_test_before", {{"k", "v"}});
  log::warn("log_test_warning", {{"k", "v"}});
  // No waiting: the warning and the info line before it are in the pipe when warn() returns.
  const std::string got = err.now();
  const size_t before = got.find("event=log_test_before");
  const size_t warning = got.find("level=warn event=log_test_warning");
  ASSERT_NE(before, std::string::npos) << got;
  ASSERT_NE(warning, std::string::npos) << got;
  EXPECT_LT(before, warning);
}

}  // namespace
}  // namespace bridge
