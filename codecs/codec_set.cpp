#include "codecs/codec.hpp"

namespace codecs {

namespace {
std::expected<std::shared_ptr<const Codec>, std::string> makeOne(const CodecSpec& s) {
  if (s.type == "raw") return std::shared_ptr<const Codec>(makeRawCodec());
  if (s.type == "cayenne_lpp") {
    if (s.variant != "arduino" && s.variant != "ttn")
      return std::unexpected("cayenne_lpp variant \"" + s.variant + "\", want arduino or ttn");
    if (s.style != "tts" && s.style != "chirpstack")
      return std::unexpected("cayenne_lpp style \"" + s.style + "\", want tts or chirpstack");
    return std::shared_ptr<const Codec>(makeCayenneLppCodec(s.variant, s.style));
  }
  if (s.type == "layout") {
    auto c = loadLayoutCodec(s.file);
    if (!c) return std::unexpected(c.error());
    return std::shared_ptr<const Codec>(std::move(*c));
  }
  if (s.type == "js") {
    auto c =
        loadJsCodec(s.file, std::chrono::milliseconds(s.timeoutMs), s.memoryMb * 1024u * 1024u);
    if (!c) return std::unexpected(c.error());
    return std::shared_ptr<const Codec>(std::move(*c));
  }
  if (s.type == "device_repository") {
    auto file = resolveDeviceRepositoryCodec(s.file, s.vendor, s.model);
    if (!file) return std::unexpected(file.error());
    auto c = loadJsCodec(*file, std::chrono::milliseconds(s.timeoutMs), s.memoryMb * 1024u * 1024u);
    if (!c) return std::unexpected(c.error());
    return std::shared_ptr<const Codec>(std::move(*c));
  }
  return std::unexpected("codec type \"" + s.type +
                         "\", want raw, cayenne_lpp, layout, js or device_repository");
}
}  // namespace

std::expected<std::shared_ptr<const CodecSet>, std::string> CodecSet::build(const CodecSpec& spec) {
  auto set = std::make_shared<CodecSet>();
  auto d = makeOne(spec);
  if (!d) return std::unexpected(d.error());
  set->default_ = *d;
  for (const auto& [port, s] : spec.fports) {
    auto c = makeOne(s);
    if (!c) return std::unexpected("fports." + std::to_string(port) + ": " + c.error());
    set->byPort_[port] = *c;
  }
  return std::shared_ptr<const CodecSet>(set);
}

std::shared_ptr<const CodecSet> CodecSet::raw() {
  static const std::shared_ptr<const CodecSet> r = *build(CodecSpec{});
  return r;
}

const Codec& CodecSet::forPort(uint8_t fPort) const {
  auto it = byPort_.find(fPort);
  return it != byPort_.end() ? *it->second : *default_;
}

bool CodecSet::rawOnly() const {
  if (default_->name() != "raw") return false;
  for (const auto& [_, c] : byPort_)
    if (c->name() != "raw") return false;
  return true;
}

DecodeResult CodecSet::decode(const UplinkInput& in) const {
  try {
    DecodeResult r = forPort(in.fPort).decodeUplink(in);
    if (!r.errors.empty()) r.dataJson.reset();  // errors: decoded is null, the bytes still go out
    return r;
  } catch (const std::exception& e) {
    return {std::nullopt, {std::string("codec failed: ") + e.what()}, {}};
  }
}

}  // namespace codecs
