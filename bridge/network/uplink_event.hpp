#pragma once
// The uplink as forwarded upstream (DESIGN.md "Uplink event"): every field present, null where
// unknown, camelCase names.
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bridge/network/device_event.hpp"
#include "codecs/codec.hpp"
#include "lorawan/mac_commands.hpp"
#include "lorawan/types.hpp"

namespace bridge {

struct RxInfo {
  lorawan::Eui64 gatewayEui;
  double rssi = 0;
  std::optional<double> snr;
  int channel = 0;
  int rfChain = 0;
  uint32_t tmst = 0;
  std::optional<std::string> time;
};

struct TxInfo {
  uint64_t frequencyHz = 0;
  std::string modulation;
  std::string dataRate;
  std::optional<std::string> codeRate;
};

struct Uplink {
  std::string id;  // UUID, stable across retries
  int64_t receivedAtMs = 0;
  std::string interfaceId;
  std::string deviceIdOrSlug;
  std::string driverInstanceId;
  std::optional<lorawan::Eui64> devEui;
  lorawan::DevAddr devAddr;
  uint32_t fcnt = 0;
  std::optional<uint8_t> fport;
  bool confirmed = false;
  bool adr = false;
  lorawan::Bytes data;  // decrypted FRMPayload
  std::string codecName;
  codecs::DecodeResult codec;
  std::vector<RxInfo> rx;  // best gateway first
  TxInfo tx;
  bool fcntReset = false;
  uint32_t previousFCnt = 0;
  // Not in the event JSON; what the downlink side needs.
  bool ackBit = false;                             // the device acknowledges a confirmed downlink
  std::vector<lorawan::MacCommand> macCommands;    // from FOpts or FPort 0
  std::shared_ptr<const codecs::CodecSet> codecs;  // decodes `data` when the window closes
};

// Runs the device's codec on the uplink (never throws; failures land in codec.errors).
void decodePayload(Uplink& u);

std::string toEventJson(const Uplink& u);
// The explicit event reported when an interface that allows counter resets accepts one.
DeviceEvent fcntResetEvent(const Uplink& u);
std::string formatRfc3339Ms(int64_t unixMs);
// The same into `out` (room for 32 characters); returns how many were written.
size_t formatRfc3339Ms(int64_t unixMs, char* out);

// Random (version 4) UUIDs.
class UuidGenerator {
 public:
  UuidGenerator() : rng_(std::random_device{}()) {}
  explicit UuidGenerator(uint64_t seed) : rng_(seed) {}
  std::string next();

 private:
  std::mt19937_64 rng_;
};

}  // namespace bridge
