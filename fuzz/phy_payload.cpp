// PHYPayloads from the air (via rxpk.data) and the MAC commands inside them.
#include "lorawan/phy_payload.hpp"

#include "fuzz/targets.hpp"
#include "lorawan/mac_commands.hpp"
#include "lorawan/security.hpp"

namespace fuzz {

int phyPayload(const uint8_t* data, size_t size) {
  using namespace lorawan;
  std::span<const uint8_t> bytes(data, size);
  (void)peekRouting(bytes);
  if (auto phy = parsePhyPayload(bytes)) {
    Bytes again = serialize(*phy);  // what parses must serialize
    (void)again;
  }
  (void)parseMacCommands(MacDirection::Uplink, bytes);
  if (auto cmds = parseMacCommands(MacDirection::Downlink, bytes)) {
    for (const auto& c : *cmds) (void)describe(MacDirection::Downlink, c);
    (void)serialize(*cmds);
  }
  if (size >= 16) {  // crypto over arbitrary lengths
    Aes128Key key;
    (void)cryptFrmPayload(key, Direction::Uplink, DevAddr(0x01020304), 1, bytes.subspan(16));
    (void)cryptFOpts11(key, Direction::Uplink, DevAddr(0x01020304), 1,
                       bytes.subspan(16, std::min<size_t>(15, size - 16)));
  }
  return 0;
}

}  // namespace fuzz

LB_FUZZ_ENTRY(phyPayload)
