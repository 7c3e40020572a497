#pragma once
// MAC commands of LoRaWAN 1.0.4 and 1.1 (plus Class B and the 1.0.2 BeaconTiming pair), both
// directions, described by one table: CID, name, length and the bit fields of each direction.
// Parse a FOpts / FPort-0 byte string into commands; build commands from named field values.
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lorawan/parse_error.hpp"
#include "lorawan/types.hpp"

namespace lorawan {

// Who sends the command: the device (uplink) or the network (downlink).
enum class MacDirection { Uplink, Downlink };

struct MacField {
  const char* name;
  uint8_t offset;  // byte offset in the command payload
  uint8_t size;    // bytes, little-endian
  uint8_t shift;   // bit shift within the little-endian integer
  uint32_t mask;   // after shifting
};

struct MacCommandSpec {
  uint8_t cid;
  const char* name;
  uint8_t length;  // payload bytes after the CID
  std::vector<MacField> fields;
};

// nullptr when the CID is unknown for that direction (0x80..0xFF are proprietary).
const MacCommandSpec* findMacCommand(MacDirection dir, uint8_t cid);
const MacCommandSpec* findMacCommand(MacDirection dir, std::string_view name);

struct MacCommand {
  uint8_t cid = 0;
  Bytes payload;  // bytes after the CID
  bool operator==(const MacCommand&) const = default;
};

// Proprietary commands (CID >= 0x80) have no known length: they take the rest of the input.
std::expected<std::vector<MacCommand>, ParseError> parseMacCommands(MacDirection dir,
                                                                    std::span<const uint8_t> b);
Bytes serialize(const std::vector<MacCommand>& cmds);

// Field values of a parsed command, in table order; empty for proprietary commands.
std::vector<std::pair<std::string, uint32_t>> macFields(MacDirection dir, const MacCommand& cmd);
// Builds a command from field values by name; unknown names or out-of-range values are errors.
std::expected<MacCommand, std::string> buildMacCommand(
    MacDirection dir, std::string_view name,
    const std::vector<std::pair<std::string, uint32_t>>& values);

// "LinkCheckReq", "DevStatusAns(battery=255 margin=10)" — for logs.
std::string describe(MacDirection dir, const MacCommand& cmd);

}  // namespace lorawan
