// The layout codec: a definition (YAML) and a payload, split at the first NUL byte.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "codecs/codec.hpp"
#include "fuzz/targets.hpp"

namespace fuzz {

int layoutCodec(const uint8_t* data, size_t size) {
  static const std::string file = (std::filesystem::temp_directory_path() /
                                   ("lb-fuzz-layout-" + std::to_string(::getpid()) + ".yaml"))
                                      .string();
  const std::string in(reinterpret_cast<const char*>(data), size);
  const size_t nul = in.find('\0');
  if (nul == std::string::npos) return 0;
  {
    std::ofstream f(file, std::ios::trunc);
    f << in.substr(0, nul);
  }
  auto codec = codecs::loadLayoutCodec(file);
  if (!codec) return 0;
  codecs::UplinkInput u;
  u.fPort = 1;
  u.bytes = std::span<const uint8_t>(data + nul + 1, size - nul - 1);
  (void)(*codec)->decodeUplink(u);
  return 0;
}

}  // namespace fuzz

LB_FUZZ_ENTRY(layoutCodec)
