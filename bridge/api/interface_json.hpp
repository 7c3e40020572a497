#pragma once
// A seed-000 interface as JSON: {"id", "device_id_or_slug", "driver_instance_id", "codec", "opts"}.
// For the API keys are redacted ("2b7e…(redacted)"); for the store they are kept in full (the
// store file is 0600) so an interface created through the API survives a restart.
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "bridge/network/session_registry.hpp"
#include "config/interface.hpp"

namespace bridge {

enum class Secrets { Redacted, Full };

// `session`: an OTAA interface's current session shows its DevAddr (read-only there).
nlohmann::json interfaceToJson(const config::Interface& itf, Secrets secrets,
                               const Session* session = nullptr);

// The JSON types of an API body, checked before its values are read: the YAML reader that
// validates the values would take 1 for "1" and "yes" for true. Returns the first wrong field
// ("interface.opts.enabled: want true or false, got string"), or nullopt.
std::optional<std::string> interfaceTypeError(const nlohmann::json& body);

}  // namespace bridge
