// Writes fixtures/captures/demo.jsonl: uplinks of the two example devices of
// config/bridge.example.yaml, built with our lorawan library (see fixtures/README.md).
#include <cstdio>
#include <string>

#include "support/frames.hpp"

using namespace testsupport;
using lorawan::Bytes;

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  FILE* f = std::fopen(argv[1], "w");
  AbpDevice cellar{lorawan::DevAddr(0x26011BDA),
                   lorawan::Aes128Key::parse("2B7E151628AED2A6ABF7158809CF4F3C").value(),
                   lorawan::Aes128Key::parse("3C4FCF098815F7ABA6D2AE2816157E2B").value()};
  AbpDevice door{lorawan::DevAddr(0x26011BDB),
                 lorawan::Aes128Key::parse("000102030405060708090A0B0C0D0E0F").value(),
                 lorawan::Aes128Key::parse("0F0E0D0C0B0A09080706050403020100").value()};
  auto line = [&](const char* gw, const Bytes& phy, uint32_t tmst, double rssi, double snr,
                  int delay) {
    std::fprintf(f, "{\"gateway\":\"%s\",\"delay_ms\":%d,\"rxpk\":[%s]}\n", gw, delay,
                 rxpkJson(phy, tmst, rssi, snr).c_str());
  };
  std::fprintf(f, "# demo capture: cellar-sensor and door-sensor (config/bridge.example.yaml)\n");
  for (uint32_t i = 1; i <= 5; ++i) {
    std::string text = "temp=" + std::to_string(18 + i) + ".5C";
    Bytes up = buildUplink(cellar, i, 1, Bytes(text.begin(), text.end()));
    line("AA555A0000000001", up, 1000000 * i, -57, 9.5, 300);
    line("AA555A0000000002", up, 2000000 * i, -92, 1.25, 5);  // same frame, second gateway
  }
  Bytes open = buildUplink(door, 1, 2, Bytes{'o', 'p', 'e', 'n'});
  line("AA555A0000000001", open, 9000000, -70, 6.0, 300);
  line("AA555A0000000001", open, 9500000, -70, 6.0, 400);  // the same frame again: a late copy
  Bytes forged = buildUplink(door, 2, 2, Bytes{'x'});
  forged.back() ^= 0xFF;  // wrong MIC: rejected, never forwarded
  line("AA555A0000000001", forged, 9900000, -70, 6.0, 300);
  std::fclose(f);
  return 0;
}
