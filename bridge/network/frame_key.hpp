#pragma once
// The dedup tables' key for a frame: 64 bits of SipHash-2-4 over its PHYPayload under a key
// drawn at start. Eight bytes instead of a copy of the frame per entry (a minute of late-copy
// memory at 40k uplinks/s is two million entries), and keyed so that no one who sends frames
// can aim for another frame's key; an accidental collision is ~1e-13 per frame.
#include <array>
#include <cstdint>
#include <memory>
#include <span>

namespace bridge {

class FrameKeys {
 public:
  FrameKeys();  // a random key
  explicit FrameKeys(const std::array<uint8_t, 16>& key);
  ~FrameKeys();
  FrameKeys(const FrameKeys&) = delete;
  FrameKeys& operator=(const FrameKeys&) = delete;
  uint64_t operator()(std::span<const uint8_t> frame);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bridge
