// Per-call cost of a JavaScript codec's decodeUplink in the bridge (codecs::Codec, in-process: a
// component figure). `codec_bench FILE.js HEX FPORT [CALLS]` or `codec_bench DEFINITION.yaml
// [CALLS]` (the first uplink example of a device-repository definition). Prints the median of 5
// rounds in microseconds per call, and the codec file, bytes and port it ran, for
// bench/codec_node.js to time the same call in node.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <vector>

#include "codecs/codec.hpp"
#include "codecs/yaml_json.hpp"

int main(int argc, char** argv) {
  using Clock = std::chrono::steady_clock;
  if (argc < 2) {
    std::cerr << "usage: codec_bench FILE.js HEX FPORT [CALLS] | DEFINITION.yaml [CALLS]\n";
    return 2;
  }
  std::string file = argv[1], hex;
  int fport = 1, callsArg = 2;
  if (file.ends_with(".yaml")) {
    nlohmann::json def = codecs::yamlToJson(YAML::LoadFile(file));
    const auto& up = def.at("uplinkDecoder");
    const auto& in = up.at("examples").at(0).at("input");
    file = file.substr(0, file.find_last_of('/') + 1) + up.at("fileName").get<std::string>();
    for (int b : in.at("bytes")) {
      char h[3];
      std::snprintf(h, sizeof h, "%02x", b);
      hex += h;
    }
    fport = in.value("fPort", 1);
  } else if (argc >= 4) {
    hex = argv[2];
    fport = std::stoi(argv[3]);
    callsArg = 4;
  }
  const int calls = argc > callsArg ? std::stoi(argv[callsArg]) : 20000;
  std::vector<uint8_t> bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(uint8_t(std::stoi(hex.substr(i, 2), nullptr, 16)));
  auto codec = codecs::loadJsCodec(file, std::chrono::milliseconds(100), 32u << 20);
  if (!codec) {
    std::cerr << codec.error() << "\n";
    return 1;
  }
  codecs::UplinkInput in{bytes, uint8_t(fport), 1700000000000};
  auto first = (*codec)->decodeUplink(in);
  if (!first.errors.empty()) std::cerr << "note: the codec reports " << first.errors[0] << "\n";
  for (int i = 0; i < 2000; ++i) (*codec)->decodeUplink(in);  // warm: the JITs settle
  std::vector<double> rounds;
  for (int r = 0; r < 5; ++r) {
    auto t0 = Clock::now();
    for (int i = 0; i < calls; ++i) (*codec)->decodeUplink(in);
    rounds.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / calls);
  }
  std::sort(rounds.begin(), rounds.end());
  std::printf("%.3f %s %s %d\n", rounds[2], file.c_str(), hex.c_str(), fport);
  return 0;
}
