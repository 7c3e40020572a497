#pragma once
// A device as a URL names it (seed 002): its id or slug, "deveui:<16 hex>" or
// "urn:dev:deveui:<16 hex>", case-insensitive. Devices are the interfaces' device_id_or_slug.
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "bridge/network/session_registry.hpp"
#include "lorawan/types.hpp"

namespace bridge {

struct DeviceName {
  std::string idOrSlug;                  // as written, when not a DevEUI form
  std::optional<lorawan::Eui64> devEui;  // the deveui: forms
};

// Error text for a malformed DevEUI form ("deveui:12": "want 16 hex digits").
std::expected<DeviceName, std::string> parseDeviceName(std::string_view name);

// The device_id_or_slug it refers to among the known interfaces, or nullopt.
std::optional<std::string> resolveDevice(const SessionRegistry& sessions, const DeviceName& name);

}  // namespace bridge
