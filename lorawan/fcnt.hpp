#pragma once
// 32-bit frame counters from the 16 bits on air.
#include <cstdint>

namespace lorawan {

// LoRaWAN 1.0.x/1.1: a counter that jumps further than this from the last one is not trusted.
inline constexpr uint32_t kMaxFCntGap = 16384;

// The smallest 32-bit counter >= `last` whose low 16 bits are `onAir`: keeps the high half of
// the last accepted counter and rolls it over when the low half wrapped (65535 -> 65536).
// An equal counter (retransmission) maps to `last` itself.
constexpr uint32_t reconstructFCnt(uint32_t last, uint16_t onAir) {
  uint32_t candidate = (last & 0xFFFF0000u) | onAir;
  if (candidate < last) candidate += 0x10000u;
  return candidate;
}

}  // namespace lorawan
