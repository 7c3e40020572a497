#pragma once
// Structured logs: one line per event, logfmt style ("ts=.. level=.. event=.. key=value").
// Callers pass keys redacted already; nothing here knows about secrets.
#include <boost/container/small_vector.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bridge::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void setLevel(Level l);
Level level();
bool enabled(Level l);

// A field's value: borrowed from a string the caller keeps alive for the call (no copy: a line
// per accepted uplink), or owned when it is a temporary (std::to_string(...), toString()).
class Value {
 public:
  Value(const std::string& s) : view_(s) {}  // NOLINT: implicit, as the values are written
  Value(std::string&& s) : owned_(std::move(s)), isOwned_(true) {}  // NOLINT
  Value(const char* s) : view_(s) {}                                // NOLINT
  Value(std::string_view s) : view_(s) {}                           // NOLINT
  std::string_view get() const { return isOwned_ ? std::string_view(owned_) : view_; }

 private:
  std::string_view view_;
  std::string owned_;
  bool isOwned_ = false;
};

// In place up to 12 fields: a line per accepted uplink allocates nothing for its fields.
using Fields = boost::container::small_vector<std::pair<std::string_view, Value>, 12>;
void write(Level l, std::string_view event, const Fields& fields = {});

inline void debug(std::string_view e, const Fields& f = {}) {
  if (enabled(Level::Debug)) write(Level::Debug, e, f);
}
inline void info(std::string_view e, const Fields& f = {}) {
  if (enabled(Level::Info)) write(Level::Info, e, f);
}
inline void warn(std::string_view e, const Fields& f = {}) {
  if (enabled(Level::Warn)) write(Level::Warn, e, f);
}
inline void error(std::string_view e, const Fields& f = {}) {
  write(Level::Error, e, f);
}

}  // namespace bridge::log
