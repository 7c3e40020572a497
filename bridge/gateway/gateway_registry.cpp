#include "bridge/gateway/gateway_registry.hpp"

namespace bridge {

GatewayRegistry::Refusal GatewayRegistry::admit(lorawan::Eui64 eui, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (settings_.listedOnly && !settings_.listed.count(eui)) return Refusal::Unlisted;
  if (gateways_.count(eui) || settings_.listed.count(eui)) return Refusal::None;
  if (gateways_.size() >= settings_.maxGateways) forgetIdle(now);
  return gateways_.size() >= settings_.maxGateways ? Refusal::Full : Refusal::None;
}

void GatewayRegistry::forgetIdle(Clock::time_point now) {
  // At most one sweep a second: a flood of new EUIs at the cap must not sweep per datagram.
  if (now - lastSweep_ < std::chrono::seconds(1)) return;
  lastSweep_ = now;
  for (auto it = heard_.begin(); it != heard_.end();) {
    if (now - it->second >= settings_.idleExpiry) {
      gateways_.erase(it->first);
      it = heard_.erase(it);
    } else {
      ++it;
    }
  }
}

GatewayInfo& GatewayRegistry::touch(lorawan::Eui64 eui, uint8_t version, Clock::time_point now) {
  GatewayInfo& g = gateways_[eui];
  g.eui = eui;
  g.protocolVersion = version;
  g.lastSeen = std::chrono::system_clock::now();
  heard_[eui] = now;
  return g;
}

void GatewayRegistry::onPush(lorawan::Eui64 eui, const boost::asio::ip::udp::endpoint& from,
                             uint8_t v, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  GatewayInfo& g = touch(eui, v, now);
  g.pushAddress = from;
  ++g.pushCount;
}

bool GatewayRegistry::onPull(lorawan::Eui64 eui, const boost::asio::ip::udp::endpoint& from,
                             uint8_t v, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  GatewayInfo& g = touch(eui, v, now);
  ++g.pullCount;
  // Same IP (a NAT may change the port) or an expired path: the path follows. Otherwise it is
  // someone else claiming the EUI while the gateway still keeps its path alive.
  const bool alive = g.pullAddress && now - g.lastPull < settings_.pathExpiry;
  if (alive && g.pullAddress->address() != from.address()) return false;
  g.pullAddress = from;
  g.lastPull = now;
  return true;
}

void GatewayRegistry::onStat(lorawan::Eui64 eui, std::string statJson) {
  std::lock_guard lock(mutex_);
  if (auto it = gateways_.find(eui); it != gateways_.end())
    it->second.lastStatJson = std::move(statJson);
}

GatewayInfo GatewayRegistry::view(const GatewayInfo& g, Clock::time_point now) const {
  GatewayInfo out = g;
  if (out.pullAddress && now - out.lastPull >= settings_.pathExpiry) out.pullAddress.reset();
  return out;
}

std::optional<GatewayInfo> GatewayRegistry::find(lorawan::Eui64 eui, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto it = gateways_.find(eui);
  if (it == gateways_.end()) return std::nullopt;
  return view(it->second, now);
}

std::vector<GatewayInfo> GatewayRegistry::all(Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  std::vector<GatewayInfo> out;
  for (const auto& [eui, g] : gateways_) {
    auto h = heard_.find(eui);
    if (h != heard_.end() && now - h->second >= settings_.idleExpiry) continue;  // forgotten
    out.push_back(view(g, now));
  }
  return out;
}

}  // namespace bridge
