#pragma once
// The test devices shared by pipeline and daemon tests (same keys as config/bridge.example.yaml).
#include <string>

#include "config/interface.hpp"
#include "support/frames.hpp"

namespace testsupport {

inline const AbpDevice kCellar{
    lorawan::DevAddr(0x26011BDA),
    lorawan::Aes128Key::parse("2B7E151628AED2A6ABF7158809CF4F3C").value(),
    lorawan::Aes128Key::parse("3C4FCF098815F7ABA6D2AE2816157E2B").value()};
inline const AbpDevice kDoor{lorawan::DevAddr(0x26011BDB),
                             lorawan::Aes128Key::parse("000102030405060708090A0B0C0D0E0F").value(),
                             lorawan::Aes128Key::parse("0F0E0D0C0B0A09080706050403020100").value()};

inline config::Interface abpInterface(const std::string& id, const std::string& slug,
                                      const AbpDevice& d, bool allowDuplicateFCnt = false) {
  config::Interface i;
  i.id = id;
  i.deviceIdOrSlug = slug;
  i.opts.deviceType = config::DeviceType::Abp;
  i.opts.deviceAddress = d.devAddr;
  i.opts.networkSessionKey = d.nwkSKey;
  i.opts.appSessionKey = d.appSKey;
  i.opts.duplicateFramecounterAllowed = allowDuplicateFCnt;
  return i;
}

}  // namespace testsupport
