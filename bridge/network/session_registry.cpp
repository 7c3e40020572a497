#include "bridge/network/session_registry.hpp"

#include <algorithm>

namespace bridge {

void SessionRegistry::load(const std::vector<config::Interface>& interfaces, SessionStore& store) {
  sessions_.clear();
  byAddr_.clear();
  otaa_.clear();
  byDevice_.clear();
  all_.clear();
  for (const auto& itf : interfaces) upsert(itf, store);
}

void SessionRegistry::upsert(const config::Interface& itf, SessionStore& store) {
  remove(itf.id);
  const config::Interface& stored = all_[itf.id] = itf;
  byDevice_[itf.deviceIdOrSlug] = &stored;
  const auto& o = itf.opts;
  auto s = std::make_unique<Session>();
  s->itf = itf;
  if (o.deviceType == config::DeviceType::Otaa) {
    if (o.deviceEui) otaa_[*o.deviceEui] = &stored;
    auto rec = store.loadSession(itf.id);
    if (!rec) return;  // not joined yet
    s->devAddr = rec->devAddr;
    s->nwkSKey = rec->fNwkSIntKey;
    s->sNwkSIntKey = rec->sNwkSIntKey;
    s->nwkSEncKey = rec->nwkSEncKey;
    s->appSKey = rec->appSKey;
    s->lorawan11 = rec->lorawan11;
  } else {
    if (!o.deviceAddress || !o.networkSessionKey || !o.appSessionKey) return;
    s->devAddr = *o.deviceAddress;
    s->nwkSKey = *o.networkSessionKey;
    s->appSKey = *o.appSessionKey;
  }
  // Counters belong to a session: a new DevAddr for the interface starts from scratch.
  if (auto st = store.loadFCnt(itf.id); st && st->devAddr == s->devAddr) s->fcnt = *st;
  install(std::move(s));
}

void SessionRegistry::remove(const std::string& id) {
  auto it = all_.find(id);
  if (it == all_.end()) return;
  const config::Interface& old = it->second;
  if (auto d = byDevice_.find(old.deviceIdOrSlug); d != byDevice_.end() && d->second == &old) {
    byDevice_.erase(d);
    // Another interface of the same device keeps it reachable by name.
    for (const auto& [otherId, other] : all_)
      if (otherId != id && other.deviceIdOrSlug == old.deviceIdOrSlug) {
        byDevice_[other.deviceIdOrSlug] = &other;
        break;
      }
  }
  if (old.opts.deviceEui)
    if (auto e = otaa_.find(*old.opts.deviceEui); e != otaa_.end() && e->second == &old)
      otaa_.erase(e);
  if (auto sit = sessions_.find(id); sit != sessions_.end()) {
    auto& list = byAddr_[sit->second->devAddr];
    list.erase(std::remove(list.begin(), list.end(), sit->second.get()), list.end());
    if (list.empty()) byAddr_.erase(sit->second->devAddr);
    sessions_.erase(sit);
  }
  all_.erase(it);
}

const config::Interface* SessionRegistry::interfaceById(const std::string& id) const {
  auto it = all_.find(id);
  return it == all_.end() ? nullptr : &it->second;
}

Session& SessionRegistry::install(std::unique_ptr<Session> s) {
  s->codecs = s->itf.codecs ? s->itf.codecs : codecs::CodecSet::raw();
  auto& slot = sessions_[s->itf.id];
  if (slot) {
    auto& list = byAddr_[slot->devAddr];
    list.erase(std::remove(list.begin(), list.end(), slot.get()), list.end());
    if (list.empty()) byAddr_.erase(slot->devAddr);
  }
  byAddr_[s->devAddr].push_back(s.get());
  slot = std::move(s);
  return *slot;
}

const std::vector<Session*>& SessionRegistry::byDevAddr(lorawan::DevAddr a) const {
  auto it = byAddr_.find(a);
  return it == byAddr_.end() ? none_ : it->second;
}

Session* SessionRegistry::byInterfaceId(const std::string& id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second.get();
}

const config::Interface* SessionRegistry::interfaceForDevice(const std::string& device) const {
  auto it = byDevice_.find(device);
  return it == byDevice_.end() ? nullptr : it->second;
}

const config::Interface* SessionRegistry::otaaByDevEui(lorawan::Eui64 devEui) const {
  auto it = otaa_.find(devEui);
  return it == otaa_.end() ? nullptr : it->second;
}

}  // namespace bridge
