#include "bridge/network/uplink_event.hpp"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "lorawan/base64.hpp"

namespace bridge {

using nlohmann::json;

void decodePayload(Uplink& u) {
  if (!u.fport || *u.fport == 0 || !u.codecs) {
    u.codecName = "raw";
    return;
  }
  u.codecName = u.codecs->forPort(*u.fport).name();
  // The codec boundary: whatever a codec throws becomes its error on this uplink, which is
  // accepted and forwarded all the same (it runs on a codec worker; nothing may end the thread).
  try {
    u.codec = u.codecs->decode({u.data, *u.fport, u.receivedAtMs});
  } catch (const std::exception& e) {
    u.codec = {};
    u.codec.errors.push_back(u.codecName + ": " + e.what());
  }
}

std::string formatRfc3339Ms(int64_t ms) {
  std::time_t t = std::time_t(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
  return buf;
}

namespace {
template <typename T>
json orNull(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json envelope(const Uplink& u) {
  json j;
  j["id"] = u.id;
  j["receivedAt"] = formatRfc3339Ms(u.receivedAtMs);
  j["interfaceId"] = u.interfaceId;
  j["deviceIdOrSlug"] = u.deviceIdOrSlug;
  j["driverInstanceId"] = u.driverInstanceId.empty() ? json(nullptr) : json(u.driverInstanceId);
  j["devEui"] = u.devEui ? json(u.devEui->toString()) : json(nullptr);
  j["devAddr"] = u.devAddr.toString();
  return j;
}
}  // namespace

std::string toEventJson(const Uplink& u) {
  json j = envelope(u);
  j["fCnt"] = u.fcnt;
  j["fPort"] = orNull(u.fport);
  j["confirmed"] = u.confirmed;
  j["adr"] = u.adr;
  j["data"] = lorawan::base64Encode(u.data);
  j["decoded"] = u.codec.dataJson ? json::parse(*u.codec.dataJson, nullptr, false) : json(nullptr);
  j["codec"] = {{"name", u.codecName}, {"errors", u.codec.errors}, {"warnings", u.codec.warnings}};
  json rx = json::array();
  for (const auto& r : u.rx) {
    rx.push_back({{"gatewayEui", r.gatewayEui.toString()},
                  {"rssi", r.rssi},
                  {"snr", orNull(r.snr)},
                  {"channel", r.channel},
                  {"rfChain", r.rfChain},
                  {"tmst", r.tmst},
                  {"time", orNull(r.time)}});
  }
  j["rx"] = std::move(rx);
  j["tx"] = {{"frequency", u.tx.frequencyHz},
             {"modulation", u.tx.modulation},
             {"dataRate", u.tx.dataRate},
             {"codeRate", orNull(u.tx.codeRate)}};
  return j.dump();
}

DeviceEvent fcntResetEvent(const Uplink& u) {
  json j = envelope(u);
  j["type"] = "fcnt_reset";
  j["uplinkId"] = u.id;
  j["previousFCnt"] = u.previousFCnt;
  j["fCnt"] = u.fcnt;
  return {DeviceEventType::FCntReset, u.id + "-reset", u.deviceIdOrSlug, std::move(j)};
}

std::string UuidGenerator::next() {
  uint64_t a = rng_(), b = rng_();
  a = (a & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  b = (b & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", unsigned(a >> 32),
                unsigned(a >> 16 & 0xFFFF), unsigned(a & 0xFFFF), unsigned(b >> 48),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFull));
  return buf;
}

}  // namespace bridge
