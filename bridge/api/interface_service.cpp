#include "bridge/api/interface_service.hpp"

#include <algorithm>
#include <random>

#include "bridge/api/interface_json.hpp"
#include "bridge/core/log.hpp"
#include "bridge/network/uplink_event.hpp"
#include "config/config.hpp"

namespace bridge {

using nlohmann::json;

namespace {
const char* const kKeyFields[] = {"device_key", "network_key", "network_session_key",
                                  "app_session_key"};
}  // namespace

// Interfaces that came from the files before and are gone from them now are removed; the
// registry's own copies say which came from files (API ones have an "api" origin), so no
// second list of a million ids is kept.
void InterfaceService::loadFiles(std::vector<config::Interface> fromFiles) {
  counters_.commit(nullptr);  // hands buffered counters over; the registry's reads see them
  if (sessions_.interfaceCount() > 0) {  // a reload: what left the files goes
    std::vector<std::string_view> fresh;
    fresh.reserve(fromFiles.size());
    for (const auto& itf : fromFiles) fresh.push_back(itf.id);
    std::sort(fresh.begin(), fresh.end());
    std::vector<std::string> gone;
    sessions_.forEach([&](const Session& s) {
      // Created through the API, or restored from the store after a start: not the files'.
      if (!s.profile->fromApi && !std::binary_search(fresh.begin(), fresh.end(), s.id.view()))
        gone.push_back(s.id.str());
    });
    for (const auto& id : gone) sessions_.remove(id);
  }
  sessions_.upsertAll(std::move(fromFiles), counters_);
  applyStored();
}

void InterfaceService::applyStored() {
  for (const auto& [id, text] : store_.loadApiInterfaces()) {
    if (text.empty()) {
      sessions_.remove(id);
      continue;
    }
    auto itf = config::parseInterfaceJson(text, "api:" + id, /*allowCodecFiles=*/true);
    if (!itf) {
      log::error("api_interface_invalid", {{"interface", id}, {"error", itf.error()}});
      continue;
    }
    sessions_.upsert(*itf, counters_);
  }
}

json InterfaceService::view(const config::Interface& itf) const {
  return interfaceToJson(itf, Secrets::Redacted, sessions_.byInterfaceId(itf.id));
}

std::optional<config::Interface> InterfaceService::find(const std::string& device,
                                                        const std::string& id) const {
  const Session* s = sessions_.find(id);
  if (!s || s->device != device) return std::nullopt;
  return s->toInterface();
}

InterfaceService::Page InterfaceService::list(const std::string& device, const std::string& afterId,
                                              size_t limit) const {
  Page page;
  for (const Session* s : sessions_.ofDevice(device)) {
    if (!afterId.empty() && s->id.view() <= afterId) continue;
    if (page.items.size() == limit) {
      page.retrieveAfterId = page.items.back()["id"].get<std::string>();
      break;
    }
    page.items.push_back(view(s->toInterface()));
  }
  return page;
}

std::expected<json, ApiError> InterfaceService::show(const std::string& device,
                                                     const std::string& id) const {
  const auto itf = find(device, id);
  if (!itf) return std::unexpected(ApiError{404, "no interface " + id + " on device " + device});
  return view(*itf);
}

std::expected<json, ApiError> InterfaceService::create(const std::string& device,
                                                       const json& body) {
  if (!body.is_object()) return std::unexpected(ApiError{400, "interface: want an object"});
  json full = body;
  if (auto d = full.find("device_id_or_slug"); d != full.end() && (!d->is_string() || *d != device))
    return std::unexpected(ApiError{
        400, "interface.device_id_or_slug: must be the device in the URL (" + device + ")"});
  full["device_id_or_slug"] = device;
  if (!full.contains("id")) full["id"] = UuidGenerator().next();
  if (full["id"].is_string() && sessions_.find(full["id"].get<std::string>()))
    return std::unexpected(
        ApiError{409, "interface.id: " + full["id"].get<std::string>() + " already exists"});
  return commit(full, nullptr, "api");
}

std::expected<json, ApiError> InterfaceService::edit(const std::string& device,
                                                     const std::string& id, const json& changes) {
  const auto old = find(device, id);
  if (!old) return std::unexpected(ApiError{404, "no interface " + id + " on device " + device});
  if (!changes.is_object()) return std::unexpected(ApiError{400, "interface: want an object"});
  json full = interfaceToJson(*old, Secrets::Full);
  const json current = view(*old);
  for (const auto& [k, v] : changes.items()) {
    if ((k == "id" || k == "device_id_or_slug") && v != full[k])
      return std::unexpected(
          ApiError{400, "interface." + k + ": cannot be changed (delete and create instead)"});
    if (k != "opts" || !v.is_object()) {
      full[k] = v;
      continue;
    }
    for (const auto& [ok, ov] : v.items()) {
      // A key sent back as it was shown ("2b7e…(redacted)") means: keep the key.
      const bool isKey =
          std::find(std::begin(kKeyFields), std::end(kKeyFields), ok) != std::end(kKeyFields);
      if (isKey && ov.is_string() &&
          current["opts"].value(ok, std::string()) == ov.get<std::string>() &&
          ov.get<std::string>().find("(redacted)") != std::string::npos)
        continue;
      full["opts"][ok] = ov;
    }
  }
  return commit(full, &*old, old->origin);
}

std::expected<json, ApiError> InterfaceService::remove(const std::string& device,
                                                       const std::string& id) {
  const auto itf = find(device, id);
  if (!itf) return std::unexpected(ApiError{404, "no interface " + id + " on device " + device});
  json shown = view(*itf);
  store_.saveApiInterface(id, "");
  sessions_.remove(id);
  log::info("interface_deleted", {{"interface", id}, {"device", device}});
  return shown;
}

std::expected<json, ApiError> InterfaceService::commit(const json& full,
                                                       const config::Interface* old,
                                                       const std::string& origin) {
  // The codec of a YAML interface (it may name a file) stays as it was unless the change sets one.
  const bool keepCodec = old && full.contains("codec") &&
                         full["codec"] == interfaceToJson(*old, Secrets::Full)["codec"];
  if (auto e = interfaceTypeError(full)) return std::unexpected(ApiError{400, *e});
  json toParse = full;
  if (keepCodec) toParse.erase("codec");
  // An OTAA interface's DevAddr comes from its joins; it is shown, never set.
  if (toParse.contains("opts") && toParse["opts"].is_object() &&
      toParse["opts"].value("device_type", "") == "otaa")
    toParse["opts"]["device_address"] = "";
  auto itf = config::parseInterfaceJson(toParse.dump(), origin);
  if (!itf) return std::unexpected(ApiError{400, itf.error()});
  if (keepCodec) {
    itf->codec = old->codec;
    itf->codecs = old->codecs;
  }
  const auto& o = itf->opts;
  // Conflicts with the others, found through the registry's indexes (not a scan of them all).
  if (o.deviceAddress && o.networkSessionKey)
    for (const Session* other : sessions_.byDevAddr(*o.deviceAddress))
      if (other->id != itf->id && other->abpInline && other->nwkSKey == *o.networkSessionKey)
        return std::unexpected(
            ApiError{409, "interface.opts.device_address: " + o.deviceAddress->toString() +
                              " with the same network_session_key as interface " + other->id.str() +
                              "; their frames could not be told apart"});
  if (o.deviceType == config::DeviceType::Otaa && o.deviceEui)
    if (const Session* other = sessions_.otaaByDevEui(*o.deviceEui); other && other->id != itf->id)
      return std::unexpected(ApiError{409, "interface.opts.device_eui: " + o.deviceEui->toString() +
                                               " already belongs to interface " + other->id.str()});
  counters_.commit(nullptr);  // hands buffered counters over; the registry's reads see them
  json stored = interfaceToJson(*itf, Secrets::Full);
  if (keepCodec) stored["codec"] = full["codec"];
  store_.saveApiInterface(itf->id, stored.dump());
  sessions_.upsert(*itf, counters_);
  log::info(old ? "interface_changed" : "interface_created",
            {{"interface", itf->id}, {"device", itf->deviceIdOrSlug}});
  return view(sessions_.find(itf->id)->toInterface());
}

}  // namespace bridge
