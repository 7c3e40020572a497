#include "bridge/network/session_registry.hpp"

#include <algorithm>
#include <functional>
#include <stdexcept>

namespace bridge {

namespace {
uint64_t mix(uint64_t x) {  // spreads small keys (DevAddrs, EUIs) over the low bits
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  return x ^ (x >> 33);
}
uint64_t hashText(std::string_view s) {
  return std::hash<std::string_view>{}(s);
}
uint64_t hashAddr(lorawan::DevAddr a) {
  return mix(a.value());
}
uint64_t hashEui(lorawan::Eui64 e) {
  return mix(e.value());
}

bool isOtaa(const Session& s) {
  return s.profile->deviceType == config::DeviceType::Otaa;
}
}  // namespace

InterfaceId::InterfaceId(std::string_view s) {
  if (s.size() > chars_.size())
    throw std::invalid_argument("interface id longer than 36 characters: " + std::string(s));
  std::copy(s.begin(), s.end(), chars_.begin());
  len_ = uint8_t(s.size());
}

config::Interface Session::toInterface() const {
  config::Interface itf;
  const InterfaceProfile& p = *profile;
  itf.id = id.str();
  itf.deviceIdOrSlug = device;
  itf.driverInstanceId = p.driverInstanceId;
  itf.tags = p.tags;
  itf.codec = p.codec;
  itf.codecs = p.codecs;
  itf.origin = p.fromApi ? "api" : "interface files";
  auto& o = itf.opts;
  o.enabled = p.enabled;
  o.managed = p.managed;
  o.deviceType = p.deviceType;
  o.deviceEui = deviceEui;
  o.joinEui = p.joinEui;
  o.duplicateFramecounterAllowed = p.duplicateFramecounterAllowed;
  o.macVersion = p.macVersion;
  o.adr = p.adr;
  if (abpInline) {
    o.deviceAddress = devAddr;
    o.networkSessionKey = nwkSKey;
    o.appSessionKey = appSKey;
  } else if (extra) {
    o.deviceAddress = extra->deviceAddress;
    o.networkSessionKey = extra->networkSessionKey;
    o.appSessionKey = extra->appSessionKey;
  }
  if (extra) {
    o.deviceKey = extra->deviceKey;
    o.networkKey = extra->networkKey;
  }
  return itf;
}

void SessionRegistry::load(const std::vector<config::Interface>& interfaces, SessionStore& store) {
  chunks_.clear();
  slots_ = 0;
  free_.clear();
  active_ = 0;
  byId_.clear();
  byDevice_.clear();
  byAddr_.clear();
  otaa_.clear();
  recentProfiles_.clear();
  upsertAll(interfaces, store);  // a copy: the caller keeps its list
}

void SessionRegistry::upsertAll(std::vector<config::Interface> interfaces, SessionStore& store) {
  // One read of every counter instead of a query per device.
  const auto counters = store.allFCnt();
  // Into an empty registry (the start): nothing to replace, ids are unique (the config checked).
  const bool replacing = interfaceCount() > 0;
  reserve(interfaces.size());
  for (auto& itf : interfaces) {
    auto it = counters.find(itf.id);
    add(itf, store, it == counters.end() ? std::nullopt : std::optional(it->second), replacing);
    itf = config::Interface();  // its memory goes back as the registry's grows
  }
}

void SessionRegistry::upsert(const config::Interface& itf, SessionStore& store) {
  add(itf, store, store.loadFCnt(itf.id), true);
}

void SessionRegistry::reserve(size_t more) {
  const size_t n = byId_.size() + more;
  byId_.reserve(n, [this](uint32_t i) { return hashText(at(i).id.view()); });
  byDevice_.reserve(n, [this](uint32_t i) { return hashText(at(i).device); });
  byAddr_.reserve(n, [this](uint32_t i) { return hashAddr(at(i).devAddr); });
}

uint32_t SessionRegistry::allocate() {
  if (!free_.empty()) {
    const uint32_t slot = free_.back();
    free_.pop_back();
    return slot;
  }
  if ((slots_ >> kChunkBits) == chunks_.size())
    chunks_.push_back(std::make_unique<Session[]>(size_t(1) << kChunkBits));
  return slots_++;
}

// Interfaces read one after the other mostly share everything but their ids and keys: the
// profile of one of the last few is reused when it is the same.
std::shared_ptr<const InterfaceProfile> SessionRegistry::profileFor(const config::Interface& itf) {
  InterfaceProfile p;
  p.driverInstanceId = itf.driverInstanceId;
  p.tags = itf.tags;
  p.codec = itf.codec;
  p.codecs = itf.codecs ? itf.codecs : codecs::CodecSet::raw();
  const auto& o = itf.opts;
  p.deviceType = o.deviceType;
  p.enabled = o.enabled;
  p.managed = o.managed;
  p.duplicateFramecounterAllowed = o.duplicateFramecounterAllowed;
  p.adr = o.adr;
  p.macVersion = o.macVersion;
  p.joinEui = o.joinEui;
  p.fromApi = itf.origin == "api" || itf.origin.starts_with("api:");
  for (const auto& r : recentProfiles_)
    if (*r == p) return r;
  auto made = std::make_shared<const InterfaceProfile>(std::move(p));
  if (recentProfiles_.size() == 8) recentProfiles_.erase(recentProfiles_.begin());
  recentProfiles_.push_back(made);
  return made;
}

void SessionRegistry::add(const config::Interface& itf, SessionStore& store,
                          std::optional<FCntState> counters, bool replacing) {
  if (replacing) remove(itf.id);
  const uint32_t slot = allocate();
  Session& s = at(slot);
  s = Session();
  s.id = InterfaceId(itf.id);
  s.slot = slot;
  s.device = itf.deviceIdOrSlug;
  s.profile = profileFor(itf);
  const auto& o = itf.opts;
  s.deviceEui = o.deviceEui;
  if (o.deviceKey || o.networkKey) {
    s.more().deviceKey = o.deviceKey;
    s.more().networkKey = o.networkKey;
  }
  const bool abp = o.deviceType != config::DeviceType::Otaa;
  if (abp && o.deviceAddress && o.networkSessionKey && o.appSessionKey) {
    s.abpInline = true;
    s.active = true;
    s.devAddr = *o.deviceAddress;
    s.nwkSKey = *o.networkSessionKey;
    s.appSKey = *o.appSessionKey;
  } else if (o.deviceAddress || o.networkSessionKey || o.appSessionKey) {
    s.more().deviceAddress = o.deviceAddress;
    s.more().networkSessionKey = o.networkSessionKey;
    s.more().appSessionKey = o.appSessionKey;
  }
  if (!abp) {
    if (auto rec = store.loadSession(itf.id)) {
      s.active = true;
      s.devAddr = rec->devAddr;
      s.lorawan11 = rec->lorawan11;
      s.nwkSKey = rec->fNwkSIntKey;
      s.appSKey = rec->appSKey;
      if (rec->lorawan11) {
        s.more().sNwkSIntKey = rec->sNwkSIntKey;
        s.more().nwkSEncKey = rec->nwkSEncKey;
      }
    }
  }
  // Counters belong to a session: a new DevAddr for the interface starts from scratch.
  if (s.active && counters && counters->devAddr == s.devAddr) s.fcnt = *counters;
  index(slot);
}

void SessionRegistry::index(uint32_t slot) {
  Session& s = at(slot);
  byId_.insert(hashText(s.id.view()), slot,
               [this](uint32_t i) { return hashText(at(i).id.view()); });
  byDevice_.insert(hashText(s.device), slot, [this](uint32_t i) { return hashText(at(i).device); });
  if (isOtaa(s) && s.deviceEui)
    otaa_.insert(hashEui(*s.deviceEui), slot,
                 [this](uint32_t i) { return hashEui(*at(i).deviceEui); });
  if (s.active) indexAddr(slot);
}

void SessionRegistry::indexAddr(uint32_t slot) {
  byAddr_.insert(hashAddr(at(slot).devAddr), slot,
                 [this](uint32_t i) { return hashAddr(at(i).devAddr); });
  ++active_;
}

void SessionRegistry::unindexAddr(uint32_t slot) {
  if (byAddr_.erase(hashAddr(at(slot).devAddr), slot)) --active_;
}

void SessionRegistry::unindex(uint32_t slot) {
  Session& s = at(slot);
  byId_.erase(hashText(s.id.view()), slot);
  byDevice_.erase(hashText(s.device), slot);
  if (isOtaa(s) && s.deviceEui) otaa_.erase(hashEui(*s.deviceEui), slot);
  if (s.active) unindexAddr(slot);
}

void SessionRegistry::remove(std::string_view id) {
  Session* s = find(id);
  if (!s) return;
  const uint32_t slot = s->slot;
  unindex(slot);
  *s = Session();  // its strings and profile go now; the slot is reused
  free_.push_back(slot);
}

template <typename Match>
Session* SessionRegistry::first(const SlotIndex& index, uint64_t hash, const Match& match) const {
  Session* found = nullptr;
  index.probe(hash, [&](uint32_t i) {
    if (match(at(i))) found = &at(i);
    return !found;
  });
  return found;
}

Session* SessionRegistry::find(std::string_view id) const {
  return first(byId_, hashText(id), [&](const Session& s) { return s.id == id; });
}

SessionRegistry::Candidates SessionRegistry::byDevAddr(lorawan::DevAddr a) const {
  Candidates out;
  byAddr_.probe(hashAddr(a), [&](uint32_t i) {
    if (at(i).devAddr == a) out.push_back(&at(i));
    return true;
  });
  return out;
}

Session* SessionRegistry::anyOfDevice(std::string_view device) const {
  return first(byDevice_, hashText(device), [&](const Session& s) { return s.device == device; });
}

std::vector<Session*> SessionRegistry::ofDevice(std::string_view device) const {
  std::vector<Session*> out;
  byDevice_.probe(hashText(device), [&](uint32_t i) {
    if (at(i).device == device) out.push_back(&at(i));
    return true;
  });
  std::sort(out.begin(), out.end(),
            [](Session* x, Session* y) { return x->id.view() < y->id.view(); });
  return out;
}

Session* SessionRegistry::otaaByDevEui(lorawan::Eui64 devEui) const {
  return first(otaa_, hashEui(devEui), [&](const Session& s) { return s.deviceEui == devEui; });
}

Session& SessionRegistry::join(Session& s, const JoinedSession& k) {
  if (s.active) unindexAddr(s.slot);
  if (s.abpInline) {  // the configured DevAddr and keys stay what they were, apart from the session
    auto& x = s.more();
    x.deviceAddress = s.devAddr;
    x.networkSessionKey = s.nwkSKey;
    x.appSessionKey = s.appSKey;
    s.abpInline = false;
  }
  s.active = true;
  s.devAddr = k.devAddr;
  s.lorawan11 = k.lorawan11;
  s.nwkSKey = k.fNwkSIntKey;
  s.appSKey = k.appSKey;
  if (k.lorawan11) {
    s.more().sNwkSIntKey = k.sNwkSIntKey;
    s.more().nwkSEncKey = k.nwkSEncKey;
  }
  // A new session: counters, ADR and what was seen start again.
  s.fcnt.reset();
  s.lastConfirmedFCntDown = 0;
  s.txPowerIndex = 0;
  s.pendingTxPowerIndex.reset();
  if (s.extra) s.extra->adrSnrs.clear();
  s.seen = Session::Seen();
  indexAddr(s.slot);
  return s;
}

}  // namespace bridge
