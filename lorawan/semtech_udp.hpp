#pragma once
// Semtech UDP packet-forwarder protocol, versions 1 and 2 (PROTOCOL.TXT): datagram headers,
// PUSH_DATA rxpk/stat, PULL_RESP txpk and TX_ACK. Parsing never throws.
#include <cstdint>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "lorawan/parse_error.hpp"
#include "lorawan/types.hpp"

namespace lorawan::semtech {

enum class Identifier : uint8_t {
  PushData = 0x00,
  PushAck = 0x01,
  PullData = 0x02,
  PullResp = 0x03,
  PullAck = 0x04,
  TxAck = 0x05,
};
const char* toString(Identifier id);

struct Datagram {
  uint8_t version = 2;
  uint16_t token = 0;
  Identifier identifier = Identifier::PushData;
  std::optional<Eui64> gatewayEui;  // PUSH_DATA, PULL_DATA, TX_ACK
  std::span<const uint8_t> json;    // PUSH_DATA, PULL_RESP, TX_ACK (may be empty)
};

// Datagrams larger than this are refused; real forwarders stay well under 4 KiB.
inline constexpr size_t kMaxDatagramSize = 65507;

std::expected<Datagram, ParseError> parseDatagram(std::span<const uint8_t> bytes);

// PUSH_ACK / PULL_ACK: 4 bytes, the token echoed.
std::array<uint8_t, 4> makeAck(uint8_t version, uint16_t token, Identifier id);

// One antenna's view of a packet (the v2 `rsig` array of multi-antenna gateways).
struct RxSignal {
  int antenna = 0;
  int channel = 0;
  double rssi = 0;
  std::optional<double> snr;
};

struct RxPacket {
  std::optional<std::string> time;  // UTC, ISO 8601, when the gateway has GPS or NTP
  std::optional<uint64_t> tmms;     // GPS time, ms
  uint32_t tmst = 0;                // concentrator counter, us
  uint64_t frequencyHz = 0;
  int channel = 0;
  int rfChain = 0;
  int crcStatus = 1;       // 1 OK, -1 bad, 0 none
  std::string modulation;  // "LORA", "FSK", "LR-FHSS"
  std::string dataRate;    // "SF7BW125", FSK bitrate as text, "M0CW137"
  std::optional<std::string> codeRate;
  double rssi = 0;
  std::optional<double> snr;
  std::vector<RxSignal> rsig;
  Bytes phyPayload;
};

struct PushData {
  // Each rxpk parses on its own: one bad entry does not hide the good ones.
  std::vector<std::expected<RxPacket, ParseError>> rxpk;
  bool hasStat = false;
  std::string statJson;  // the `stat` object, kept verbatim for the gateway registry
};

// Reusable PUSH_DATA parser (simdjson underneath: nlohmann cost 3.5 us per rxpk, see bench/).
// Keeps its buffers between calls; one per thread.
class PushDataParser {
 public:
  PushDataParser();
  ~PushDataParser();
  PushDataParser(const PushDataParser&) = delete;
  PushDataParser& operator=(const PushDataParser&) = delete;
  std::expected<PushData, ParseError> parse(std::span<const uint8_t> json);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-off convenience (tools, tests): a fresh parser per call.
std::expected<PushData, ParseError> parsePushData(std::span<const uint8_t> json);

// For tools and tests: PUSH_DATA bytes for a gateway and rxpk JSON array text.
Bytes makePushData(uint8_t version, uint16_t token, Eui64 gateway, const std::string& bodyJson);
// One rxpk object as a packet forwarder writes it (time, tmms and rsig left out).
std::string rxpkJson(const RxPacket& rx);
Bytes makePullData(uint8_t version, uint16_t token, Eui64 gateway);
Bytes makePullResp(uint8_t version, uint16_t token, const std::string& txpkJson);

// A downlink for PULL_RESP (`txpk`). Timed on the gateway's concentrator clock (tmst).
struct TxPacket {
  bool immediate = false;
  uint32_t tmst = 0;
  uint64_t frequencyHz = 0;
  int rfChain = 0;
  int powerDbm = 14;
  std::string modulation = "LORA";
  std::string dataRate;  // "SF7BW125"
  std::string codeRate = "4/5";
  bool invertPolarity = true;  // downlinks to devices: ipol true
  Bytes phyPayload;
};
std::string txpkJson(const TxPacket& tx);  // {"txpk":{...}}

// TX_ACK error values of PROTOCOL.TXT; "NONE" is success.
struct TxAck {
  std::string error = "NONE";
};
std::expected<TxAck, ParseError> parseTxAck(std::span<const uint8_t> json);

}  // namespace lorawan::semtech
