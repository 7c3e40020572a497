#include "lorawan/region/band.hpp"

#include <algorithm>
#include <charconv>

namespace lorawan::region {

extern const Band kEu868, kUs915, kAu915, kAs923_1, kAs923_2, kAs923_3, kAs923_4, kIn865, kKr920;

namespace {
const Band* const kBands[] = {&kEu868,   &kUs915,   &kAu915, &kAs923_1, &kAs923_2,
                              &kAs923_3, &kAs923_4, &kIn865, &kKr920};
}  // namespace

const Band* findBand(std::string_view name) {
  if (name == "AS923-1") name = "AS923";
  for (const Band* b : kBands)
    if (b->name == name) return b;
  return nullptr;
}

std::vector<std::string_view> bandNames() {
  std::vector<std::string_view> out;
  for (const Band* b : kBands) out.push_back(b->name);
  return out;
}

std::optional<uint8_t> dataRateIndex(const Band& b, std::string_view datr, bool uplink) {
  uint8_t sf = 0;
  uint32_t bwKhz = 0, bitrate = 0;
  if (datr.size() > 4 && datr.substr(0, 2) == "SF") {
    auto bw = datr.find("BW");
    if (bw == std::string_view::npos) return std::nullopt;
    auto r1 = std::from_chars(datr.data() + 2, datr.data() + bw, sf);
    auto r2 = std::from_chars(datr.data() + bw + 2, datr.data() + datr.size(), bwKhz);
    if (r1.ec != std::errc() || r2.ec != std::errc() || r2.ptr != datr.data() + datr.size())
      return std::nullopt;
  } else {
    auto r = std::from_chars(datr.data(), datr.data() + datr.size(), bitrate);
    if (r.ec != std::errc() || r.ptr != datr.data() + datr.size()) return std::nullopt;
  }
  for (size_t i = 0; i < b.dataRates.size(); ++i) {
    const DataRate& d = b.dataRates[i];
    if (uplink ? !d.uplink : !d.downlink) continue;
    if (sf && d.modulation == Modulation::Lora && d.spreadingFactor == sf &&
        d.bandwidthHz == bwKhz * 1000)
      return uint8_t(i);
    if (bitrate && d.modulation == Modulation::Fsk && d.fskBitrate == bitrate) return uint8_t(i);
  }
  return std::nullopt;
}

std::string dataRateName(const Band& b, uint8_t dr) {
  if (dr >= b.dataRates.size()) return "";
  const DataRate& d = b.dataRates[dr];
  if (d.modulation == Modulation::Lora)
    return "SF" + std::to_string(d.spreadingFactor) + "BW" + std::to_string(d.bandwidthHz / 1000);
  if (d.modulation == Modulation::Fsk) return std::to_string(d.fskBitrate);
  return "";
}

size_t maxFrmPayload(const Band& b, uint8_t dr, size_t foptsLen) {
  if (dr >= b.dataRates.size() || b.dataRates[dr].modulation == Modulation::None) return 0;
  size_t n = b.dataRates[dr].maxFrmPayload;
  return foptsLen >= n ? 0 : n - foptsLen;
}

std::optional<std::array<uint8_t, 16>> cfList(const Band& b, std::span<const uint64_t> extra,
                                              int subBand) {
  std::array<uint8_t, 16> out{};
  if (b.cfListType == 0) {
    if (extra.empty()) return std::nullopt;
    for (size_t i = 0; i < extra.size() && i < 5; ++i) {
      uint32_t f = uint32_t(extra[i] / 100);  // 100 Hz units, little-endian
      out[3 * i] = uint8_t(f), out[3 * i + 1] = uint8_t(f >> 8), out[3 * i + 2] = uint8_t(f >> 16);
    }
    out[15] = 0;
    return out;
  }
  if (subBand < 1 || subBand > 8) return std::nullopt;
  // ChMask0..3 cover the 64 x 125 kHz channels, ChMask4 the 8 x 500 kHz ones.
  const int first = (subBand - 1) * 8;
  for (int ch = first; ch < first + 8; ++ch) out[size_t(ch / 8)] |= uint8_t(1u << (ch % 8));
  out[8] = uint8_t(1u << (subBand - 1));
  out[15] = 1;
  return out;
}

std::optional<uint8_t> uplinkChannelIndex(const Band& b, uint64_t f,
                                          std::span<const uint64_t> extra) {
  if (b.fixedUplinkChannel) {
    int ch = b.fixedUplinkChannel(f);
    return ch < 0 ? std::nullopt : std::optional<uint8_t>(uint8_t(ch));
  }
  for (size_t i = 0; i < b.joinChannelsHz.size(); ++i)
    if (b.joinChannelsHz[i] == f) return uint8_t(i);
  for (size_t i = 0; i < extra.size(); ++i)
    if (extra[i] == f) return uint8_t(b.joinChannelsHz.size() + i);
  return std::nullopt;
}

double requiredSnrDb(uint8_t sf) {
  static const double kFloor[] = {-7.5, -10,   -12.5,
                                  -15,  -17.5, -20};  // SF7..SF12, SX127x datasheet
  return sf >= 7 && sf <= 12 ? kFloor[sf - 7] : 0;
}

uint8_t rx1DrSubtract(uint8_t up, uint8_t offset) {
  return up > offset ? uint8_t(up - offset) : 0;
}

uint8_t rx1DrAs923Style(uint8_t up, uint8_t offset) {
  int eff = offset <= 5 ? offset : 5 - offset;  // 6 -> -1, 7 -> -2
  return uint8_t(std::clamp(int(up) - eff, 0, 5));
}

uint64_t sameFrequency(uint64_t upHz) {
  return upHz;
}

}  // namespace lorawan::region
