#include "bridge/gateway_registry.hpp"

namespace bridge {

GatewayInfo& GatewayRegistry::touch(lorawan::Eui64 eui, uint8_t version) {
  GatewayInfo& g = gateways_[eui];
  g.eui = eui;
  g.protocolVersion = version;
  g.lastSeen = std::chrono::system_clock::now();
  return g;
}

void GatewayRegistry::onPush(lorawan::Eui64 eui, const boost::asio::ip::udp::endpoint& from, uint8_t v) {
  std::lock_guard lock(mutex_);
  GatewayInfo& g = touch(eui, v);
  g.pushAddress = from;
  ++g.pushCount;
}

void GatewayRegistry::onPull(lorawan::Eui64 eui, const boost::asio::ip::udp::endpoint& from, uint8_t v) {
  std::lock_guard lock(mutex_);
  GatewayInfo& g = touch(eui, v);
  g.pullAddress = from;
  ++g.pullCount;
}

void GatewayRegistry::onStat(lorawan::Eui64 eui, std::string statJson) {
  std::lock_guard lock(mutex_);
  gateways_[eui].lastStatJson = std::move(statJson);
}

std::optional<GatewayInfo> GatewayRegistry::find(lorawan::Eui64 eui) const {
  std::lock_guard lock(mutex_);
  auto it = gateways_.find(eui);
  if (it == gateways_.end()) return std::nullopt;
  return it->second;
}

std::vector<GatewayInfo> GatewayRegistry::all() const {
  std::lock_guard lock(mutex_);
  std::vector<GatewayInfo> out;
  for (const auto& [_, g] : gateways_) out.push_back(g);
  return out;
}

}  // namespace bridge
