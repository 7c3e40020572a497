#pragma once
// The JoinAccept in clear, and its encryption and MIC (1.0.x and 1.1).
#include <array>
#include <expected>
#include <optional>

#include "lorawan/parse_error.hpp"
#include "lorawan/phy_payload.hpp"
#include "lorawan/types.hpp"

namespace lorawan {

struct DlSettings {
  bool optNeg = false;  // set by a LoRaWAN 1.1 network server
  uint8_t rx1DrOffset = 0;
  uint8_t rx2DataRate = 0;
  uint8_t toByte() const {
    return uint8_t((optNeg ? 0x80 : 0) | (rx1DrOffset & 7) << 4 | (rx2DataRate & 0xF));
  }
  static DlSettings fromByte(uint8_t b) {
    return {bool(b & 0x80), uint8_t(b >> 4 & 7), uint8_t(b & 0xF)};
  }
  bool operator==(const DlSettings&) const = default;
};

struct JoinAcceptPayload {
  uint32_t joinNonce = 0;  // 24 bits (AppNonce in 1.0.x)
  NetId netId;
  DevAddr devAddr;
  DlSettings dlSettings;
  uint8_t rxDelay = 0;
  std::optional<std::array<uint8_t, 16>> cfList;
  bool operator==(const JoinAcceptPayload&) const = default;
};

// Clear-text payload bytes (JoinNonce .. CFList), 12 or 28 bytes.
Bytes serialize(const JoinAcceptPayload& ja);
std::expected<JoinAcceptPayload, ParseError> parseJoinAcceptPayload(std::span<const uint8_t> b);

// Builds the on-air JoinAccept PHYPayload. 1.0.x: MIC and encryption with the AppKey.
Bytes buildJoinAccept10(const JoinAcceptPayload& ja, const Aes128Key& appKey);
// 1.1 (OptNeg): MIC with JSIntKey over JoinReqType|JoinEUI|DevNonce|..., encryption with NwkKey
// for a JoinRequest (JSEncKey for rejoins).
Bytes buildJoinAccept11(const JoinAcceptPayload& ja, const Aes128Key& jsIntKey,
                        const Aes128Key& encKey, uint8_t joinReqType, Eui64 joinEui,
                        uint16_t devNonce);

// Decrypts an on-air JoinAccept with `key` and returns the payload and its MIC (not checked).
struct DecryptedJoinAccept {
  JoinAcceptPayload payload;
  Bytes micInput;  // MHDR | payload bytes, what the 1.0.x MIC covers
  Mic mic;
};
std::expected<DecryptedJoinAccept, ParseError> openJoinAccept(std::span<const uint8_t> phy,
                                                              const Aes128Key& key);

}  // namespace lorawan
