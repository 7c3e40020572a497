#include "bridge/network/device_event.hpp"

#include "bridge/network/uplink_event.hpp"

namespace bridge {

const char* liveAction(DeviceEventType type) {
  switch (type) {
    case DeviceEventType::Join:
      return "join";
    case DeviceEventType::Downlink:
      return "downlink";
    case DeviceEventType::Status:
    case DeviceEventType::FCntReset:
      break;
  }
  return "status";
}

std::string toJson(const Rejection& r) {
  using nlohmann::json;
  json e{{"type", r.kind == Rejection::Join ? "join_rejected" : "uplink_rejected"},
         {"reason", r.reason},
         {"deviceIdOrSlug", r.device.empty() ? json() : json(r.device)}};
  if (r.kind == Rejection::Join)
    e["devEui"] = r.devEui ? json(r.devEui->toString()) : json();
  else
    e["devAddr"] = r.devAddr ? json(r.devAddr->toString()) : json();
  e["gatewayEui"] = r.gateway.toString();
  e["detail"] = r.detail;
  e["at"] = formatRfc3339Ms(r.atMs);
  return e.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace bridge
