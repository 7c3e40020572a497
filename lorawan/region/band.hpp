#pragma once
// Regional parameters as tables (LoRaWAN RP002-1.0.3, no dwell-time limits). One file per band;
// this header is the thin interface the network server uses.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lorawan::region {

enum class Modulation : uint8_t { None, Lora, Fsk, LrFhss };

struct DataRate {
  Modulation modulation = Modulation::None;  // None: RFU in this band
  uint8_t spreadingFactor = 0;
  uint32_t bandwidthHz = 0;
  uint32_t fskBitrate = 0;
  uint8_t maxFrmPayload = 0;  // N of RP002: FRMPayload bytes without FOpts (M - 8)
  bool uplink = false;
  bool downlink = false;
};

struct Band {
  std::string_view name;
  std::span<const DataRate> dataRates;  // index = DR
  uint8_t maxRx1DrOffset;
  uint8_t (*rx1DataRate)(uint8_t uplinkDr, uint8_t rx1DrOffset);
  uint64_t (*rx1FrequencyHz)(uint64_t uplinkFrequencyHz);
  uint64_t rx2FrequencyHz;
  uint8_t rx2DataRate;
  int downlinkTxPowerDbm;                    // EIRP used for downlinks
  uint8_t cfListType;                        // 0: extra channel frequencies, 1: channel mask
  std::span<const uint64_t> joinChannelsHz;  // default (join) uplink channels
  // Fixed channel plans (US915/AU915): the uplink channel number of a frequency, -1 if none.
  int (*fixedUplinkChannel)(uint64_t frequencyHz) = nullptr;
  uint8_t adrMaxDr = 5;         // highest LoRa 125 kHz uplink DR ADR may assign
  uint8_t maxTxPowerIndex = 7;  // TXPower index range 0..max (each step -2 dB)
};

// Demodulation floor (dB SNR) per spreading factor: LinkCheckAns margins and ADR start here.
double requiredSnrDb(uint8_t spreadingFactor);

// "EU868", "US915", "AU915", "AS923" (= AS923-1), "AS923-2", "AS923-3", "AS923-4", "IN865",
// "KR920"; case-sensitive as in the LoRa Alliance documents. nullptr when unknown.
const Band* findBand(std::string_view name);
std::vector<std::string_view> bandNames();

// "SF7BW125" / "SF8BW500" for LoRa, the bitrate ("50000") for FSK, as forwarders write them.
std::optional<uint8_t> dataRateIndex(const Band& b, std::string_view datr, bool uplink);
std::string dataRateName(const Band& b, uint8_t dr);
// Max FRMPayload at `dr` when `foptsLen` bytes of FOpts ride along; 0 for an unknown DR.
size_t maxFrmPayload(const Band& b, uint8_t dr, size_t foptsLen = 0);

// CFList for a JoinAccept. Type 0 (EU-like): up to 5 extra channel frequencies. Type 1
// (US915/AU915): the channel mask enabling `subBand` (1..8: 8 x 125 kHz + one 500 kHz channel).
std::optional<std::array<uint8_t, 16>> cfList(const Band& b,
                                              std::span<const uint64_t> extraChannelsHz,
                                              int subBand);

// The uplink channel index the device used (LoRaWAN 1.1 MIC's TxCh): the fixed plan's number,
// or the position among the default channels followed by the CFList's extra channels.
std::optional<uint8_t> uplinkChannelIndex(const Band& b, uint64_t frequencyHz,
                                          std::span<const uint64_t> extraChannelsHz);

// Shared rules, used by the band files.
uint8_t rx1DrSubtract(uint8_t up, uint8_t offset);    // max(0, up - offset)
uint8_t rx1DrAs923Style(uint8_t up, uint8_t offset);  // offsets 6, 7 mean +1, +2; DR0..5
uint64_t sameFrequency(uint64_t upHz);

}  // namespace lorawan::region
