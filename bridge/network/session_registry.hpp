#pragma once
// Sessions of the configured interfaces (ABP from config, OTAA from joins), looked up by DevAddr.
// Several sessions may share a DevAddr; the MIC tells them apart. OTAA devices are also found by
// DevEUI for joins.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "bridge/store/store.hpp"
#include "codecs/codec.hpp"
#include "config/interface.hpp"
#include "lorawan/types.hpp"

namespace bridge {

struct Session {
  // Shared with the registry's index of interfaces: a million devices hold one copy each.
  std::shared_ptr<const config::Interface> itf;
  lorawan::DevAddr devAddr;
  lorawan::Aes128Key nwkSKey;  // 1.0.x NwkSKey; FNwkSIntKey in 1.1
  lorawan::Aes128Key appSKey;
  bool lorawan11 = false;
  lorawan::Aes128Key sNwkSIntKey, nwkSEncKey;  // 1.1 only
  std::optional<FCntState> fcnt;               // nullopt: no frame accepted yet in this session
  uint32_t lastConfirmedFCntDown = 0;          // 1.1: ConfFCnt of an uplink that ACKs it
  // ADR (in memory: after a restart the measurement starts again).
  std::vector<double> adrSnrs;
  uint8_t txPowerIndex = 0;
  std::optional<uint8_t> pendingTxPowerIndex;  // sent in LinkADRReq, applied on LinkADRAns
  std::shared_ptr<const codecs::CodecSet> codecs;
  // What the bridge saw of the device (API status, seed 003); kept here, not in a map of its
  // own, so a million devices cost a few bytes each. 0 / NaN: not known.
  struct Seen {
    int64_t atMs = 0;
    float rssi = 0, snr = 0;
    bool hasSnr = false;
    uint64_t gateway = 0;
    int16_t battery = -1;  // DevStatusAns: 0 external power, 1..254 level, 255 unknown; -1 none yet
    int8_t margin = 0;
    bool loaded = false;  // restored from the last stored uplink after a start
  } seen;
};

class SessionRegistry {
 public:
  // ABP sessions from the interfaces; OTAA sessions from the store's last join.
  void load(const std::vector<config::Interface>& interfaces, SessionStore& store);
  // Adds or replaces one interface, effective at once: a changed ABP session, a new OTAA
  // device, a disabled one. Its counters and OTAA session come from the store.
  void upsert(const config::Interface& itf, SessionStore& store);
  // Many at once (the interface files at start): the store's counters read in one go.
  void upsertAll(std::vector<config::Interface> interfaces, SessionStore& store);
  void remove(const std::string& interfaceId);
  // Every interface (joined or not), by id.
  using Interfaces = std::map<std::string, std::shared_ptr<const config::Interface>>;
  const Interfaces& interfaces() const { return all_; }
  const config::Interface* interfaceById(const std::string& id) const;
  std::shared_ptr<const config::Interface> shared(const std::string& id) const;
  const std::vector<Session*>& byDevAddr(lorawan::DevAddr a) const;
  Session* byInterfaceId(const std::string& id) const;
  // The interface a device name (id or slug) refers to; nullptr when none.
  const config::Interface* interfaceForDevice(const std::string& deviceIdOrSlug) const;
  // OTAA interfaces by DevEUI (whether joined or not).
  const config::Interface* otaaByDevEui(lorawan::Eui64 devEui) const;
  // Replaces the interface's session (a join): the old DevAddr stops matching at once.
  Session& install(std::unique_ptr<Session> s);
  size_t size() const { return sessions_.size(); }

 private:
  void add(std::shared_ptr<const config::Interface> itf, SessionStore& store,
           std::optional<FCntState> counters);
  void unindex(Session& s);  // out of byAddr_

  std::unordered_map<std::string, std::unique_ptr<Session>> sessions_;  // by interface id
  std::unordered_map<lorawan::DevAddr, std::vector<Session*>> byAddr_;
  // The interfaces themselves live in all_ (map nodes do not move); the indexes point there.
  Interfaces all_;  // ordered: API pages continue after an id
  std::unordered_map<lorawan::Eui64, const config::Interface*> otaa_;
  std::unordered_map<std::string, const config::Interface*> byDevice_;
  std::vector<Session*> none_;
};

}  // namespace bridge
