// US902-928 (RP002-1.0.3 §2.5): 64 x 125 kHz + 8 x 500 kHz uplink channels, 8 x 500 kHz downlink.
#include "lorawan/region/band.hpp"

namespace lorawan::region {
namespace {
using M = Modulation;
constexpr DataRate kDr[] = {
    {M::Lora, 10, 125000, 0, 11, true, false},  {M::Lora, 9, 125000, 0, 53, true, false},
    {M::Lora, 8, 125000, 0, 125, true, false},  {M::Lora, 7, 125000, 0, 242, true, false},
    {M::Lora, 8, 500000, 0, 242, true, false},  {M::LrFhss, 0, 0, 0, 50, true, false},
    {M::LrFhss, 0, 0, 0, 125, true, false},     {},
    {M::Lora, 12, 500000, 0, 53, false, true},  {M::Lora, 11, 500000, 0, 129, false, true},
    {M::Lora, 10, 500000, 0, 242, false, true}, {M::Lora, 9, 500000, 0, 242, false, true},
    {M::Lora, 8, 500000, 0, 242, false, true},  {M::Lora, 7, 500000, 0, 242, false, true},
};
// Rows: uplink DR0..DR6; columns: RX1DROffset 0..3.
constexpr uint8_t kRx1[7][4] = {{10, 9, 8, 8},    {11, 10, 9, 8}, {12, 11, 10, 9}, {13, 12, 11, 10},
                                {13, 13, 12, 11}, {10, 9, 8, 8},  {11, 10, 9, 8}};
uint8_t rx1Dr(uint8_t up, uint8_t off) {
  return up < 7 && off < 4 ? kRx1[up][off] : 8;
}
// Uplink channel n (125 kHz: 902.3 MHz + 200 kHz n; 500 kHz: 903.0 MHz + 1.6 MHz (n - 64)) answers
// on downlink channel n mod 8: 923.3 MHz + 600 kHz (n mod 8).
int uplinkChannel(uint64_t f) {
  if (f >= 902300000 && (f - 902300000) % 200000 == 0 && (f - 902300000) / 200000 < 64)
    return int((f - 902300000) / 200000);
  if (f >= 903000000 && (f - 903000000) % 1600000 == 0 && (f - 903000000) / 1600000 < 8)
    return 64 + int((f - 903000000) / 1600000);
  return -1;
}
uint64_t rx1Freq(uint64_t up) {
  int ch = uplinkChannel(up);
  return 923300000 + uint64_t(ch < 0 ? 0 : ch % 8) * 600000;
}
constexpr uint64_t kJoin[] = {902300000};
}  // namespace

extern const Band kUs915{"US915", kDr, 3,     rx1Dr,         rx1Freq, 923300000, 8,
                         20,      1,   kJoin, uplinkChannel, 3,       14};

}  // namespace lorawan::region
