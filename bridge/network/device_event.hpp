#pragma once
// What the network side reports besides uplinks, as typed values: the platform's outbox and the
// /events stream serialize them where they leave, and route on `type`, never on the text.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "lorawan/types.hpp"

namespace bridge {

enum class DeviceEventType { Join, Downlink, Status, FCntReset };

// The /events action for a type (seed 004): "join", "downlink" or "status".
const char* liveAction(DeviceEventType type);

struct DeviceEvent {
  DeviceEventType type;
  std::string id;  // the event id, also the platform request's Idempotency-Key
  std::string device;
  nlohmann::json body;  // the event object as DESIGN.md names its fields ("type" included)
};

// A frame the bridge refused, for live error events ({"action": "error"}).
struct Rejection {
  enum Kind { Uplink, Join } kind;
  const char* reason;                       // the verdict's name
  std::string device;                       // "" when no device is known
  std::optional<lorawan::DevAddr> devAddr;  // uplinks
  std::optional<lorawan::Eui64> devEui;     // joins
  lorawan::Eui64 gateway;
  std::string detail;
  int64_t atMs = 0;
};

std::string toJson(const Rejection& r);

}  // namespace bridge
