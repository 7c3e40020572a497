// IN865-867 (RP002-1.0.3 §2.11). DR6 is RFU.
#include "lorawan/region/band.hpp"

namespace lorawan::region {
namespace {
using M = Modulation;
constexpr DataRate kDr[] = {
    {M::Lora, 12, 125000, 0, 51, true, true},
    {M::Lora, 11, 125000, 0, 51, true, true},
    {M::Lora, 10, 125000, 0, 51, true, true},
    {M::Lora, 9, 125000, 0, 115, true, true},
    {M::Lora, 8, 125000, 0, 242, true, true},
    {M::Lora, 7, 125000, 0, 242, true, true},
    {},
    {M::Fsk, 0, 0, 50000, 242, true, true},
};
constexpr uint64_t kJoin[] = {865062500, 865402500, 865985000};
}  // namespace

extern const Band kIn865{
    "IN865", kDr, 7, rx1DrAs923Style, sameFrequency, 866550000, 2, 27, 0, kJoin, nullptr, 5, 10};

}  // namespace lorawan::region
