#pragma once
// A downlink as the management API and the platform's queue describe it (seed 001 creation
// body): {"fPort": 1..223, "data": "<base64>" or an object for the device's codec,
// "confirmed": bool}. Validated and put in the device's Class A queue.
#include <expected>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "bridge/network/class_a.hpp"

namespace bridge {

struct QueuedReply {
  std::string id;
  int fport = 0;
  bool confirmed = false;
  lorawan::Bytes bytes;
};

// Runs on the network thread. Errors name the field (400) or the device (404).
std::expected<QueuedReply, EnqueueError> enqueueFromJson(ClassA& classA, const std::string& device,
                                                         const nlohmann::json& request,
                                                         const std::string& platformId = "");

}  // namespace bridge
