#pragma once
// One provisioned interface as the registry keeps it, and its session once it has one. Kept
// compact: a million ABP devices cost their ids, names, keys and counters, not a million copies
// of what they share (codec, driver, tags, flags), which lives once in an InterfaceProfile.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/store/records.hpp"
#include "codecs/codec.hpp"
#include "config/interface.hpp"
#include "lorawan/types.hpp"

namespace bridge {

// What many interfaces have in common: the defaults of one file, one codec, one driver.
struct InterfaceProfile {
  std::string driverInstanceId;
  std::vector<std::string> tags;
  codecs::CodecSpec codec;
  std::shared_ptr<const codecs::CodecSet> codecs;  // never null: raw when none was built
  config::DeviceType deviceType = config::DeviceType::Abp;
  bool enabled = true;
  bool managed = true;
  bool duplicateFramecounterAllowed = false;
  bool adr = false;
  std::string macVersion;
  std::optional<lorawan::Eui64> joinEui;
  // Created through the API (or restored from the store after a start), not read from a file.
  // Only that is kept of its origin: a file's line would make every profile different.
  bool fromApi = false;

  bool operator==(const InterfaceProfile&) const = default;
};

// An interface id in place (a UUID, 36 characters): no heap string per device.
class InterfaceId {
 public:
  InterfaceId() = default;
  explicit InterfaceId(std::string_view s);  // at most 36 characters (config checks UUIDs)
  std::string_view view() const { return {chars_.data(), len_}; }
  std::string str() const { return std::string(view()); }
  bool empty() const { return len_ == 0; }
  bool operator==(std::string_view s) const { return view() == s; }

 private:
  std::array<char, 36> chars_{};
  uint8_t len_ = 0;
};

struct Session {
  // The interface.
  InterfaceId id;
  bool active = false;  // has a session: ABP keys, or an OTAA join
  bool lorawan11 = false;
  bool abpInline = false;  // its configured DevAddr and keys are devAddr/nwkSKey/appSKey below
  lorawan::DevAddr devAddr;
  uint32_t slot = 0;   // the registry's (where this session lives)
  std::string device;  // device_id_or_slug
  std::shared_ptr<const InterfaceProfile> profile;
  std::optional<lorawan::Eui64> deviceEui;

  // The session.
  lorawan::Aes128Key nwkSKey;  // 1.0.x NwkSKey; FNwkSIntKey in 1.1
  lorawan::Aes128Key appSKey;
  std::optional<FCntState> fcnt;               // nullopt: no frame accepted yet in this session
  uint32_t lastConfirmedFCntDown = 0;          // 1.1: ConfFCnt of an uplink that ACKs it
  uint8_t txPowerIndex = 0;                    // ADR (in memory: after a restart it starts again)
  std::optional<uint8_t> pendingTxPowerIndex;  // sent in LinkADRReq, applied on LinkADRAns
  // What the bridge saw of the device (API status, seed 003). 0 / NaN: not known.
  struct Seen {
    int64_t atMs = 0;
    uint64_t gateway = 0;
    float rssi = 0, snr = 0;
    int16_t battery = -1;  // DevStatusAns: 0 external power, 1..254 level, 255 unknown; -1 none yet
    int8_t margin = 0;
    bool hasSnr = false;
    bool loaded = false;  // restored from the last stored uplink after a start
  } seen;

  // What few devices have: OTAA root keys, 1.1 session keys, ADR measurements, configured ABP
  // fields that are not the session's (an OTAA interface, an incomplete ABP one).
  struct Extra {
    std::optional<lorawan::Aes128Key> deviceKey, networkKey;
    std::optional<lorawan::DevAddr> deviceAddress;
    std::optional<lorawan::Aes128Key> networkSessionKey, appSessionKey;
    lorawan::Aes128Key sNwkSIntKey, nwkSEncKey;  // 1.1 only
    std::vector<double> adrSnrs;
  };
  std::unique_ptr<Extra> extra;
  Extra& more() {
    if (!extra) extra = std::make_unique<Extra>();
    return *extra;
  }

  // 1.1 keys; a 1.0 session uses its NwkSKey for all three.
  const lorawan::Aes128Key& sNwkSIntKey() const {
    return lorawan11 && extra ? extra->sNwkSIntKey : nwkSKey;
  }
  const lorawan::Aes128Key& nwkSEncKey() const {
    return lorawan11 && extra ? extra->nwkSEncKey : nwkSKey;
  }
  const codecs::CodecSet& codecs() const { return *profile->codecs; }
  const std::shared_ptr<const codecs::CodecSet>& sharedCodecs() const { return profile->codecs; }

  // The interface as configured (API views, edits): built on demand.
  config::Interface toInterface() const;
};

}  // namespace bridge
