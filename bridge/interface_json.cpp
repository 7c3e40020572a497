#include "bridge/interface_json.hpp"

#include <nlohmann/json.hpp>

namespace bridge {

using nlohmann::json;

namespace {
json codecToJson(const codecs::CodecSpec& c) {
  json out{{"type", c.type}};
  if (c.type == "cayenne_lpp") {
    out["variant"] = c.variant;
    out["style"] = c.style;
  }
  if (!c.file.empty()) out["file"] = c.file;
  if (c.type == "js") {
    out["timeout_ms"] = c.timeoutMs;
    out["memory_mb"] = c.memoryMb;
  }
  for (const auto& [port, spec] : c.fports) out["fports"][std::to_string(port)] = codecToJson(spec);
  return out;
}
}  // namespace

json interfaceToJson(const config::Interface& itf, Secrets secrets, const Session* session) {
  const auto& o = itf.opts;
  auto key = [&](const std::optional<lorawan::Aes128Key>& k) -> json {
    if (!k) return "";
    return secrets == Secrets::Full ? k->hex() : k->redacted();
  };
  auto eui = [](const std::optional<lorawan::Eui64>& e) -> json { return e ? e->toString() : ""; };
  const bool otaa = o.deviceType == config::DeviceType::Otaa;
  json opts{{"enabled", o.enabled},
            {"managed", o.managed},
            {"device_type", otaa ? "otaa" : "abp"},
            {"device_eui", eui(o.deviceEui)},
            {"eui", eui(o.joinEui)},
            {"device_key", key(o.deviceKey)},
            {"device_address", o.deviceAddress ? o.deviceAddress->toString() : ""},
            {"network_session_key", key(o.networkSessionKey)},
            {"app_session_key", key(o.appSessionKey)},
            {"duplicate_framecounter_allowed", o.duplicateFramecounterAllowed},
            {"mac_version", o.macVersion},
            {"adr", o.adr}};
  if (o.networkKey) opts["network_key"] = key(o.networkKey);
  if (otaa && secrets == Secrets::Redacted && session) {
    // Derived at the join: the address is shown, the keys only redacted.
    opts["device_address"] = session->devAddr.toString();
    opts["network_session_key"] = session->nwkSKey.redacted();
    opts["app_session_key"] = session->appSKey.redacted();
  }
  return {{"id", itf.id},
          {"device_id_or_slug", itf.deviceIdOrSlug},
          {"driver_instance_id", itf.driverInstanceId},
          {"tags", itf.tags},
          {"codec", codecToJson(itf.codec)},
          {"opts", opts}};
}

}  // namespace bridge
