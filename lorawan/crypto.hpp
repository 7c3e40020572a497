#pragma once
// The tiny AES/CMAC wrapper: the only place that touches Crypto++.
#include <array>
#include <cstdint>
#include <span>

#include "lorawan/types.hpp"

namespace lorawan::crypto {

using Block = std::array<uint8_t, 16>;

Block aesEncrypt(const Aes128Key& key, const Block& in);
Block aesDecrypt(const Aes128Key& key, const Block& in);
Block cmac(const Aes128Key& key, std::span<const uint8_t> data);
// CMAC over two parts (B0 block + message) without concatenating them first.
Block cmac(const Aes128Key& key, std::span<const uint8_t> a, std::span<const uint8_t> b);

}  // namespace lorawan::crypto
