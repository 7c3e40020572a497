#pragma once
// Strict standard base64 (RFC 4648, padded) on top of OpenSSL's block codec.
#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "lorawan/types.hpp"

namespace lorawan {

std::string base64Encode(std::span<const uint8_t> data);
// Into `out`, which has room for base64Size(data.size()) characters; returns how many.
constexpr size_t base64Size(size_t bytes) {
  return 4 * ((bytes + 2) / 3);
}
size_t base64EncodeTo(std::span<const uint8_t> data, char* out);
// Rejects wrong length, bad padding and characters outside the alphabet, naming the position.
std::expected<Bytes, std::string> base64Decode(std::string_view text);

}  // namespace lorawan
