// A JSON interface file (interfaces_dir/*.json) on any text: errors, never an exception or a
// crash.
#include <string>

#include "config/config.hpp"
#include "fuzz/targets.hpp"

namespace fuzz {

int interfaceFile(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  // A base directory without files: relative codec paths find nothing.
  (void)config::parseInterfaceFileJson(text, "fuzz.json", "/nonexistent-lb-fuzz");
  return 0;
}

}  // namespace fuzz

LB_FUZZ_ENTRY(interfaceFile)
