#pragma once
// A simple SNR-margin ADR (the LoRa Alliance's recommended algorithm, as ChirpStack's default):
// from the best SNR of recent uplinks, raise the data rate, then lower the TX power, 3 dB a step.
#include <cstdint>
#include <optional>
#include <span>

#include "lorawan/region/band.hpp"

namespace lorawan {

struct AdrSettings {
  double installationMarginDb = 10;  // headroom for fading the last uplinks did not show
  size_t minHistory = 20;            // uplinks needed before deciding
};

struct AdrDecision {
  uint8_t dataRate;
  uint8_t txPowerIndex;
};

// nullopt: too little history, unknown DR, or nothing to change.
std::optional<AdrDecision> decideAdr(const region::Band& band, uint8_t currentDr,
                                     uint8_t currentTxPower, std::span<const double> snrHistory,
                                     const AdrSettings& s = {});

}  // namespace lorawan
