// A management API interface body: the type check, then the reader shared with the YAML files.
#include "bridge/api/interface_json.hpp"

#include <nlohmann/json.hpp>
#include <string>

#include "config/config.hpp"
#include "fuzz/targets.hpp"

namespace fuzz {

int interfaceJson(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) return 0;
  if (bridge::interfaceTypeError(j)) return 0;  // the API answers 400 here
  if (auto itf = config::parseInterfaceJson(j.dump(), "fuzz")) {
    (void)bridge::interfaceToJson(*itf, bridge::Secrets::Redacted).dump();
  }
  return 0;
}

}  // namespace fuzz

LB_FUZZ_ENTRY(interfaceJson)
