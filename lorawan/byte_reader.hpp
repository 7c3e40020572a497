#pragma once
// A bounds-checked reader for untrusted bytes. Every read fails cleanly when input runs out;
// the caller turns the failure into a ParseError naming the field.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace lorawan {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> data) : data_(data) {}

  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }

  std::optional<uint8_t> u8() {
    if (remaining() < 1) return std::nullopt;
    return data_[pos_++];
  }
  std::optional<uint16_t> u16le() {
    if (remaining() < 2) return std::nullopt;
    uint16_t v = uint16_t(data_[pos_]) | uint16_t(data_[pos_ + 1]) << 8;
    pos_ += 2;
    return v;
  }
  std::optional<uint32_t> u24le() {
    if (remaining() < 3) return std::nullopt;
    uint32_t v =
        uint32_t(data_[pos_]) | uint32_t(data_[pos_ + 1]) << 8 | uint32_t(data_[pos_ + 2]) << 16;
    pos_ += 3;
    return v;
  }
  std::optional<uint32_t> u32le() {
    if (remaining() < 4) return std::nullopt;
    uint32_t v = uint32_t(data_[pos_]) | uint32_t(data_[pos_ + 1]) << 8 |
                 uint32_t(data_[pos_ + 2]) << 16 | uint32_t(data_[pos_ + 3]) << 24;
    pos_ += 4;
    return v;
  }
  std::optional<std::span<const uint8_t>> bytes(size_t n) {
    if (remaining() < n) return std::nullopt;
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  std::span<const uint8_t> rest() {
    auto s = data_.subspan(pos_);
    pos_ = data_.size();
    return s;
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace lorawan
