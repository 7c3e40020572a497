#pragma once
// Interfaces through the management API (seed 000): list, show, create, edit, delete. Every
// change is validated like the YAML files, committed to the store, and effective at once in the
// session registry. Runs on the network thread (where the registry lives).
#include <expected>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "bridge/network/session_registry.hpp"
#include "bridge/store/store.hpp"

namespace bridge {

struct ApiError {
  unsigned status;  // 400, 404, 409
  std::string message;
};

class InterfaceService {
 public:
  InterfaceService(SessionRegistry& sessions, InterfaceStore& store, SessionStore& counters)
      : sessions_(sessions), store_(store), counters_(counters) {}

  // The interfaces of the config files (at start-up, on SIGHUP or a changed file), then the
  // API's earlier changes over them (API changes win). A file interface gone from the files
  // goes from the registry.
  void loadFiles(std::vector<config::Interface> fromFiles);

  struct Page {
    std::vector<nlohmann::json> items;
    std::optional<std::string> retrieveAfterId;  // set when more may follow
  };
  // `device`: a device_id_or_slug already resolved. Sorted by id, after `afterId`.
  Page list(const std::string& device, const std::string& afterId, size_t limit) const;
  std::expected<nlohmann::json, ApiError> show(const std::string& device,
                                               const std::string& id) const;
  std::expected<nlohmann::json, ApiError> create(const std::string& device,
                                                 const nlohmann::json& itf);
  // PUT and PATCH (seed 000 gives both the same meaning): the given fields change, "opts" key by
  // key.
  std::expected<nlohmann::json, ApiError> edit(const std::string& device, const std::string& id,
                                               const nlohmann::json& changes);
  std::expected<nlohmann::json, ApiError> remove(const std::string& device, const std::string& id);

 private:
  void applyStored();
  std::expected<nlohmann::json, ApiError> commit(const nlohmann::json& full,
                                                 const config::Interface* old,
                                                 const std::string& origin);
  std::optional<config::Interface> find(const std::string& device, const std::string& id) const;
  nlohmann::json view(const config::Interface& itf) const;

  SessionRegistry& sessions_;
  InterfaceStore& store_;
  SessionStore& counters_;  // what the registry reads a changed interface's session from
};

}  // namespace bridge
