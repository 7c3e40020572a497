#pragma once
// Strong value types for LoRaWAN identifiers and keys. Stored in display (big-endian) order,
// converted to little-endian only at the wire.
#include <array>
#include <compare>
#include <cstdint>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lorawan {

using Bytes = std::vector<uint8_t>;

std::string toHex(std::span<const uint8_t> bytes, bool upper = false);
// Strict: even length, [0-9a-fA-F] only. Error text says what was wrong.
std::expected<Bytes, std::string> fromHex(std::string_view hex);

class Eui64 {
 public:
  constexpr Eui64() = default;
  explicit constexpr Eui64(uint64_t v) : v_(v) {}
  static std::expected<Eui64, std::string> parse(std::string_view hex);
  static Eui64 fromLe(std::span<const uint8_t, 8> le);
  void toLe(uint8_t* out) const;
  uint64_t value() const { return v_; }
  std::string toString() const;  // 16 lowercase hex digits
  auto operator<=>(const Eui64&) const = default;

 private:
  uint64_t v_ = 0;
};

class DevAddr {
 public:
  constexpr DevAddr() = default;
  explicit constexpr DevAddr(uint32_t v) : v_(v) {}
  static std::expected<DevAddr, std::string> parse(std::string_view hex);
  static DevAddr fromLe(std::span<const uint8_t, 4> le);
  void toLe(uint8_t* out) const;
  constexpr uint32_t value() const { return v_; }
  std::string toString() const;  // 8 lowercase hex digits
  auto operator<=>(const DevAddr&) const = default;

 private:
  uint32_t v_ = 0;
};

// 24-bit network identifier. Type (3 MSB) decides how many NwkID bits a DevAddr carries.
class NetId {
 public:
  constexpr NetId() = default;
  explicit constexpr NetId(uint32_t v) : v_(v & 0xFFFFFF) {}
  static std::expected<NetId, std::string> parse(std::string_view hex);
  static NetId fromLe(std::span<const uint8_t, 3> le);
  void toLe(uint8_t* out) const;
  constexpr uint32_t value() const { return v_; }
  constexpr uint8_t type() const { return uint8_t(v_ >> 21); }
  std::string toString() const;  // 6 lowercase hex digits
  auto operator<=>(const NetId&) const = default;

 private:
  uint32_t v_ = 0;
};

// An AES-128 key. Never printed in full: toString() is redacted; hex() is for storage only.
class Aes128Key {
 public:
  constexpr Aes128Key() = default;
  explicit constexpr Aes128Key(const std::array<uint8_t, 16>& b) : b_(b) {}
  static std::expected<Aes128Key, std::string> parse(std::string_view hex);
  const std::array<uint8_t, 16>& bytes() const { return b_; }
  std::string redacted() const;  // "2b7e…(redacted)"
  std::string hex() const;       // full; only for the store
  bool operator==(const Aes128Key&) const = default;

 private:
  std::array<uint8_t, 16> b_{};
};

using Mic = std::array<uint8_t, 4>;

}  // namespace lorawan

template <>
struct std::hash<lorawan::DevAddr> {
  size_t operator()(const lorawan::DevAddr& a) const noexcept {
    return std::hash<uint32_t>{}(a.value());
  }
};
template <>
struct std::hash<lorawan::Eui64> {
  size_t operator()(const lorawan::Eui64& e) const noexcept {
    return std::hash<uint64_t>{}(e.value());
  }
};
