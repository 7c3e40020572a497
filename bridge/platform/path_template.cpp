#include "bridge/platform/path_template.hpp"

#include <cstring>

#include "bridge/platform/client.hpp"

namespace bridge {

// Runs without a placeholder are copied whole; only a '{' is looked at (this runs for every
// uplink delivered).
std::string fillPathTemplate(const std::string& tmpl, const PathValues& v) {
  std::string out;
  out.reserve(tmpl.size() + v.device.size() + v.id.size());
  size_t i = 0;
  while (i < tmpl.size()) {
    const size_t brace = tmpl.find('{', i);
    if (brace == std::string::npos) {
      out.append(tmpl, i, std::string::npos);
      break;
    }
    out.append(tmpl, i, brace - i);
    i = brace;
    auto fill = [&](std::string_view key, const std::string& value) {
      if (tmpl.compare(i, key.size(), key) != 0) return false;
      out += urlEncodePathSegment(value);
      i += key.size();
      return true;
    };
    if (fill("{device}", v.device) || fill("{dev_eui}", v.devEui) ||
        fill("{interface}", v.interfaceId) || fill("{id}", v.id))
      continue;
    out += tmpl[i++];
  }
  return out;
}

}  // namespace bridge
