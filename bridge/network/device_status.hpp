#pragma once
// What the bridge saw of a device (seed 003 status): the last uplink's time, RSSI/SNR and
// gateway, and the last DevStatusAns. Kept in the device's Session (a few bytes each).
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "bridge/network/session_registry.hpp"
#include "bridge/network/uplink_event.hpp"
#include "bridge/store/store.hpp"

namespace bridge {

void noteUplink(Session& s, const Uplink& u);
// A DevStatusAns "status" event ({"battery": 0..254 | null, "margin": dB}).
void noteDevStatus(Session& s, const nlohmann::json& statusEvent);

// {"online", "lastSeen", "lastRssi", "lastSnr", "lastGateway", "fCntUp", "battery",
// "externalPower", "margin"}; `s` may be null (an interface without a session yet). After a
// start the figures come from the device's last stored uplink, read once.
nlohmann::json deviceStatusJson(Session* s, UplinkArchive& store, const std::string& device,
                                int64_t nowMs);

}  // namespace bridge
