#pragma once
// ABP/OTAA sessions of the configured interfaces, looked up by DevAddr. Several sessions may share
// a DevAddr; the MIC tells them apart.
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "bridge/store.hpp"
#include "codecs/codec.hpp"
#include "config/interface.hpp"
#include "lorawan/types.hpp"

namespace bridge {

struct Session {
  config::Interface itf;
  lorawan::DevAddr devAddr;
  lorawan::Aes128Key nwkSKey;
  lorawan::Aes128Key appSKey;
  std::optional<FCntState> fcnt;  // nullopt: no frame accepted yet in this session
  std::shared_ptr<const codecs::Codec> codec;
};

class SessionRegistry {
 public:
  // Builds sessions for interfaces that have one (ABP today); counters come from the store.
  void load(const std::vector<config::Interface>& interfaces, Store& store);
  const std::vector<Session*>& byDevAddr(lorawan::DevAddr a) const;
  size_t size() const { return sessions_.size(); }

 private:
  std::vector<std::unique_ptr<Session>> sessions_;
  std::unordered_map<lorawan::DevAddr, std::vector<Session*>> byAddr_;
  std::vector<Session*> none_;
};

}  // namespace bridge
