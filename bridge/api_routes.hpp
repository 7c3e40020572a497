#pragma once
// Management API routes available so far: downlink enqueue, health, metrics. Responses use the
// seed-000 envelope {"status", "ok", "body"}; errors say what was wrong in "error".
#include <functional>
#include <vector>

#include "bridge/api_server.hpp"
#include "bridge/class_a.hpp"
#include "bridge/metrics.hpp"
#include "bridge/store.hpp"
#include "config/config.hpp"

namespace bridge {

struct ApiContext {
  std::vector<config::ApiToken> tokens;  // empty: no authentication (loopback default)
  Metrics* metrics = nullptr;
  ClassA* classA = nullptr;
  // {healthy, JSON details}; runs on the network thread.
  std::function<std::pair<bool, std::string>()> health;
  // Dead letters (null without a platform): list them, and send one again by id.
  std::function<std::vector<DeadLetter>()> deadLetters;
  std::function<bool(const std::string& id)> retryDeadLetter;
  // Runs a task on the network thread (where the store and sessions live) and waits for it.
  std::function<void(std::function<void()>)> onNetworkThread;
};

ApiServer::Handler makeApiHandler(ApiContext ctx);

}  // namespace bridge
