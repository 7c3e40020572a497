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
    if (sessions.interfaceForDevice(name.idOrSlug)) return name.idOrSlug;
    const std::string l = lower(name.idOrSlug);
    for (const auto& [id, itf] : sessions.interfaces())
      if (lower(itf->deviceIdOrSlug) == l) return itf->deviceIdOrSlug;
    return std::nullopt;
  }
  for (const auto& [id, itf] : sessions.interfaces())
    if (itf->opts.deviceEui == name.devEui) return itf->deviceIdOrSlug;
  return std::nullopt;
}

}  // namespace bridge
