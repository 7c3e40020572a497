#pragma once
// PHYPayload as values: parse from untrusted bytes (never throws) and serialize back, for every
// MType. serialize(parse(x)) == x for every well-formed x. Structure only, no crypto here.
#include <array>
#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "lorawan/parse_error.hpp"
#include "lorawan/types.hpp"

namespace lorawan {

enum class MType : uint8_t {
  JoinRequest = 0,
  JoinAccept = 1,
  UnconfirmedDataUp = 2,
  UnconfirmedDataDown = 3,
  ConfirmedDataUp = 4,
  ConfirmedDataDown = 5,
  RejoinRequest = 6,
  Proprietary = 7,
};
const char* toString(MType t);
bool isUplink(MType t);
bool isDataFrame(MType t);

struct Mhdr {
  MType mtype = MType::UnconfirmedDataUp;
  uint8_t rfu = 0;    // bits 4..2, kept for exact round trips
  uint8_t major = 0;  // 0 = LoRaWAN R1
  uint8_t toByte() const { return uint8_t(uint8_t(mtype) << 5 | (rfu & 7) << 2 | (major & 3)); }
  static Mhdr fromByte(uint8_t b) { return {MType(b >> 5), uint8_t(b >> 2 & 7), uint8_t(b & 3)}; }
  bool operator==(const Mhdr&) const = default;
};

// FCtrl differs by direction: uplink bit 6 is ADRACKReq and bit 4 ClassB; downlink bit 6 is RFU
// and bit 4 FPending. FOptsLen (bits 3..0) is derived from the FOpts on serialize.
struct FCtrl {
  bool adr = false;
  bool adrAckReq = false;  // uplink only
  bool ack = false;
  bool classB = false;    // uplink only
  bool fPending = false;  // downlink only
  bool rfu = false;       // downlink bit 6
  bool operator==(const FCtrl&) const = default;
};

struct Fhdr {
  DevAddr devAddr;
  FCtrl fctrl;
  uint16_t fcnt = 0;  // only the 16 LSB travel; see fcnt.hpp
  Bytes fopts;        // at most 15 bytes; encrypted in LoRaWAN 1.1
  bool operator==(const Fhdr&) const = default;
};

struct MacPayload {
  Fhdr fhdr;
  std::optional<uint8_t> fport;
  Bytes frmPayload;  // as on air (encrypted)
  bool operator==(const MacPayload&) const = default;
};

struct JoinRequestPayload {
  Eui64 joinEui;
  Eui64 devEui;
  uint16_t devNonce = 0;
  bool operator==(const JoinRequestPayload&) const = default;
};

// A JoinAccept is encrypted on air; the parser keeps the ciphertext (payload and MIC).
// See join_accept.hpp to decrypt it or to build one.
struct EncryptedJoinAccept {
  Bytes ciphertext;  // 16 or 32 bytes: payload | MIC, encrypted together
  bool operator==(const EncryptedJoinAccept&) const = default;
};

struct RejoinRequestPayload {
  uint8_t type = 0;  // 0, 1 or 2
  NetId netId;       // types 0 and 2
  Eui64 joinEui;     // type 1
  Eui64 devEui;
  uint16_t rjCount = 0;  // RJcount0 (types 0/2) or RJcount1 (type 1)
  bool operator==(const RejoinRequestPayload&) const = default;
};

// Proprietary frames have no defined layout after MHDR: everything is kept as is, no MIC.
struct ProprietaryPayload {
  Bytes data;
  bool operator==(const ProprietaryPayload&) const = default;
};

using Payload = std::variant<JoinRequestPayload, EncryptedJoinAccept, MacPayload,
                             RejoinRequestPayload, ProprietaryPayload>;

struct PhyPayload {
  Mhdr mhdr;
  Payload payload;
  Mic mic{};  // unused for JoinAccept (inside the ciphertext) and Proprietary
  bool operator==(const PhyPayload&) const = default;
};

// Largest PHYPayload any region allows (MACPayload 250 + MHDR + MIC) with room to spare.
inline constexpr size_t kMaxPhyPayloadSize = 255;

std::expected<PhyPayload, ParseError> parsePhyPayload(std::span<const uint8_t> bytes);
Bytes serialize(const PhyPayload& phy);

// The bytes a data-frame or join MIC covers: everything except the last 4 bytes.
inline std::span<const uint8_t> micInput(std::span<const uint8_t> phyBytes) {
  return phyBytes.size() >= 4 ? phyBytes.first(phyBytes.size() - 4) : phyBytes;
}

// Routing fast path: MType plus DevAddr (data) or DevEUI (join/rejoin) without a full decode.
struct RoutingPeek {
  MType mtype;
  std::optional<DevAddr> devAddr;
  std::optional<Eui64> devEui;
};
std::expected<RoutingPeek, ParseError> peekRouting(std::span<const uint8_t> bytes);

}  // namespace lorawan
