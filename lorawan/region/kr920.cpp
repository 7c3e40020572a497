// KR920-923 (RP002-1.0.3 §2.10).
#include "lorawan/region/band.hpp"

namespace lorawan::region {
namespace {
using M = Modulation;
constexpr DataRate kDr[] = {
    {M::Lora, 12, 125000, 0, 51, true, true}, {M::Lora, 11, 125000, 0, 51, true, true},
    {M::Lora, 10, 125000, 0, 51, true, true}, {M::Lora, 9, 125000, 0, 115, true, true},
    {M::Lora, 8, 125000, 0, 242, true, true}, {M::Lora, 7, 125000, 0, 242, true, true},
};
constexpr uint64_t kJoin[] = {922100000, 922300000, 922500000};
}  // namespace

extern const Band kKr920{"KR920", kDr, 5, rx1DrSubtract, sameFrequency, 921900000, 0, 23, 0, kJoin};

}  // namespace lorawan::region
