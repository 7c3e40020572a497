#include "bridge/core/log.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>

#include "bridge/core/thread_name.hpp"

namespace bridge::log {
namespace {
std::atomic<int> gLevel{int(Level::Info)};

// write(2) itself, again after EINTR: stdio drops the line when a signal (SIGTERM, SIGHUP)
// interrupts a write blocked on a full pipe, which lost lines of a burst at shutdown.
void writeOut(const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere to write: the lines are lost, the daemon goes on
    p += n;
    left -= size_t(n);
  }
}

// Debug and info lines are gathered and written by a flusher thread every few milliseconds
// (one write(2) per line was 4% of the network thread under load, and the thread that logs
// must not wait on a slow pipe); a warning or an error writes out everything before it at once,
// and what is gathered is written at exit. A kill -9 can lose the last few milliseconds of
// info lines, never a warning.
class Output {
 public:
  ~Output() {
    {
      std::lock_guard lock(m_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (flusher_.joinable()) flusher_.join();
    flushNow();
  }
  void add(const std::string& line, bool urgent) {
    {
      std::lock_guard lock(m_);
      pending_ += line;
      if (!stopping_ && !urgent && pending_.size() < kFlushBytes) {
        if (!flusher_.joinable())
          flusher_ = std::thread([this] {
            nameThisThread("lb-log");
            run();
          });
        return;
      }
    }
    flushNow();
  }

 private:
  static constexpr size_t kFlushBytes = 64 * 1024;
  static constexpr auto kInterval = std::chrono::milliseconds(5);
  // Lines leave in the order they were added: the swap and the write under one lock.
  void flushNow() {
    std::lock_guard out(outMutex_);
    {
      std::lock_guard lock(m_);
      writing_.swap(pending_);
    }
    writeOut(writing_);
    writing_.clear();
  }
  void run() {
    std::unique_lock lock(m_);
    while (!stopping_) {
      wake_.wait_for(lock, kInterval);
      if (pending_.empty()) continue;
      lock.unlock();
      flushNow();
      lock.lock();
    }
  }
  std::mutex m_;         // pending_, stopping_
  std::mutex outMutex_;  // writing_, and the order of writes
  std::condition_variable wake_;
  std::string pending_, writing_;
  bool stopping_ = false;
  std::thread flusher_;
};
Output gOutput;

const char* name(Level l) {
  switch (l) {
    case Level::Debug:
      return "debug";
    case Level::Info:
      return "info";
    case Level::Warn:
      return "warn";
    case Level::Error:
      return "error";
  }
  return "?";
}

// Values may come from the network: control bytes (CR, ESC, ...) are escaped, so no value can
// forge a log line or drive a terminal.
bool isControl(char c) {
  return uint8_t(c) < 0x20 || c == 0x7f;
}

void appendValue(std::string& out, std::string_view v) {
  bool quote = v.empty() || v.find_first_of(" =\"\\") != std::string_view::npos ||
               std::any_of(v.begin(), v.end(), isControl);
  if (!quote) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
    } else if (isControl(c)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(uint8_t(c)));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}
}  // namespace

void setLevel(Level l) {
  gLevel = int(l);
}
Level level() {
  return Level(gLevel.load());
}
bool enabled(Level l) {
  return int(l) >= gLevel.load(std::memory_order_relaxed);
}

// "2026-12-01T18:00:00" is formatted once a second per thread, the milliseconds per line; the
// line's buffer is the thread's own, kept between lines (this runs for every accepted uplink).
void write(Level l, std::string_view event, const Fields& fields) {
  using namespace std::chrono;
  const int64_t nowMs = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  thread_local int64_t second = -1;
  thread_local char stamp[80];
  if (nowMs / 1000 != second) {
    second = nowMs / 1000;
    std::time_t t = std::time_t(second);
    std::tm tm{};
    gmtime_r(&t, &tm);
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  }
  const int ms = int(nowMs % 1000);
  const char millis[] = {'.', char('0' + ms / 100), char('0' + ms / 10 % 10), char('0' + ms % 10),
                         'Z'};
  thread_local std::string line;
  line.clear();
  line += "ts=";
  line += stamp;
  line.append(millis, sizeof millis);
  line += " level=";
  line += name(l);
  line += " event=";
  line += event;
  for (const auto& [k, v] : fields) {
    line += ' ';
    line += k;
    line += '=';
    appendValue(line, v.get());
  }
  line += '\n';
  gOutput.add(line, l >= Level::Warn);
}

}  // namespace bridge::log
