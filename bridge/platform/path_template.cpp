#include "bridge/platform/path_template.hpp"

#include <cstring>

#include "bridge/platform/client.hpp"

namespace bridge {

std::string fillPathTemplate(const std::string& tmpl, const PathValues& v) {
  std::string out;
  for (size_t i = 0; i < tmpl.size();) {
    auto fill = [&](const char* key, const std::string& value) {
      const size_t n = std::strlen(key);
      if (tmpl.compare(i, n, key) != 0) return false;
      out += urlEncodePathSegment(value);
      i += n;
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
