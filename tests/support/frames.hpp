#pragma once
// Test helper: builds valid LoRaWAN 1.0.x data uplinks (encrypted, with MIC) and rxpk JSON.
#include <string>

#include "lorawan/types.hpp"

namespace testsupport {

struct AbpDevice {
  lorawan::DevAddr devAddr;
  lorawan::Aes128Key nwkSKey;
  lorawan::Aes128Key appSKey;
};

lorawan::Bytes buildUplink(const AbpDevice& d, uint32_t fcnt, uint8_t fport,
                           const lorawan::Bytes& plain, bool confirmed = false,
                           const lorawan::Bytes& fopts = {}, bool adr = false);

lorawan::Bytes buildJoinRequest(const lorawan::Aes128Key& key, lorawan::Eui64 joinEui,
                                lorawan::Eui64 devEui, uint16_t devNonce);

// One rxpk JSON object for the PHYPayload.
std::string rxpkJson(const lorawan::Bytes& phy, uint32_t tmst = 1000, double rssi = -60,
                     double snr = 7.5, double freqMhz = 868.1, int chan = 0);
// A PUSH_DATA body {"rxpk":[...]} with one packet.
std::string pushBody(const lorawan::Bytes& phy, uint32_t tmst = 1000, double rssi = -60,
                     double snr = 7.5);

}  // namespace testsupport
