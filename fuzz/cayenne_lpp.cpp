// Cayenne LPP payloads: first byte picks the variant/style and FPort, the rest is the payload.
#include "codecs/codec.hpp"
#include "fuzz/targets.hpp"

namespace fuzz {

int cayenneLpp(const uint8_t* data, size_t size) {
  static const auto arduino = codecs::makeCayenneLppCodec("arduino", "ttn");
  static const auto ttnStyle = codecs::makeCayenneLppCodec("ttn", "chirpstack");
  if (size == 0) return 0;
  codecs::UplinkInput in;
  in.fPort = uint8_t(data[0] % 224);
  in.bytes = std::span<const uint8_t>(data + 1, size - 1);
  (void)(data[0] & 0x80 ? ttnStyle : arduino)->decodeUplink(in);
  return 0;
}

}  // namespace fuzz

LB_FUZZ_ENTRY(cayenneLpp)
