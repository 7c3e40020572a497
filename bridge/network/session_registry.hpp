#pragma once
// The provisioned interfaces and their sessions (ABP from config, OTAA from joins), found by
// interface id, device name, DevAddr and (OTAA) DevEUI. Several sessions may share a DevAddr;
// the MIC tells them apart. Sessions live in slots of fixed chunks (their addresses never
// change) and the indexes hold slot numbers, so a million devices fit in a few hundred MB.
#include <boost/container/small_vector.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/network/session.hpp"
#include "bridge/network/slot_index.hpp"
#include "bridge/store/store.hpp"
#include "config/interface.hpp"
#include "lorawan/types.hpp"

namespace bridge {

// The keys of a session opened by a join.
struct JoinedSession {
  lorawan::DevAddr devAddr;
  bool lorawan11 = false;
  lorawan::Aes128Key fNwkSIntKey, sNwkSIntKey, nwkSEncKey, appSKey;  // 1.0: all NwkSKey but app
};

class SessionRegistry {
 public:
  SessionRegistry() = default;
  SessionRegistry(const SessionRegistry&) = delete;
  SessionRegistry& operator=(const SessionRegistry&) = delete;

  // ABP sessions from the interfaces; OTAA sessions from the store's last join.
  void load(const std::vector<config::Interface>& interfaces, SessionStore& store);
  // Adds or replaces one interface, effective at once: a changed ABP session, a new OTAA
  // device, a disabled one. Its counters and OTAA session come from the store.
  void upsert(const config::Interface& itf, SessionStore& store);
  // Many at once (the interface files at start): the store's counters read in one go.
  void upsertAll(std::vector<config::Interface> interfaces, SessionStore& store);
  void remove(std::string_view interfaceId);

  // An interface (with a session or not) by id; nullptr when none.
  Session* find(std::string_view interfaceId) const;
  // An interface that has a session.
  Session* byInterfaceId(std::string_view interfaceId) const {
    Session* s = find(interfaceId);
    return s && s->active ? s : nullptr;
  }
  using Candidates = boost::container::small_vector<Session*, 4>;
  Candidates byDevAddr(lorawan::DevAddr a) const;
  // One interface of the device (the first found when it has several); nullptr when none.
  Session* anyOfDevice(std::string_view deviceIdOrSlug) const;
  // All interfaces of the device, sorted by id.
  std::vector<Session*> ofDevice(std::string_view deviceIdOrSlug) const;
  // OTAA interfaces by DevEUI (whether joined or not).
  Session* otaaByDevEui(lorawan::Eui64 devEui) const;
  // Every interface, in no particular order: f(Session&).
  template <typename F>
  void forEach(F&& f) const {
    for (uint32_t i = 0; i < slots_; ++i)
      if (Session& s = at(i); !s.id.empty()) f(s);
  }
  // A join: the interface's new session replaces the old one (its DevAddr stops matching at once,
  // its counters start again).
  Session& join(Session& s, const JoinedSession& keys);

  size_t size() const { return active_; }                 // sessions
  size_t interfaceCount() const { return byId_.size(); }  // interfaces, with a session or not

 private:
  static constexpr uint32_t kChunkBits = 12;  // 4096 sessions per chunk
  Session& at(uint32_t slot) const {
    return chunks_[slot >> kChunkBits][slot & ((1u << kChunkBits) - 1)];
  }
  uint32_t allocate();
  void add(const config::Interface& itf, SessionStore& store, std::optional<FCntState> counters,
           bool replacing);
  std::shared_ptr<const InterfaceProfile> profileFor(const config::Interface& itf);
  void index(uint32_t slot);
  void unindex(uint32_t slot);
  void indexAddr(uint32_t slot);
  void unindexAddr(uint32_t slot);
  void reserve(size_t more);
  // The first slot probed in `index` that matches.
  template <typename Match>
  Session* first(const SlotIndex& index, uint64_t hash, const Match& match) const;

  std::vector<std::unique_ptr<Session[]>> chunks_;
  uint32_t slots_ = 0;  // slots handed out so far (live or free)
  std::vector<uint32_t> free_;
  size_t active_ = 0;
  SlotIndex byId_, byDevice_, byAddr_, otaa_;
  // Profiles seen lately: consecutive interfaces of a file share theirs.
  std::vector<std::shared_ptr<const InterfaceProfile>> recentProfiles_;
};

}  // namespace bridge
