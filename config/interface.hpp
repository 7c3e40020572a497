#pragma once
// A seed-000 interface: one device connected to one driver instance, with LoRaWAN opts.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codecs/codec.hpp"
#include "lorawan/types.hpp"

namespace config {

enum class DeviceType { Abp, Otaa };

struct InterfaceOpts {
  bool enabled = true;
  bool managed = true;
  DeviceType deviceType = DeviceType::Abp;
  std::optional<lorawan::Eui64> deviceEui;
  std::optional<lorawan::Eui64> joinEui;         // `eui`
  std::optional<lorawan::Aes128Key> deviceKey;   // AppKey
  std::optional<lorawan::Aes128Key> networkKey;  // NwkKey (1.1)
  std::optional<lorawan::DevAddr> deviceAddress;
  std::optional<lorawan::Aes128Key> networkSessionKey;
  std::optional<lorawan::Aes128Key> appSessionKey;
  bool duplicateFramecounterAllowed = false;
  // Our extension to seed 000: the device's LoRaWAN version ("1.0.2", "1.0.3", "1.0.4", "1.1").
  // From 1.0.4 DevNonces must increase; 1.1 joins use the NwkKey (network_key) and OptNeg.
  std::string macVersion = "1.0.3";
  // Our extension: SNR-margin ADR for this device (off by default; EU-like bands).
  bool adr = false;
};

struct Interface {
  std::string id;  // UUID
  std::string deviceIdOrSlug;
  std::string driverInstanceId;
  std::vector<std::string> tags;  // our extension: the device's tags (filter with fa:tags=...)
  codecs::CodecSpec codec;
  std::shared_ptr<const codecs::CodecSet> codecs;  // built (and checked) at load
  InterfaceOpts opts;
  std::string origin;  // "file.yaml:12", for messages
};

bool looksLikeUuid(const std::string& s);

}  // namespace config
