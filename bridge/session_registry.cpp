#include "bridge/session_registry.hpp"

namespace bridge {

void SessionRegistry::load(const std::vector<config::Interface>& interfaces, Store& store) {
  sessions_.clear();
  byAddr_.clear();
  std::shared_ptr<const codecs::Codec> raw = codecs::makeRawCodec();
  for (const auto& itf : interfaces) {
    const auto& o = itf.opts;
    if (!o.deviceAddress || !o.networkSessionKey || !o.appSessionKey) continue;
    auto s = std::make_unique<Session>();
    s->itf = itf;
    s->devAddr = *o.deviceAddress;
    s->nwkSKey = *o.networkSessionKey;
    s->appSKey = *o.appSessionKey;
    s->codec = raw;
    // Counters belong to a session: a new DevAddr for the interface starts from scratch.
    if (auto st = store.loadFCnt(itf.id); st && st->devAddr == s->devAddr.value()) s->fcnt = *st;
    byAddr_[s->devAddr].push_back(s.get());
    sessions_.push_back(std::move(s));
  }
}

const std::vector<Session*>& SessionRegistry::byDevAddr(lorawan::DevAddr a) const {
  auto it = byAddr_.find(a);
  return it == byAddr_.end() ? none_ : it->second;
}

}  // namespace bridge
