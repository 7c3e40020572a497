#include "lorawan/mac_commands.hpp"

#include <algorithm>

namespace lorawan {
namespace {

// RP002/TS001 layouts. Frequencies are 24-bit little-endian in units of 100 Hz.
const std::vector<MacCommandSpec>& uplinkTable() {
  static const std::vector<MacCommandSpec> t = {
      {0x01, "ResetInd", 1, {{"minor", 0, 1, 0, 0x0F}}},
      {0x02, "LinkCheckReq", 0, {}},
      {0x03,
       "LinkADRAns",
       1,
       {{"power_ack", 0, 1, 2, 1},
        {"data_rate_ack", 0, 1, 1, 1},
        {"channel_mask_ack", 0, 1, 0, 1}}},
      {0x04, "DutyCycleAns", 0, {}},
      {0x05,
       "RXParamSetupAns",
       1,
       {{"rx1_dr_offset_ack", 0, 1, 2, 1},
        {"rx2_data_rate_ack", 0, 1, 1, 1},
        {"channel_ack", 0, 1, 0, 1}}},
      {0x06, "DevStatusAns", 2, {{"battery", 0, 1, 0, 0xFF}, {"margin", 1, 1, 0, 0x3F}}},
      {0x07,
       "NewChannelAns",
       1,
       {{"data_rate_range_ok", 0, 1, 1, 1}, {"channel_freq_ok", 0, 1, 0, 1}}},
      {0x08, "RXTimingSetupAns", 0, {}},
      {0x09, "TxParamSetupAns", 0, {}},
      {0x0A,
       "DlChannelAns",
       1,
       {{"uplink_freq_exists", 0, 1, 1, 1}, {"channel_freq_ok", 0, 1, 0, 1}}},
      {0x0B, "RekeyInd", 1, {{"minor", 0, 1, 0, 0x0F}}},
      {0x0C, "ADRParamSetupAns", 0, {}},
      {0x0D, "DeviceTimeReq", 0, {}},
      {0x0F, "RejoinParamSetupAns", 1, {{"time_ok", 0, 1, 0, 1}}},
      {0x10, "PingSlotInfoReq", 1, {{"periodicity", 0, 1, 0, 7}}},
      {0x11,
       "PingSlotChannelAns",
       1,
       {{"data_rate_ok", 0, 1, 1, 1}, {"channel_freq_ok", 0, 1, 0, 1}}},
      {0x12, "BeaconTimingReq", 0, {}},
      {0x13, "BeaconFreqAns", 1, {{"beacon_freq_ok", 0, 1, 0, 1}}},
      {0x20, "DeviceModeInd", 1, {{"class", 0, 1, 0, 0xFF}}},
  };
  return t;
}

const std::vector<MacCommandSpec>& downlinkTable() {
  static const std::vector<MacCommandSpec> t = {
      {0x01, "ResetConf", 1, {{"minor", 0, 1, 0, 0x0F}}},
      {0x02, "LinkCheckAns", 2, {{"margin", 0, 1, 0, 0xFF}, {"gw_cnt", 1, 1, 0, 0xFF}}},
      {0x03,
       "LinkADRReq",
       4,
       {{"data_rate", 0, 1, 4, 0x0F},
        {"tx_power", 0, 1, 0, 0x0F},
        {"ch_mask", 1, 2, 0, 0xFFFF},
        {"ch_mask_cntl", 3, 1, 4, 7},
        {"nb_trans", 3, 1, 0, 0x0F}}},
      {0x04, "DutyCycleReq", 1, {{"max_duty_cycle", 0, 1, 0, 0x0F}}},
      {0x05,
       "RXParamSetupReq",
       4,
       {{"rx1_dr_offset", 0, 1, 4, 7},
        {"rx2_data_rate", 0, 1, 0, 0x0F},
        {"frequency", 1, 3, 0, 0xFFFFFF}}},
      {0x06, "DevStatusReq", 0, {}},
      {0x07,
       "NewChannelReq",
       5,
       {{"ch_index", 0, 1, 0, 0xFF},
        {"frequency", 1, 3, 0, 0xFFFFFF},
        {"max_dr", 4, 1, 4, 0x0F},
        {"min_dr", 4, 1, 0, 0x0F}}},
      {0x08, "RXTimingSetupReq", 1, {{"delay", 0, 1, 0, 0x0F}}},
      {0x09,
       "TxParamSetupReq",
       1,
       {{"downlink_dwell_time", 0, 1, 5, 1},
        {"uplink_dwell_time", 0, 1, 4, 1},
        {"max_eirp", 0, 1, 0, 0x0F}}},
      {0x0A, "DlChannelReq", 4, {{"ch_index", 0, 1, 0, 0xFF}, {"frequency", 1, 3, 0, 0xFFFFFF}}},
      {0x0B, "RekeyConf", 1, {{"minor", 0, 1, 0, 0x0F}}},
      {0x0C, "ADRParamSetupReq", 1, {{"limit_exp", 0, 1, 4, 0x0F}, {"delay_exp", 0, 1, 0, 0x0F}}},
      {0x0D, "DeviceTimeAns", 5, {{"seconds", 0, 4, 0, 0xFFFFFFFF}, {"fractional", 4, 1, 0, 0xFF}}},
      {0x0E,
       "ForceRejoinReq",
       2,
       {{"period", 0, 2, 11, 7},
        {"max_retries", 0, 2, 8, 7},
        {"rejoin_type", 0, 2, 4, 7},
        {"data_rate", 0, 2, 0, 0x0F}}},
      {0x0F,
       "RejoinParamSetupReq",
       1,
       {{"max_time_n", 0, 1, 4, 0x0F}, {"max_count_n", 0, 1, 0, 0x0F}}},
      {0x10, "PingSlotInfoAns", 0, {}},
      {0x11,
       "PingSlotChannelReq",
       4,
       {{"frequency", 0, 3, 0, 0xFFFFFF}, {"data_rate", 3, 1, 0, 0x0F}}},
      {0x12, "BeaconTimingAns", 3, {{"delay", 0, 2, 0, 0xFFFF}, {"channel", 2, 1, 0, 0xFF}}},
      {0x13, "BeaconFreqReq", 3, {{"frequency", 0, 3, 0, 0xFFFFFF}}},
      {0x20, "DeviceModeConf", 1, {{"class", 0, 1, 0, 0xFF}}},
  };
  return t;
}

const std::vector<MacCommandSpec>& table(MacDirection d) {
  return d == MacDirection::Uplink ? uplinkTable() : downlinkTable();
}

uint32_t readLe(std::span<const uint8_t> p, uint8_t off, uint8_t size) {
  uint32_t v = 0;
  for (int i = size - 1; i >= 0; --i) v = v << 8 | p[size_t(off + i)];
  return v;
}

}  // namespace

const MacCommandSpec* findMacCommand(MacDirection dir, uint8_t cid) {
  for (const auto& s : table(dir))
    if (s.cid == cid) return &s;
  return nullptr;
}

const MacCommandSpec* findMacCommand(MacDirection dir, std::string_view name) {
  for (const auto& s : table(dir))
    if (name == s.name) return &s;
  return nullptr;
}

std::expected<std::vector<MacCommand>, ParseError> parseMacCommands(MacDirection dir,
                                                                    std::span<const uint8_t> b) {
  std::vector<MacCommand> out;
  size_t i = 0;
  while (i < b.size()) {
    uint8_t cid = b[i];
    size_t len;
    if (cid >= 0x80) {
      len = b.size() - i - 1;
    } else {
      const MacCommandSpec* spec = findMacCommand(dir, cid);
      if (!spec)
        return std::unexpected(ParseError{"MAC command", "unknown CID 0x" + toHex(b.subspan(i, 1)) +
                                                             " at byte " + std::to_string(i)});
      len = spec->length;
      if (i + 1 + len > b.size())
        return std::unexpected(ParseError{spec->name, "needs " + std::to_string(len) + " bytes, " +
                                                          std::to_string(b.size() - i - 1) +
                                                          " remain"});
    }
    out.push_back({cid, Bytes(b.begin() + long(i) + 1, b.begin() + long(i + 1 + len))});
    i += 1 + len;
  }
  return out;
}

Bytes serialize(const std::vector<MacCommand>& cmds) {
  Bytes out;
  for (const auto& c : cmds) {
    out.push_back(c.cid);
    out.insert(out.end(), c.payload.begin(), c.payload.end());
  }
  return out;
}

std::vector<std::pair<std::string, uint32_t>> macFields(MacDirection dir, const MacCommand& cmd) {
  std::vector<std::pair<std::string, uint32_t>> out;
  const MacCommandSpec* spec = findMacCommand(dir, cmd.cid);
  if (!spec || cmd.payload.size() != spec->length) return out;
  for (const auto& f : spec->fields)
    out.emplace_back(f.name, readLe(cmd.payload, f.offset, f.size) >> f.shift & f.mask);
  return out;
}

std::expected<MacCommand, std::string> buildMacCommand(
    MacDirection dir, std::string_view name,
    const std::vector<std::pair<std::string, uint32_t>>& values) {
  const MacCommandSpec* spec = findMacCommand(dir, name);
  if (!spec) return std::unexpected("unknown MAC command " + std::string(name));
  MacCommand cmd{spec->cid, Bytes(spec->length, 0)};
  for (const auto& [key, value] : values) {
    auto f = std::find_if(spec->fields.begin(), spec->fields.end(),
                          [&](const MacField& m) { return key == m.name; });
    if (f == spec->fields.end())
      return std::unexpected(std::string(spec->name) + " has no field " + key);
    if (value > f->mask)
      return std::unexpected(std::string(spec->name) + "." + key + " = " + std::to_string(value) +
                             " exceeds " + std::to_string(f->mask));
    uint32_t word = readLe(cmd.payload, f->offset, f->size);
    word = (word & ~(f->mask << f->shift)) | value << f->shift;
    for (uint8_t i = 0; i < f->size; ++i) cmd.payload[f->offset + i] = uint8_t(word >> (8 * i));
  }
  return cmd;
}

std::string describe(MacDirection dir, const MacCommand& cmd) {
  const MacCommandSpec* spec = cmd.cid < 0x80 ? findMacCommand(dir, cmd.cid) : nullptr;
  if (!spec)
    return "Proprietary(0x" + toHex(std::span(&cmd.cid, 1)) + " " + toHex(cmd.payload) + ")";
  std::string s = spec->name;
  auto fields = macFields(dir, cmd);
  if (fields.empty()) return s;
  s += "(";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) s += " ";
    s += fields[i].first + "=" + std::to_string(fields[i].second);
  }
  return s + ")";
}

}  // namespace lorawan
