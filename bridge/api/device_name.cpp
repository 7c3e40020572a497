#include "bridge/api/device_name.hpp"

#include <algorithm>

namespace bridge {

namespace {
std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return out;
}
}  // namespace

std::expected<DeviceName, std::string> parseDeviceName(std::string_view name) {
  if (name.empty()) return std::unexpected("empty device name");
  const std::string l = lower(name);
  for (std::string_view prefix : {"urn:dev:deveui:", "deveui:"}) {
    if (l.rfind(prefix, 0) != 0) continue;
    auto eui = lorawan::Eui64::parse(l.substr(prefix.size()));
    if (!eui) return std::unexpected("device \"" + std::string(name) + "\": " + eui.error());
    return DeviceName{"", *eui};
  }
  return DeviceName{std::string(name), std::nullopt};
}

std::optional<std::string> resolveDevice(const SessionRegistry& sessions, const DeviceName& name) {
  if (!name.devEui) {
    if (sessions.anyOfDevice(name.idOrSlug)) return name.idOrSlug;
    // Another spelling: a scan, only when the name as given is unknown.
    const std::string l = lower(name.idOrSlug);
    std::optional<std::string> found;
    sessions.forEach([&](const Session& s) {
      if (!found && lower(s.device) == l) found = s.device;
    });
    return found;
  }
  if (const Session* s = sessions.otaaByDevEui(*name.devEui)) return s->device;
  std::optional<std::string> found;
  sessions.forEach([&](const Session& s) {
    if (!found && s.deviceEui == name.devEui) found = s.device;
  });
  return found;
}

}  // namespace bridge
