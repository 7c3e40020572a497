#pragma once
// A platform path from its template (platform.uplink_path and friends): {device}, {dev_eui},
// {interface} and {id}, each URL-encoded as one path segment; other text is kept as written.
#include <string>

namespace bridge {

struct PathValues {
  std::string device;
  std::string devEui;  // the device's DevEUI, or its name when it has none
  std::string interfaceId;
  std::string id;
};

std::string fillPathTemplate(const std::string& tmpl, const PathValues& v);

}  // namespace bridge
