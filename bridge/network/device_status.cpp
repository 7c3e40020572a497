#include "bridge/network/device_status.hpp"

#include <nlohmann/json.hpp>

#include "config/defaults.hpp"

namespace bridge {

using nlohmann::json;

void noteUplink(Session& s, const Uplink& u) {
  if (u.rx.empty()) return;
  s.seen.atMs = u.receivedAtMs;
  s.seen.loaded = true;
  s.seen.rssi = float(u.rx.front().rssi);
  s.seen.hasSnr = u.rx.front().snr.has_value();
  s.seen.snr = float(u.rx.front().snr.value_or(0));
  s.seen.gateway = u.rx.front().gatewayEui.value();
}

void noteDevStatus(Session& s, const json& e) {
  if (!e.is_object()) return;
  s.seen.battery =
      int16_t(e.contains("battery") && e["battery"].is_number() ? e["battery"].get<int>() : 255);
  s.seen.margin = int8_t(e.value("margin", 0));
}

namespace {
Session::Seen fromLastStoredUplink(UplinkArchive& store, const std::string& device) {
  Session::Seen seen;
  for (const auto& u : store.recentUplinks(device, 1)) {
    seen.atMs = u.receivedAtMs;
    auto e = json::parse(u.eventJson, nullptr, false);
    if (!e.is_object() || !e.contains("rx") || !e["rx"].is_array() || e["rx"].empty() ||
        !e["rx"][0].is_object())
      continue;
    const auto& rx = e["rx"][0];
    if (rx.contains("rssi") && rx["rssi"].is_number()) seen.rssi = rx["rssi"].get<float>();
    if (rx.contains("snr") && rx["snr"].is_number()) {
      seen.snr = rx["snr"].get<float>();
      seen.hasSnr = true;
    }
    if (auto g = lorawan::Eui64::parse(rx.value("gatewayEui", ""))) seen.gateway = g->value();
  }
  seen.loaded = true;
  return seen;
}
}  // namespace

json deviceStatusJson(Session* s, UplinkArchive& store, const std::string& device, int64_t nowMs) {
  Session::Seen seen = s ? s->seen : Session::Seen{};
  if (!seen.loaded) {
    seen = fromLastStoredUplink(store, device);
    if (s) s->seen = seen;
  }
  const bool heard = seen.atMs > 0;
  const bool status = seen.battery >= 0;  // a DevStatusAns arrived
  return {{"online", heard && nowMs - seen.atMs <= config::defaults::kOnlineWindowMs},
          {"lastSeen", heard ? json(formatRfc3339Ms(seen.atMs)) : json()},
          {"lastRssi", heard ? json(double(seen.rssi)) : json()},
          {"lastSnr", heard && seen.hasSnr ? json(double(seen.snr)) : json()},
          {"lastGateway", seen.gateway ? json(lorawan::Eui64(seen.gateway).toString()) : json()},
          {"fCntUp", s && s->fcnt ? json(s->fcnt->lastFCnt) : json()},
          {"battery",
           status && seen.battery != 255 ? json(seen.battery) : json()},  // 0: external power
          {"externalPower", status ? json(seen.battery == 0) : json()},
          {"margin", status ? json(seen.margin) : json()}};
}

}  // namespace bridge
