#include "bridge/api/interface_json.hpp"

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
  if (c.type == "device_repository") {
    out.update({{"path", c.file}, {"vendor", c.vendor}, {"model", c.model}});
  } else if (!c.file.empty()) {
    out["file"] = c.file;
  }
  if (c.type == "js" || c.type == "device_repository") {
    out["timeout_ms"] = c.timeoutMs;
    out["memory_mb"] = c.memoryMb;
  }
  for (const auto& [port, spec] : c.fports) out["fports"][std::to_string(port)] = codecToJson(spec);
  return out;
}
enum class Want { String, Bool, Integer, Object };

const char* describe(Want w) {
  switch (w) {
    case Want::String:
      return "a string";
    case Want::Bool:
      return "true or false";
    case Want::Integer:
      return "an integer";
    case Want::Object:
      return "an object";
  }
  return "?";
}

bool matches(const json& v, Want w) {
  if (v.is_null()) return w != Want::Object;  // null: not set (the reader applies the default)
  switch (w) {
    case Want::String:
      return v.is_string();
    case Want::Bool:
      return v.is_boolean();
    case Want::Integer:
      return v.is_number_integer();
    case Want::Object:
      return v.is_object();
  }
  return false;
}

// Unknown keys are left to the reader, which names them.
std::optional<std::string> checkFields(const json& obj, const std::string& path,
                                       std::initializer_list<std::pair<const char*, Want>> fields) {
  for (const auto& [key, want] : fields) {
    auto it = obj.find(key);
    if (it == obj.end() || matches(*it, want)) continue;
    return path + "." + key + ": want " + describe(want) + ", got " + it->type_name();
  }
  return std::nullopt;
}

std::optional<std::string> codecTypeError(const json& c, const std::string& path) {
  return checkFields(c, path,
                     {{"type", Want::String},
                      {"variant", Want::String},
                      {"style", Want::String},
                      {"file", Want::String},
                      {"path", Want::String},
                      {"vendor", Want::String},
                      {"model", Want::String},
                      {"timeout_ms", Want::Integer},
                      {"memory_mb", Want::Integer}});
}
}  // namespace

std::optional<std::string> interfaceTypeError(const json& body) {
  if (!body.is_object()) return "interface: want an object, got " + std::string(body.type_name());
  if (auto e = checkFields(body, "interface",
                           {{"id", Want::String},
                            {"device_id_or_slug", Want::String},
                            {"driver_instance_id", Want::String},
                            {"codec", Want::Object},
                            {"opts", Want::Object}}))
    return e;
  if (auto t = body.find("tags"); t != body.end() && !t->is_null()) {
    if (!t->is_array())
      return "interface.tags: want a list of strings, got " + std::string(t->type_name());
    for (size_t i = 0; i < t->size(); ++i)
      if (!(*t)[i].is_string())
        return "interface.tags[" + std::to_string(i) + "]: want a string, got " +
               (*t)[i].type_name();
  }
  if (auto c = body.find("codec"); c != body.end()) {
    if (auto e = codecTypeError(*c, "interface.codec")) return e;
  }
  if (auto o = body.find("opts"); o != body.end()) {
    return checkFields(*o, "interface.opts",
                       {{"enabled", Want::Bool},
                        {"managed", Want::Bool},
                        {"duplicate_framecounter_allowed", Want::Bool},
                        {"adr", Want::Bool},
                        {"device_type", Want::String},
                        {"device_eui", Want::String},
                        {"eui", Want::String},
                        {"device_key", Want::String},
                        {"network_key", Want::String},
                        {"device_address", Want::String},
                        {"network_session_key", Want::String},
                        {"app_session_key", Want::String},
                        {"mac_version", Want::String}});
  }
  return std::nullopt;
}

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
