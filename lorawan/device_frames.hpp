#pragma once
// What an end device sends (LoRaWAN 1.0.x): data uplinks, encrypted and signed with its session
// keys, and JoinRequests. For the load generator and the tests, which play the device's part.
#include "lorawan/types.hpp"

namespace lorawan {

struct AbpSession {
  DevAddr devAddr;
  Aes128Key nwkSKey;
  Aes128Key appSKey;
};

struct UplinkSpec {
  uint32_t fcnt = 0;  // 32-bit; the frame carries its low 16 bits
  uint8_t fport = 1;
  Bytes payload;  // in clear
  bool confirmed = false;
  Bytes fopts;
  bool adr = false;
};

// The PHYPayload of a 1.0.x data uplink (FRMPayload encrypted, MIC set).
Bytes buildDataUplink(const AbpSession& s, const UplinkSpec& u);

// The PHYPayload of a JoinRequest signed with `key` (AppKey in 1.0.x, NwkKey in 1.1).
Bytes buildJoinRequest(const Aes128Key& key, Eui64 joinEui, Eui64 devEui, uint16_t devNonce);

}  // namespace lorawan
