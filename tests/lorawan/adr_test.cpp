#include "lorawan/adr.hpp"

#include <gtest/gtest.h>

#include <vector>

using namespace lorawan;

namespace {

const region::Band& eu() {
  return *region::findBand("EU868");
}

TEST(Adr, NeedsHistory) {
  std::vector<double> few(19, 10.0);
  EXPECT_FALSE(decideAdr(eu(), 0, 0, few).has_value());
}

TEST(Adr, StrongLinkRaisesDataRateThenLowersPower) {
  // SF12 needs -20 dB; best SNR 10: margin 10 + 20 - 10 = 20 dB -> 6 steps: DR0 -> DR5, then one
  // power step.
  std::vector<double> snr(20, 5.0);
  snr[7] = 10.0;
  auto d = decideAdr(eu(), 0, 0, snr);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->dataRate, 5);
  EXPECT_EQ(d->txPowerIndex, 1);
}

TEST(Adr, WeakLinkRaisesPowerBackAndNeverLowersTheDataRate) {
  std::vector<double> snr(20, -8.0);  // at SF7 (-7.5 floor): margin -10.5 dB -> -4 steps
  auto d = decideAdr(eu(), 5, 3, snr);
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->dataRate, 5);
  EXPECT_EQ(d->txPowerIndex, 0);
  EXPECT_FALSE(decideAdr(eu(), 5, 0, snr).has_value());  // already at full power
}

TEST(Adr, BandLimits) {
  std::vector<double> snr(20, 30.0);
  auto us = decideAdr(*region::findBand("US915"), 0, 0, snr);
  ASSERT_TRUE(us.has_value());
  EXPECT_EQ(us->dataRate, 3);      // SF7BW125 is US915's highest 125 kHz DR
  EXPECT_EQ(us->txPowerIndex, 8);  // SF10 floor -15: (30 + 15 - 10) / 3 = 11 steps, 3 used on DR
  EXPECT_FALSE(decideAdr(eu(), 7, 0, snr).has_value());  // FSK: not ours to move
}

}  // namespace
