#pragma once
// DevAddr layout per NetID type (LoRaWAN Backend Interfaces 1.0, §13): a type prefix, the NwkID
// (the NetID's least significant bits) and the NwkAddr the network assigns.
#include <cstdint>

#include "lorawan/types.hpp"

namespace lorawan {

struct DevAddrLayout {
  uint8_t prefixBits;  // type prefix + NwkID
  uint32_t prefix;     // those bits, left-aligned in the 32-bit DevAddr
  uint8_t nwkAddrBits;
};

constexpr DevAddrLayout devAddrLayout(NetId netId) {
  constexpr uint8_t kNwkIdBits[8] = {6, 6, 9, 11, 12, 13, 15, 17};
  const uint8_t type = netId.type();
  const uint8_t idBits = kNwkIdBits[type];
  const uint8_t typeBits = uint8_t(type + 1);           // 0, 10, 110, 1110, ...
  const uint32_t typePrefix = ((1u << typeBits) - 2u);  // type ones followed by a zero
  const uint32_t nwkId = netId.value() & ((1u << idBits) - 1u);
  const uint8_t prefixBits = uint8_t(typeBits + idBits);
  const uint32_t prefix = ((typePrefix << idBits) | nwkId) << (32 - prefixBits);
  return {prefixBits, prefix, uint8_t(32 - prefixBits)};
}

// The DevAddr with `nwkAddr` (its low bits are used) inside `netId`'s address block.
constexpr DevAddr makeDevAddr(NetId netId, uint32_t nwkAddr) {
  DevAddrLayout l = devAddrLayout(netId);
  return DevAddr(l.prefix | (nwkAddr & ((1u << l.nwkAddrBits) - 1u)));
}

}  // namespace lorawan
