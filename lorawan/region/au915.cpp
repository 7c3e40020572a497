// AU915-928 (RP002-1.0.3 §2.7), uplink dwell time off.
#include "lorawan/region/band.hpp"

namespace lorawan::region {
namespace {
using M = Modulation;
constexpr DataRate kDr[] = {
    {M::Lora, 12, 125000, 0, 51, true, false},  {M::Lora, 11, 125000, 0, 51, true, false},
    {M::Lora, 10, 125000, 0, 51, true, false},  {M::Lora, 9, 125000, 0, 115, true, false},
    {M::Lora, 8, 125000, 0, 242, true, false},  {M::Lora, 7, 125000, 0, 242, true, false},
    {M::Lora, 8, 500000, 0, 242, true, false},  {M::LrFhss, 0, 0, 0, 50, true, false},
    {M::Lora, 12, 500000, 0, 53, false, true},  {M::Lora, 11, 500000, 0, 129, false, true},
    {M::Lora, 10, 500000, 0, 242, false, true}, {M::Lora, 9, 500000, 0, 242, false, true},
    {M::Lora, 8, 500000, 0, 242, false, true},  {M::Lora, 7, 500000, 0, 242, false, true},
};
// Rows: uplink DR0..DR6; columns: RX1DROffset 0..5.
constexpr uint8_t kRx1[7][6] = {
    {8, 8, 8, 8, 8, 8},    {9, 8, 8, 8, 8, 8},     {10, 9, 8, 8, 8, 8},    {11, 10, 9, 8, 8, 8},
    {12, 11, 10, 9, 8, 8}, {13, 12, 11, 10, 9, 8}, {13, 13, 12, 11, 10, 9}};
uint8_t rx1Dr(uint8_t up, uint8_t off) {
  return up < 7 && off < 6 ? kRx1[up][off] : 8;
}
// Uplink 915.2 MHz + 200 kHz n (n < 64) or 915.9 MHz + 1.6 MHz (n - 64); downlink
// 923.3 MHz + 600 kHz (n mod 8).
int uplinkChannel(uint64_t f) {
  if (f >= 915200000 && (f - 915200000) % 200000 == 0 && (f - 915200000) / 200000 < 64)
    return int((f - 915200000) / 200000);
  if (f >= 915900000 && (f - 915900000) % 1600000 == 0 && (f - 915900000) / 1600000 < 8)
    return 64 + int((f - 915900000) / 1600000);
  return -1;
}
uint64_t rx1Freq(uint64_t up) {
  int ch = uplinkChannel(up);
  return 923300000 + uint64_t(ch < 0 ? 0 : ch % 8) * 600000;
}
constexpr uint64_t kJoin[] = {915200000};
}  // namespace

extern const Band kAu915{"AU915", kDr, 5,     rx1Dr,         rx1Freq, 923300000, 8,
                         27,      1,   kJoin, uplinkChannel, 5,       14};

}  // namespace lorawan::region
