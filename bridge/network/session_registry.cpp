#include "bridge/network/session_registry.hpp"

#include <algorithm>

namespace bridge {

void SessionRegistry::load(const std::vector<config::Interface>& interfaces, SessionStore& store) {
  sessions_.clear();
  byAddr_.clear();
  otaa_.clear();
  byDevice_.clear();
  all_.clear();
  upsertAll(interfaces, store);  // a copy: the caller keeps its list
}

void SessionRegistry::upsertAll(std::vector<config::Interface> interfaces, SessionStore& store) {
  // One read of every counter instead of a query per device.
  const auto counters = store.allFCnt();
  sessions_.reserve(sessions_.size() + interfaces.size());
  byAddr_.reserve(byAddr_.size() + interfaces.size());
  byDevice_.reserve(byDevice_.size() + interfaces.size());
  for (auto& itf : interfaces) {
    auto it = counters.find(itf.id);
    add(std::make_shared<const config::Interface>(std::move(itf)), store,
        it == counters.end() ? std::nullopt : std::optional(it->second));
  }
}

void SessionRegistry::upsert(const config::Interface& itf, SessionStore& store) {
  add(std::make_shared<const config::Interface>(itf), store, store.loadFCnt(itf.id));
}

void SessionRegistry::add(std::shared_ptr<const config::Interface> itf, SessionStore& store,
                          std::optional<FCntState> counters) {
  remove(itf->id);
  const config::Interface& stored = *itf;
  all_[itf->id] = itf;
  byDevice_[itf->deviceIdOrSlug] = &stored;
  const auto& o = itf->opts;
  auto s = std::make_unique<Session>();
  s->itf = itf;
  if (o.deviceType == config::DeviceType::Otaa) {
    if (o.deviceEui) otaa_[*o.deviceEui] = &stored;
    auto rec = store.loadSession(itf->id);
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
  if (counters && counters->devAddr == s->devAddr) s->fcnt = *counters;
  install(std::move(s));
}

void SessionRegistry::remove(const std::string& id) {
  auto it = all_.find(id);
  if (it == all_.end()) return;
  const config::Interface& old = *it->second;
  if (auto d = byDevice_.find(old.deviceIdOrSlug); d != byDevice_.end() && d->second == &old) {
    byDevice_.erase(d);
    // Another interface of the same device keeps it reachable by name.
    for (const auto& [otherId, other] : all_)
      if (otherId != id && other->deviceIdOrSlug == old.deviceIdOrSlug) {
        byDevice_[other->deviceIdOrSlug] = other.get();
        break;
      }
  }
  if (old.opts.deviceEui)
    if (auto e = otaa_.find(*old.opts.deviceEui); e != otaa_.end() && e->second == &old)
      otaa_.erase(e);
  if (auto sit = sessions_.find(id); sit != sessions_.end()) {
    unindex(*sit->second);
    sessions_.erase(sit);
  }
  all_.erase(it);
}

const config::Interface* SessionRegistry::interfaceById(const std::string& id) const {
  auto it = all_.find(id);
  return it == all_.end() ? nullptr : it->second.get();
}

std::shared_ptr<const config::Interface> SessionRegistry::shared(const std::string& id) const {
  auto it = all_.find(id);
  return it == all_.end() ? nullptr : it->second;
}

void SessionRegistry::unindex(Session& s) {
  auto a = byAddr_.find(s.devAddr);
  if (a == byAddr_.end()) return;
  auto& list = a->second;
  list.erase(std::remove(list.begin(), list.end(), &s), list.end());
  if (list.empty()) byAddr_.erase(a);
}

Session& SessionRegistry::install(std::unique_ptr<Session> s) {
  s->codecs = s->itf->codecs ? s->itf->codecs : codecs::CodecSet::raw();
  auto& slot = sessions_[s->itf->id];
  if (slot) unindex(*slot);
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
