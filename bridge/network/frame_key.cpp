#include "bridge/network/frame_key.hpp"

#include <cryptopp/siphash.h>

#include <cstring>
#include <random>

namespace bridge {

struct FrameKeys::Impl {
  explicit Impl(const std::array<uint8_t, 16>& key) : mac(key.data(), key.size()) {}
  CryptoPP::SipHash<2, 4, false> mac;
};

static std::array<uint8_t, 16> randomKey() {
  std::random_device rd;
  std::array<uint8_t, 16> k{};
  for (size_t i = 0; i < k.size(); i += 4) {
    const uint32_t v = rd();
    std::memcpy(k.data() + i, &v, 4);
  }
  return k;
}

FrameKeys::FrameKeys() : FrameKeys(randomKey()) {}
FrameKeys::FrameKeys(const std::array<uint8_t, 16>& key) : impl_(std::make_unique<Impl>(key)) {}
FrameKeys::~FrameKeys() = default;

uint64_t FrameKeys::operator()(std::span<const uint8_t> frame) {
  impl_->mac.Update(frame.data(), frame.size());
  uint64_t out = 0;
  impl_->mac.TruncatedFinal(reinterpret_cast<CryptoPP::byte*>(&out), sizeof out);  // restarts
  return out;
}

}  // namespace bridge
