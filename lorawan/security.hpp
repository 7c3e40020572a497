#pragma once
// LoRaWAN 1.0.x and 1.1 message integrity, encryption and key derivation. Keys are passed in,
// never stored in frames. Traps worth remembering:
//  - only the 16 LSB of FCnt are on air; MIC and encryption use all 32 bits;
//  - the JoinAccept is "encrypted" with AES *decrypt*, so devices only need AES encrypt.
#include <array>
#include <cstdint>
#include <span>

#include "lorawan/crypto.hpp"
#include "lorawan/types.hpp"

namespace lorawan {

enum class Direction : uint8_t { Uplink = 0, Downlink = 1 };

// ---- Data frames -------------------------------------------------------------------------
// `msg` is MHDR | FHDR | FPort | FRMPayload (the PHYPayload without its MIC).

// LoRaWAN 1.0.x uplink and downlink MIC (NwkSKey).
Mic dataMic10(const Aes128Key& nwkSKey, Direction dir, DevAddr addr, uint32_t fcnt,
              std::span<const uint8_t> msg);
// The same on the caller's reusable CMAC (the uplink pipeline's: no allocation per frame).
Mic dataMic10(crypto::Cmac& mac, const Aes128Key& nwkSKey, Direction dir, DevAddr addr,
              uint32_t fcnt, std::span<const uint8_t> msg);

// LoRaWAN 1.1 uplink MIC: 2 bytes from SNwkSIntKey (B1, with ConfFCnt/TxDr/TxCh) followed by
// 2 bytes from FNwkSIntKey (B0). confFCnt is the FCnt of the acknowledged downlink, 0 if none.
Mic uplinkMic11(const Aes128Key& sNwkSIntKey, const Aes128Key& fNwkSIntKey, uint16_t confFCnt,
                uint8_t txDr, uint8_t txCh, DevAddr addr, uint32_t fcnt,
                std::span<const uint8_t> msg);

// LoRaWAN 1.1 downlink MIC (SNwkSIntKey); confFCnt is the acknowledged uplink's FCnt or 0.
Mic downlinkMic11(const Aes128Key& sNwkSIntKey, uint16_t confFCnt, DevAddr addr, uint32_t fcnt,
                  std::span<const uint8_t> msg);

// FRMPayload encryption (AES-CTR with Ai blocks); the same call decrypts.
Bytes cryptFrmPayload(const Aes128Key& key, Direction dir, DevAddr addr, uint32_t fcnt,
                      std::span<const uint8_t> data);
// The same on the caller's cipher (no key schedule allocated per frame).
Bytes cryptFrmPayload(crypto::Aes& aes, const Aes128Key& key, Direction dir, DevAddr addr,
                      uint32_t fcnt, std::span<const uint8_t> data);

// LoRaWAN 1.1 FOpts encryption with NwkSEncKey. Two schemes exist in the field:
//  - Errata1_1: the LoRaWAN 1.1 errata (and 1.1.1, LoRaMac-node, ChirpStack): A[4] = 0x01 for
//    FCntUp/NFCntDown, 0x02 for AFCntDown, A[15] = 0x01. Our default.
//  - Original1_1: the 1.1 text as first published (The Things Stack): A[4] = 0, A[15] = 0.
enum class FOptsScheme { Errata1_1, Original1_1 };
Bytes cryptFOpts11(const Aes128Key& nwkSEncKey, Direction dir, DevAddr addr, uint32_t fcnt,
                   std::span<const uint8_t> fopts, bool aFCntDown = false,
                   FOptsScheme scheme = FOptsScheme::Errata1_1);

// ---- Joins -------------------------------------------------------------------------------
// JoinRequest / RejoinRequest MIC over MHDR | payload, with AppKey (1.0.x), NwkKey (1.1) or
// SNwkSIntKey / JSIntKey for rejoins.
Mic joinRequestMic(const Aes128Key& key, std::span<const uint8_t> msg);

// JoinAccept MIC. 1.0.x: over MHDR | JoinNonce | NetID | DevAddr | DLSettings | RxDelay | CFList
// with AppKey. 1.1 (OptNeg set): JoinReqType | JoinEUI | DevNonce | MHDR | ... with JSIntKey.
Mic joinAcceptMic10(const Aes128Key& appKey, std::span<const uint8_t> msg);
Mic joinAcceptMic11(const Aes128Key& jsIntKey, uint8_t joinReqType, Eui64 joinEui,
                    uint16_t devNonce, std::span<const uint8_t> msg);

// Encrypts (payload | MIC) of a JoinAccept, length a multiple of 16, with AES-ECB *decrypt*;
// decryptJoinAccept uses AES encrypt. Return empty when the length is not a multiple of 16.
Bytes encryptJoinAccept(const Aes128Key& key, std::span<const uint8_t> payloadAndMic);
Bytes decryptJoinAccept(const Aes128Key& key, std::span<const uint8_t> payloadAndMic);

struct SessionKeys10 {
  Aes128Key nwkSKey;
  Aes128Key appSKey;
};
SessionKeys10 deriveSessionKeys10(const Aes128Key& appKey, uint32_t joinNonce, NetId netId,
                                  uint16_t devNonce);

struct SessionKeys11 {
  Aes128Key fNwkSIntKey;
  Aes128Key sNwkSIntKey;
  Aes128Key nwkSEncKey;
  Aes128Key appSKey;
};
// NwkKey gives the three network keys, AppKey the AppSKey.
SessionKeys11 deriveSessionKeys11(const Aes128Key& nwkKey, const Aes128Key& appKey,
                                  uint32_t joinNonce, Eui64 joinEui, uint16_t devNonce);
Aes128Key deriveJsIntKey(const Aes128Key& nwkKey, Eui64 devEui);
Aes128Key deriveJsEncKey(const Aes128Key& nwkKey, Eui64 devEui);

}  // namespace lorawan
