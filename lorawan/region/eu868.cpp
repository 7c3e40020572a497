// EU863-870 (RP002-1.0.3 §2.4).
#include "lorawan/region/band.hpp"

namespace lorawan::region {
namespace {
using M = Modulation;
constexpr DataRate kDr[] = {
    {M::Lora, 12, 125000, 0, 51, true, true}, {M::Lora, 11, 125000, 0, 51, true, true},
    {M::Lora, 10, 125000, 0, 51, true, true}, {M::Lora, 9, 125000, 0, 115, true, true},
    {M::Lora, 8, 125000, 0, 242, true, true}, {M::Lora, 7, 125000, 0, 242, true, true},
    {M::Lora, 7, 250000, 0, 242, true, true}, {M::Fsk, 0, 0, 50000, 242, true, true},
};
constexpr uint64_t kJoin[] = {868100000, 868300000, 868500000};
}  // namespace

extern const Band kEu868{"EU868", kDr, 5, rx1DrSubtract, sameFrequency, 869525000, 0, 14, 0, kJoin};

}  // namespace lorawan::region
