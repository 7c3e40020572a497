#include "lorawan/types.hpp"

namespace lorawan {
namespace {

int hexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses exactly `digits` hex digits into an integer, with a message naming the problem.
std::expected<uint64_t, std::string> parseFixedHex(std::string_view hex, size_t digits,
                                                   std::string_view what) {
  if (hex.size() != digits)
    return std::unexpected(std::string(what) + " must be " + std::to_string(digits) +
                           " hex digits, got " + std::to_string(hex.size()));
  uint64_t v = 0;
  for (size_t i = 0; i < hex.size(); ++i) {
    int d = hexDigit(hex[i]);
    if (d < 0)
      return std::unexpected(std::string(what) + " has a non-hex character at position " +
                             std::to_string(i));
    v = v << 4 | uint64_t(d);
  }
  return v;
}

std::string fixedHex(uint64_t v, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(size_t(digits), '0');
  for (int i = digits - 1; i >= 0; --i, v >>= 4) s[size_t(i)] = kDigits[v & 0xF];
  return s;
}

}  // namespace

std::string toHex(std::span<const uint8_t> bytes, bool upper) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string s;
  s.resize(bytes.size() * 2);
  for (size_t i = 0; i < bytes.size(); ++i) {
    s[2 * i] = digits[bytes[i] >> 4];
    s[2 * i + 1] = digits[bytes[i] & 0xF];
  }
  return s;
}

std::expected<Bytes, std::string> fromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::unexpected("odd number of hex digits");
  Bytes out(hex.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = hexDigit(hex[2 * i]), lo = hexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return std::unexpected("non-hex character at position " +
                             std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    out[i] = uint8_t(hi << 4 | lo);
  }
  return out;
}

std::expected<Eui64, std::string> Eui64::parse(std::string_view hex) {
  auto v = parseFixedHex(hex, 16, "EUI-64");
  if (!v) return std::unexpected(v.error());
  return Eui64(*v);
}
Eui64 Eui64::fromLe(std::span<const uint8_t, 8> le) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | le[size_t(i)];
  return Eui64(v);
}
void Eui64::toLe(uint8_t* out) const {
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(v_ >> (8 * i));
}
std::string Eui64::toString() const {
  return fixedHex(v_, 16);
}

std::expected<DevAddr, std::string> DevAddr::parse(std::string_view hex) {
  auto v = parseFixedHex(hex, 8, "DevAddr");
  if (!v) return std::unexpected(v.error());
  return DevAddr(uint32_t(*v));
}
DevAddr DevAddr::fromLe(std::span<const uint8_t, 4> le) {
  return DevAddr(uint32_t(le[0]) | uint32_t(le[1]) << 8 | uint32_t(le[2]) << 16 |
                 uint32_t(le[3]) << 24);
}
void DevAddr::toLe(uint8_t* out) const {
  for (int i = 0; i < 4; ++i) out[i] = uint8_t(v_ >> (8 * i));
}
std::string DevAddr::toString() const {
  return fixedHex(v_, 8);
}

std::expected<NetId, std::string> NetId::parse(std::string_view hex) {
  auto v = parseFixedHex(hex, 6, "NetID");
  if (!v) return std::unexpected(v.error());
  return NetId(uint32_t(*v));
}
NetId NetId::fromLe(std::span<const uint8_t, 3> le) {
  return NetId(uint32_t(le[0]) | uint32_t(le[1]) << 8 | uint32_t(le[2]) << 16);
}
void NetId::toLe(uint8_t* out) const {
  for (int i = 0; i < 3; ++i) out[i] = uint8_t(v_ >> (8 * i));
}
std::string NetId::toString() const {
  return fixedHex(v_, 6);
}

std::expected<Aes128Key, std::string> Aes128Key::parse(std::string_view hex) {
  if (hex.size() != 32)
    return std::unexpected("AES-128 key must be 32 hex digits, got " + std::to_string(hex.size()));
  std::array<uint8_t, 16> a{};  // in place: a million keys at start-up, no vector each
  for (size_t i = 0; i < a.size(); ++i) {
    const int hi = hexDigit(hex[2 * i]), lo = hexDigit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return std::unexpected("AES-128 key has a non-hex character at position " +
                             std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    a[i] = uint8_t(hi << 4 | lo);
  }
  return Aes128Key(a);
}
std::string Aes128Key::redacted() const {
  return toHex(std::span(b_).first(2)) + "…(redacted)";
}
std::string Aes128Key::hex() const {
  return toHex(b_);
}

}  // namespace lorawan
