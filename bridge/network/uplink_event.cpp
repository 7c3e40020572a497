#include "bridge/network/uplink_event.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>

#include "bridge/core/json_writer.hpp"
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

// The date and time are formatted once a second per thread (once per uplink was 2% of the
// network thread); times before 1970 are formatted every time.
std::string formatRfc3339Ms(int64_t ms) {
  char buf[32];
  return std::string(buf, formatRfc3339Ms(ms, buf));
}

size_t formatRfc3339Ms(int64_t ms, char* out) {
  thread_local int64_t second = INT64_MIN;
  thread_local size_t prefixLen = 0;
  thread_local char prefix[80];
  const int64_t s = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  if (s != second) {
    std::time_t t = std::time_t(s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    const int n =
        std::snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    prefixLen = std::min<size_t>(size_t(std::max(n, 0)), 26);  // years past 9999 are cut
    second = s;
  }
  const int m = int(ms - s * 1000);
  std::memcpy(out, prefix, prefixLen);
  char* p = out + prefixLen;
  *p++ = '.';
  *p++ = char('0' + m / 100);
  *p++ = char('0' + m / 10 % 10);
  *p++ = char('0' + m % 10);
  *p++ = 'Z';
  return size_t(p - out);
}

namespace {
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

// Written without a DOM: this runs for every uplink on the network thread.
std::string toEventJson(const Uplink& u) {
  JsonWriter w(640 + 2 * u.data.size() + (u.codec.dataJson ? u.codec.dataJson->size() : 0));
  w.beginObject();
  w.key("id").string(u.id);
  char at[32];
  w.key("receivedAt").string({at, formatRfc3339Ms(u.receivedAtMs, at)});
  w.key("interfaceId").string(u.interfaceId);
  w.key("deviceIdOrSlug").string(u.deviceIdOrSlug);
  w.key("driverInstanceId");
  if (u.driverInstanceId.empty())
    w.null();
  else
    w.string(u.driverInstanceId);
  w.key("devEui");
  if (u.devEui)
    w.hexString(u.devEui->value(), 16);
  else
    w.null();
  w.key("devAddr").hexString(u.devAddr.value(), 8);
  w.key("fCnt").number(u.fcnt);
  w.key("fPort");
  if (u.fport)
    w.number(unsigned(*u.fport));
  else
    w.null();
  w.key("confirmed").boolean(u.confirmed);
  w.key("adr").boolean(u.adr);
  if (u.data.size() <= 255) {  // any LoRaWAN payload: no temporary string
    char b64[lorawan::base64Size(255)];
    w.key("data").string({b64, lorawan::base64EncodeTo(u.data, b64)});
  } else {
    w.key("data").string(lorawan::base64Encode(u.data));
  }
  // Codecs hand over serialized JSON (their own dump): embedded as it is.
  w.key("decoded");
  if (u.codec.dataJson && !u.codec.dataJson->empty())
    w.raw(*u.codec.dataJson);
  else
    w.null();
  w.key("codec").beginObject().key("name").string(u.codecName);
  w.key("errors").beginArray();
  for (const auto& e : u.codec.errors) w.string(e);
  w.endArray().key("warnings").beginArray();
  for (const auto& e : u.codec.warnings) w.string(e);
  w.endArray().endObject();
  w.key("rx").beginArray();
  for (const auto& r : u.rx) {
    w.beginObject();
    w.key("gatewayEui").hexString(r.gatewayEui.value(), 16);
    w.key("rssi").number(r.rssi);
    w.key("snr").optional(r.snr);
    w.key("channel").number(r.channel);
    w.key("rfChain").number(r.rfChain);
    w.key("tmst").number(r.tmst);
    w.key("time").optional(r.time);
    w.endObject();
  }
  w.endArray();
  w.key("tx").beginObject();
  w.key("frequency").number(u.tx.frequencyHz);
  w.key("modulation").string(u.tx.modulation);
  w.key("dataRate").string(u.tx.dataRate);
  w.key("codeRate").optional(u.tx.codeRate);
  w.endObject();
  w.endObject();
  return w.take();
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
  // 8-4-4-4-12 hex digits: a, then b.
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  int pos = 35;
  for (int i = 0; i < 12; ++i, b >>= 4) out[size_t(pos--)] = kHex[b & 0xF];
  --pos;
  for (int i = 0; i < 4; ++i, b >>= 4) out[size_t(pos--)] = kHex[b & 0xF];
  --pos;
  for (int g : {4, 4, 8}) {
    for (int i = 0; i < g; ++i, a >>= 4) out[size_t(pos--)] = kHex[a & 0xF];
    --pos;
  }
  return out;
}

}  // namespace bridge
