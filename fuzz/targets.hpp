#pragma once
// The fuzz targets: one per parser of untrusted input. Each is a plain function so the same
// code runs under libFuzzer (fuzz/<name>.cpp with LB_LIBFUZZER) and as a regression test that
// replays fixtures/fuzz/<name>/ in the normal test run (tests/fuzz/corpus_replay_test.cpp).
#include <cstddef>
#include <cstdint>

namespace fuzz {

int semtechUdp(const uint8_t* data, size_t size);     // datagram + PUSH_DATA/TX_ACK JSON
int phyPayload(const uint8_t* data, size_t size);     // PHYPayload + MAC commands
int configYaml(const uint8_t* data, size_t size);     // the config loader
int interfaceJson(const uint8_t* data, size_t size);  // the API's interface bodies
int apiQuery(const uint8_t* data, size_t size);       // filters, sort, device names
int apiRouter(const uint8_t* data, size_t size);      // the whole request router, in-process
int cayenneLpp(const uint8_t* data, size_t size);     // Cayenne LPP codec
int layoutCodec(const uint8_t* data, size_t size);    // the layout codec (definition + bytes)
int interfaceFile(const uint8_t* data, size_t size);  // a JSON interface file

struct Target {
  const char* name;
  int (*run)(const uint8_t*, size_t);
};
inline constexpr Target kTargets[] = {
    {"semtech_udp", semtechUdp},       {"phy_payload", phyPayload},
    {"config_yaml", configYaml},       {"interface_json", interfaceJson},
    {"api_query", apiQuery},           {"api_router", apiRouter},
    {"cayenne_lpp", cayenneLpp},       {"layout_codec", layoutCodec},
    {"interface_file", interfaceFile},
};

}  // namespace fuzz

// Under libFuzzer each target file also defines the entry point.
#ifdef LB_LIBFUZZER
#define LB_FUZZ_ENTRY(fn)                                                   \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    return fuzz::fn(data, size);                                            \
  }
#else
#define LB_FUZZ_ENTRY(fn)
#endif
