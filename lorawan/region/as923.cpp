// AS923 (RP002-1.0.3 §2.8), groups 1 to 4 differ only by a frequency offset; dwell time off.
#include "lorawan/region/band.hpp"

namespace lorawan::region {
namespace {
using M = Modulation;
constexpr DataRate kDr[] = {
    {M::Lora, 12, 125000, 0, 51, true, true},  {M::Lora, 11, 125000, 0, 51, true, true},
    {M::Lora, 10, 125000, 0, 115, true, true}, {M::Lora, 9, 125000, 0, 242, true, true},
    {M::Lora, 8, 125000, 0, 242, true, true},  {M::Lora, 7, 125000, 0, 242, true, true},
    {M::Lora, 7, 250000, 0, 242, true, true},  {M::Fsk, 0, 0, 50000, 242, true, true},
};
constexpr uint64_t kJoin1[] = {923200000, 923400000};
constexpr uint64_t kJoin2[] = {921400000, 921600000};  // -1.8 MHz
constexpr uint64_t kJoin3[] = {916600000, 916800000};  // -6.6 MHz
constexpr uint64_t kJoin4[] = {917300000, 917500000};  // -5.9 MHz
}  // namespace

extern const Band kAs923_1{"AS923", kDr, 7, rx1DrAs923Style, sameFrequency, 923200000,
                           2,       14,  0, kJoin1};
extern const Band kAs923_2{"AS923-2", kDr, 7, rx1DrAs923Style, sameFrequency, 921400000,
                           2,         14,  0, kJoin2};
extern const Band kAs923_3{"AS923-3", kDr, 7, rx1DrAs923Style, sameFrequency, 916600000,
                           2,         14,  0, kJoin3};
extern const Band kAs923_4{"AS923-4", kDr, 7, rx1DrAs923Style, sameFrequency, 917300000,
                           2,         14,  0, kJoin4};

}  // namespace lorawan::region
