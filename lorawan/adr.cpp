#include "lorawan/adr.hpp"

#include <algorithm>
#include <cmath>

namespace lorawan {

std::optional<AdrDecision> decideAdr(const region::Band& band, uint8_t dr, uint8_t txPower,
                                     std::span<const double> snrs, const AdrSettings& s) {
  if (snrs.size() < s.minHistory || dr >= band.dataRates.size()) return std::nullopt;
  const auto& rate = band.dataRates[dr];
  if (rate.modulation != region::Modulation::Lora || dr > band.adrMaxDr) return std::nullopt;
  const double best = *std::max_element(snrs.begin(), snrs.end());
  const double margin = best - region::requiredSnrDb(rate.spreadingFactor) - s.installationMarginDb;
  int steps = int(std::floor(margin / 3));
  uint8_t newDr = dr, newPower = txPower;
  while (steps > 0 && newDr < band.adrMaxDr) ++newDr, --steps;
  while (steps > 0 && newPower < band.maxTxPowerIndex) ++newPower, --steps;
  while (steps < 0 && newPower > 0) --newPower, ++steps;
  if (newDr == dr && newPower == txPower) return std::nullopt;
  return AdrDecision{newDr, newPower};
}

}  // namespace lorawan
