#include "lorawan/semtech_udp.hpp"

#include <simdjson.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "lorawan/base64.hpp"

namespace lorawan::semtech {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

std::unexpected<ParseError> fail(std::string field, std::string message) {
  return std::unexpected(ParseError{std::move(field), std::move(message)});
}

const char* typeName(const element& e) {
  switch (e.type()) {
    case element_type::ARRAY:
      return "array";
    case element_type::OBJECT:
      return "object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "number";
    case element_type::STRING:
      return "string";
    case element_type::BOOL:
      return "boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "?";
}

std::string jsonError(simdjson::error_code e) {
  switch (e) {
    case simdjson::NUMBER_ERROR:
    case simdjson::NUMBER_OUT_OF_RANGE:
      return "invalid JSON: a number out of range";
    case simdjson::DEPTH_ERROR:
      return "invalid JSON: nested too deeply";
    case simdjson::UTF8_ERROR:
      return "invalid JSON: not UTF-8";
    case simdjson::CAPACITY:
      return "invalid JSON: document too large";
    default:
      return std::string("invalid JSON: ") + simdjson::error_message(e);
  }
}

// An rxpk's fields, found in one pass over its keys (a lookup per field scanned the object
// from its start every time). The first of a repeated key counts, as a lookup would find it.
enum RxKey {
  kTmst,
  kFreq,
  kStat,
  kModu,
  kDatr,
  kCodr,
  kTime,
  kTmms,
  kRfch,
  kRsig,
  kChan,
  kRssi,
  kLsnr,
  kData,
  kSize,
  kRxKeys
};
constexpr std::string_view kRxNames[kRxKeys] = {"tmst", "freq", "stat", "modu", "datr",
                                                "codr", "time", "tmms", "rfch", "rsig",
                                                "chan", "rssi", "lsnr", "data", "size"};
struct RxFields {
  element value[kRxKeys];
  bool has[kRxKeys] = {};
  explicit RxFields(const object& o) {
    for (auto [key, v] : o)
      for (int i = 0; i < kRxKeys; ++i)
        if (key == kRxNames[i]) {
          if (!has[i]) value[i] = v, has[i] = true;
          break;
        }
  }
};
// Key handles for the readers below: an rxpk's collected fields, or a plain object.
struct RxField {
  const RxFields& f;
  RxKey k;
};
bool lookup(const RxField& r, element& e) {
  if (!r.f.has[r.k]) return false;
  e = r.f.value[r.k];
  return true;
}
std::string_view keyName(const RxField& r) {
  return kRxNames[r.k];
}
struct ObjectField {
  const object& o;
  const char* key;
};
bool lookup(const ObjectField& r, element& e) {
  return r.o[r.key].get(e) == simdjson::SUCCESS;
}
std::string_view keyName(const ObjectField& r) {
  return r.key;
}

// Field readers: missing, wrong type and out-of-range each get their own message.
template <typename Field>
std::expected<element, ParseError> field(const Field& f, const std::string& path) {
  element e;
  if (!lookup(f, e)) return fail(path + "." + std::string(keyName(f)), "missing");
  return e;
}

template <typename T>
std::expected<T, ParseError> intValue(const element& e, const std::string& path, int64_t lo,
                                      uint64_t hi) {
  if (e.is_uint64()) {
    uint64_t v = uint64_t(e.get_uint64());
    if (v > hi) return fail(path, std::to_string(v) + " out of range");
    return T(v);
  }
  if (e.is_int64()) {
    int64_t v = int64_t(e.get_int64());
    if (v < lo || (v > 0 && uint64_t(v) > hi))
      return fail(path, std::to_string(v) + " out of range");
    return T(v);
  }
  return fail(path, std::string("want an integer, got ") + typeName(e));
}

// The path of a field, built only for a message (never on the way of a good frame).
template <typename Field>
std::string fieldPath(const std::string& path, const Field& f) {
  return path + "." + std::string(keyName(f));
}

template <typename T, typename Field>
std::expected<T, ParseError> intField(const Field& f, const std::string& path, int64_t lo,
                                      uint64_t hi) {
  auto e = field(f, path);
  if (!e) return std::unexpected(e.error());
  if (e->is_uint64()) {  // the common case, checked without building the path
    const uint64_t v = uint64_t(e->get_uint64());
    if (v <= hi) return T(v);
  }
  return intValue<T>(*e, fieldPath(path, f), lo, hi);
}
template <typename T>
std::expected<T, ParseError> intField(const object& o, const char* key, const std::string& path,
                                      int64_t lo, uint64_t hi) {
  return intField<T>(ObjectField{o, key}, path, lo, hi);
}

template <typename Field>
std::expected<double, ParseError> numField(const Field& f, const std::string& path, double lo,
                                           double hi) {
  auto e = field(f, path);
  if (!e) return std::unexpected(e.error());
  double v;
  if (e->get_double().get(v) != simdjson::SUCCESS)
    return fail(fieldPath(path, f), std::string("want a number, got ") + typeName(*e));
  if (!std::isfinite(v) || v < lo || v > hi) return fail(fieldPath(path, f), "value out of range");
  return v;
}
std::expected<double, ParseError> numField(const object& o, const char* key,
                                           const std::string& path, double lo, double hi) {
  return numField(ObjectField{o, key}, path, lo, hi);
}

template <typename Field>
std::expected<std::string_view, ParseError> strField(const Field& f, const std::string& path) {
  auto e = field(f, path);
  if (!e) return std::unexpected(e.error());
  std::string_view v;
  if (e->get_string().get(v) != simdjson::SUCCESS)
    return fail(fieldPath(path, f), std::string("want a string, got ") + typeName(*e));
  return v;
}

// A simdjson parser with its padded input buffer, reused across documents.
struct JsonDocument {
  simdjson::dom::parser parser;
  std::vector<uint8_t> padded;  // simdjson reads up to SIMDJSON_PADDING bytes past the end

  simdjson::simdjson_result<element> load(std::span<const uint8_t> json) {
    padded.resize(json.size() + simdjson::SIMDJSON_PADDING);
    if (!json.empty()) std::memcpy(padded.data(), json.data(), json.size());
    return parser.parse(padded.data(), json.size(), false);
  }
};

#define LB_TRY(var, expr) \
  auto var = (expr);      \
  if (!var) return std::unexpected(std::move(var.error()))

std::expected<RxPacket, ParseError> parseRxPacket(const element& j, size_t index) {
  const std::string path = "rxpk[" + std::to_string(index) + "]";
  object o;
  if (j.get_object().get(o) != simdjson::SUCCESS)
    return fail(path, std::string("want an object, got ") + typeName(j));
  const RxFields f(o);
  auto at = [&f](RxKey k) { return RxField{f, k}; };
  RxPacket p;
  LB_TRY(tmst, intField<uint32_t>(at(kTmst), path, 0, 0xFFFFFFFFu));
  p.tmst = *tmst;
  LB_TRY(freq, numField(at(kFreq), path, 1.0, 10000.0));  // MHz
  p.frequencyHz = uint64_t(std::llround(*freq * 1e6));
  LB_TRY(stat, intField<int>(at(kStat), path, -1, 1));
  p.crcStatus = *stat;
  LB_TRY(modu, strField(at(kModu), path));
  p.modulation = *modu;
  if (p.modulation == "LORA" || p.modulation == "LR-FHSS") {
    LB_TRY(datr, strField(at(kDatr), path));
    p.dataRate = *datr;
    LB_TRY(codr, strField(at(kCodr), path));
    p.codeRate = std::string(*codr);
  } else if (p.modulation == "FSK") {
    LB_TRY(br, intField<uint32_t>(at(kDatr), path, 1, 1000000));
    p.dataRate = std::to_string(*br);
  } else {
    return fail(path + ".modu", "\"" + p.modulation + "\", want LORA, FSK or LR-FHSS");
  }
  std::string_view sv;
  if (f.has[kTime] && f.value[kTime].get_string().get(sv) == simdjson::SUCCESS)
    p.time = std::string(sv);
  element e;
  if (lookup(at(kTmms), e)) {
    LB_TRY(tmms, intValue<uint64_t>(e, path + ".tmms", 0, std::numeric_limits<uint64_t>::max()));
    p.tmms = *tmms;
  }
  if (lookup(at(kRfch), e)) {
    LB_TRY(rfch, intValue<int>(e, path + ".rfch", 0, 255));
    p.rfChain = *rfch;
  }
  if (lookup(at(kRsig), e)) {
    // Multi-antenna (v2) gateways: per-antenna signal in `rsig`; report the strongest.
    simdjson::dom::array rsig;
    if (e.get_array().get(rsig) != simdjson::SUCCESS || rsig.size() == 0)
      return fail(path + ".rsig", "want a non-empty array");
    size_t i = 0;
    for (element s : rsig) {
      const std::string sp = path + ".rsig[" + std::to_string(i++) + "]";
      object so;
      if (s.get_object().get(so) != simdjson::SUCCESS) return fail(sp, "want an object");
      RxSignal sig;
      LB_TRY(ant, intField<int>(so, "ant", sp, 0, 255));
      LB_TRY(chan, intField<int>(so, "chan", sp, 0, 255));
      LB_TRY(rssic, numField(so, "rssic", sp, -300, 100));
      sig.antenna = *ant;
      sig.channel = *chan;
      sig.rssi = *rssic;
      element snr;
      if (so["lsnr"].get(snr) == simdjson::SUCCESS) {
        LB_TRY(v, numField(so, "lsnr", sp, -50, 50));
        sig.snr = *v;
      }
      p.rsig.push_back(sig);
    }
    const RxSignal* best = &p.rsig[0];
    for (const auto& s : p.rsig)
      if (s.snr.value_or(-99) > best->snr.value_or(-99) ||
          (s.snr == best->snr && s.rssi > best->rssi))
        best = &s;
    p.channel = best->channel;
    p.rssi = best->rssi;
    p.snr = best->snr;
  } else {
    LB_TRY(chan, intField<int>(at(kChan), path, 0, 255));
    p.channel = *chan;
    LB_TRY(rssi, numField(at(kRssi), path, -300, 100));
    p.rssi = *rssi;
    if (lookup(at(kLsnr), e)) {
      LB_TRY(snr, numField(at(kLsnr), path, -50, 50));
      p.snr = *snr;
    }
  }
  LB_TRY(data, strField(at(kData), path));
  auto bytes = base64Decode(*data);
  if (!bytes) return fail(path + ".data", bytes.error());
  p.phyPayload = std::move(*bytes);
  if (lookup(at(kSize), e)) {
    LB_TRY(size, intValue<size_t>(e, path + ".size", 0, 65535));
    if (*size != p.phyPayload.size())
      return fail(path + ".size", std::to_string(*size) + " does not match " +
                                      std::to_string(p.phyPayload.size()) + " decoded bytes");
  }
  return p;
}

}  // namespace

const char* toString(Identifier id) {
  switch (id) {
    case Identifier::PushData:
      return "PUSH_DATA";
    case Identifier::PushAck:
      return "PUSH_ACK";
    case Identifier::PullData:
      return "PULL_DATA";
    case Identifier::PullResp:
      return "PULL_RESP";
    case Identifier::PullAck:
      return "PULL_ACK";
    case Identifier::TxAck:
      return "TX_ACK";
  }
  return "?";
}

std::expected<Datagram, ParseError> parseDatagram(std::span<const uint8_t> b) {
  if (b.size() < 4)
    return fail("header", "datagram of " + std::to_string(b.size()) + " bytes, need at least 4");
  if (b.size() > kMaxDatagramSize)
    return fail("datagram", "oversized: " + std::to_string(b.size()) + " bytes");
  Datagram d;
  d.version = b[0];
  if (d.version != 1 && d.version != 2)
    return fail("version", std::to_string(d.version) + ", want 1 or 2");
  d.token = uint16_t(b[1] << 8 | b[2]);  // opaque; echoed as received
  if (b[3] > 0x05) return fail("identifier", "unknown 0x" + toHex(b.subspan(3, 1)));
  d.identifier = Identifier(b[3]);
  switch (d.identifier) {
    case Identifier::PushData:
    case Identifier::PullData:
    case Identifier::TxAck: {
      if (b.size() < 12)
        return fail("gateway EUI", std::string(toString(d.identifier)) + " of " +
                                       std::to_string(b.size()) + " bytes, need at least 12");
      uint64_t v = 0;  // the gateway EUI is sent most significant byte first
      for (size_t i = 4; i < 12; ++i) v = v << 8 | b[i];
      d.gatewayEui = Eui64(v);
      d.json = b.subspan(12);
      if (d.identifier == Identifier::PullData && !d.json.empty())
        return fail("PULL_DATA", "unexpected " + std::to_string(d.json.size()) + " trailing bytes");
      if (d.identifier == Identifier::PushData && d.json.empty())
        return fail("PUSH_DATA", "missing JSON body");
      break;
    }
    case Identifier::PullResp:
      d.json = b.subspan(4);
      break;
    default:
      break;
  }
  return d;
}

std::array<uint8_t, 4> makeAck(uint8_t version, uint16_t token, Identifier id) {
  return {version, uint8_t(token >> 8), uint8_t(token), uint8_t(id)};
}

struct PushDataParser::Impl : JsonDocument {};

PushDataParser::PushDataParser() : impl_(std::make_unique<Impl>()) {}
PushDataParser::~PushDataParser() = default;

std::expected<PushData, ParseError> PushDataParser::parse(std::span<const uint8_t> body) {
  element root;
  if (auto err = impl_->load(body).get(root); err != simdjson::SUCCESS)
    return fail("PUSH_DATA", jsonError(err));
  object o;
  if (root.get_object().get(o) != simdjson::SUCCESS)
    return fail("PUSH_DATA", std::string("want a JSON object, got ") + typeName(root));
  PushData pd;
  element e;
  if (o["rxpk"].get(e) == simdjson::SUCCESS) {
    simdjson::dom::array rx;
    if (e.get_array().get(rx) != simdjson::SUCCESS)
      return fail("rxpk", std::string("want an array, got ") + typeName(e));
    size_t i = 0;
    for (element r : rx) pd.rxpk.push_back(parseRxPacket(r, i++));
  }
  if (o["stat"].get(e) == simdjson::SUCCESS) {
    if (!e.is_object()) return fail("stat", std::string("want an object, got ") + typeName(e));
    pd.hasStat = true;
    pd.statJson = simdjson::to_string(e);
  }
  return pd;
}

std::expected<PushData, ParseError> parsePushData(std::span<const uint8_t> json) {
  PushDataParser p;
  return p.parse(json);
}

static Bytes header(uint8_t version, uint16_t token, Identifier id) {
  return {version, uint8_t(token >> 8), uint8_t(token), uint8_t(id)};
}
static void appendEui(Bytes& out, Eui64 e) {
  for (int i = 7; i >= 0; --i) out.push_back(uint8_t(e.value() >> (8 * i)));
}

Bytes makePushData(uint8_t version, uint16_t token, Eui64 gateway, const std::string& bodyJson) {
  Bytes out = header(version, token, Identifier::PushData);
  appendEui(out, gateway);
  out.insert(out.end(), bodyJson.begin(), bodyJson.end());
  return out;
}

Bytes makePullData(uint8_t version, uint16_t token, Eui64 gateway) {
  Bytes out = header(version, token, Identifier::PullData);
  appendEui(out, gateway);
  return out;
}

Bytes makePullResp(uint8_t version, uint16_t token, const std::string& txpkJson) {
  // Version 1 forwarders expect a zero token in PULL_RESP.
  Bytes out = header(version, version == 1 ? 0 : token, Identifier::PullResp);
  out.insert(out.end(), txpkJson.begin(), txpkJson.end());
  return out;
}

std::string rxpkJson(const RxPacket& rx) {
  char head[320];
  const int n = std::snprintf(
      head, sizeof head,
      R"({"tmst":%u,"chan":%d,"rfch":%d,"freq":%.6f,"stat":%d,"modu":"%s","datr":"%s",)"
      R"("codr":"%s","rssi":%.0f,)",
      rx.tmst, rx.channel, rx.rfChain, double(rx.frequencyHz) / 1e6, rx.crcStatus,
      rx.modulation.empty() ? "LORA" : rx.modulation.c_str(), rx.dataRate.c_str(),
      rx.codeRate.value_or("4/5").c_str(), rx.rssi);
  std::string out(head, size_t(std::max(n, 0)));
  if (rx.snr) {
    char snr[32];
    std::snprintf(snr, sizeof snr, "\"lsnr\":%.1f,", *rx.snr);
    out += snr;
  }
  out += "\"size\":" + std::to_string(rx.phyPayload.size()) + ",\"data\":\"";
  out += base64Encode(rx.phyPayload);
  out += "\"}";
  return out;
}

std::string txpkJson(const TxPacket& tx) {
  nlohmann::json t;
  t["imme"] = tx.immediate;
  if (!tx.immediate) t["tmst"] = tx.tmst;
  t["freq"] = double(tx.frequencyHz) / 1e6;  // MHz, as forwarders expect
  t["rfch"] = tx.rfChain;
  t["powe"] = tx.powerDbm;
  t["modu"] = tx.modulation;
  t["datr"] = tx.dataRate;
  t["codr"] = tx.codeRate;
  t["ipol"] = tx.invertPolarity;
  t["size"] = tx.phyPayload.size();
  t["data"] = base64Encode(tx.phyPayload);
  return nlohmann::json{{"txpk", t}}.dump();
}

std::expected<TxAck, ParseError> parseTxAck(std::span<const uint8_t> body) {
  TxAck ack;
  if (body.empty()) return ack;  // v1 forwarders and successful v2 ones may send no JSON
  JsonDocument p;
  element root;
  if (auto err = p.load(body).get(root); err != simdjson::SUCCESS)
    return fail("TX_ACK", jsonError(err));
  if (!root.is_object()) return fail("TX_ACK", "want a JSON object");
  element a;
  if (root["txpk_ack"].get(a) != simdjson::SUCCESS) return ack;
  if (!a.is_object()) return fail("txpk_ack", "want an object");
  element e;
  if (a["error"].get(e) == simdjson::SUCCESS) {
    std::string_view v;
    if (e.get_string().get(v) != simdjson::SUCCESS) return fail("txpk_ack.error", "want a string");
    ack.error = std::string(v);
  }
  return ack;
}

}  // namespace lorawan::semtech
