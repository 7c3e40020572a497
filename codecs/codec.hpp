#pragma once
// One interface for payload codecs. Results carry JSON as text so this header stays light.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace codecs {

struct UplinkInput {
  std::span<const uint8_t> bytes;
  uint8_t fPort = 0;
  int64_t recvTimeMs = 0;
};

struct DecodeResult {
  std::optional<std::string> dataJson;  // codec output, serialized JSON; nullopt = null
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
};

class Codec {
 public:
  virtual ~Codec() = default;
  virtual const std::string& name() const = 0;
  virtual DecodeResult decodeUplink(const UplinkInput& in) const = 0;
};

// `raw`: always available; forwards bytes only (`decoded` null). Also the fallback when a codec
// fails, so an uplink is never lost to a codec.
std::unique_ptr<Codec> makeRawCodec();

}  // namespace codecs
