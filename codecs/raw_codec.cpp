#include "codecs/codec.hpp"

namespace codecs {
namespace {

class RawCodec final : public Codec {
 public:
  const std::string& name() const override { return name_; }
  DecodeResult decodeUplink(const UplinkInput&) const override { return {}; }

 private:
  std::string name_ = "raw";
};

}  // namespace

EncodeResult Codec::encodeDownlink(const std::string&, uint8_t) const {
  EncodeResult r;
  r.errors.push_back("codec " + name() + " cannot encode downlink objects; send bytes");
  return r;
}

DecodeResult Codec::decodeDownlink(const UplinkInput&) const {
  return {std::nullopt, {"codec " + name() + " cannot decode downlinks"}, {}};
}

std::expected<std::string, std::string> Codec::runRoutine(Routine, const std::string&) const {
  return std::unexpected("codec " + name() + " is not a JavaScript codec");
}

std::unique_ptr<Codec> makeRawCodec() {
  return std::make_unique<RawCodec>();
}

}  // namespace codecs
