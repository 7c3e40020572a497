// Datagrams as a gateway (or anyone) sends them: header, then PUSH_DATA or TX_ACK JSON.
#include "lorawan/semtech_udp.hpp"

#include "fuzz/targets.hpp"

namespace fuzz {

int semtechUdp(const uint8_t* data, size_t size) {
  using namespace lorawan::semtech;
  static PushDataParser parser;  // reused, as the UDP server does
  std::span<const uint8_t> bytes(data, size);
  if (auto dg = parseDatagram(bytes)) {
    if (dg->identifier == Identifier::PushData) {
      if (auto pd = parser.parse(dg->json))
        for (auto& rx : pd->rxpk) (void)rx;
    } else if (dg->identifier == Identifier::TxAck) {
      (void)parseTxAck(dg->json);
    }
  }
  // The JSON parsers alone too: most inputs never get past a header check otherwise.
  (void)parser.parse(bytes);
  (void)parseTxAck(bytes);
  return 0;
}

}  // namespace fuzz

LB_FUZZ_ENTRY(semtechUdp)
