#pragma once
// Structured logs: one line per event, logfmt style ("ts=.. level=.. event=.. key=value").
// Callers pass keys redacted already; nothing here knows about secrets.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bridge::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void setLevel(Level l);
Level level();
bool enabled(Level l);

using Fields = std::vector<std::pair<std::string_view, std::string>>;
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
