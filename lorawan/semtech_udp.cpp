#include "lorawan/semtech_udp.hpp"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "lorawan/base64.hpp"
#include "lorawan/phy_payload.hpp"

namespace lorawan::semtech {
namespace {

using nlohmann::json;

std::unexpected<ParseError> fail(std::string field, std::string message) {
  return std::unexpected(ParseError{std::move(field), std::move(message)});
}

const char* typeName(const json& v) { return v.type_name(); }

std::expected<json, ParseError> parseJson(std::span<const uint8_t> bytes, const char* what) {
  try {
    return json::parse(bytes.begin(), bytes.end());
  } catch (const json::parse_error& e) {
    return fail(what, "invalid JSON at byte " + std::to_string(e.byte));
  } catch (const json::exception&) {
    return fail(what, "invalid JSON: a number out of range");
  }
}

// Integer field within [lo, hi]; nlohmann keeps big numbers as unsigned or float.
template <typename T>
std::expected<T, ParseError> intField(const json& o, const char* key, const std::string& path,
                                      int64_t lo, uint64_t hi) {
  auto it = o.find(key);
  if (it == o.end()) return fail(path + "." + key, "missing");
  if (it->is_number_unsigned()) {
    uint64_t v = it->get<uint64_t>();
    if (v > hi) return fail(path + "." + key, std::to_string(v) + " out of range");
    return T(v);
  }
  if (it->is_number_integer()) {
    int64_t v = it->get<int64_t>();
    if (v < lo || (v > 0 && uint64_t(v) > hi))
      return fail(path + "." + key, std::to_string(v) + " out of range");
    return T(v);
  }
  return fail(path + "." + key, std::string("want an integer, got ") + typeName(*it));
}

std::expected<double, ParseError> numField(const json& o, const char* key, const std::string& path,
                                           double lo, double hi) {
  auto it = o.find(key);
  if (it == o.end()) return fail(path + "." + key, "missing");
  if (!it->is_number()) return fail(path + "." + key, std::string("want a number, got ") + typeName(*it));
  double v = it->get<double>();
  if (!std::isfinite(v) || v < lo || v > hi)
    return fail(path + "." + key, "value out of range");
  return v;
}

std::expected<std::string, ParseError> strField(const json& o, const char* key,
                                                const std::string& path) {
  auto it = o.find(key);
  if (it == o.end()) return fail(path + "." + key, "missing");
  if (!it->is_string()) return fail(path + "." + key, std::string("want a string, got ") + typeName(*it));
  return it->get<std::string>();
}

}  // namespace

const char* toString(Identifier id) {
  switch (id) {
    case Identifier::PushData: return "PUSH_DATA";
    case Identifier::PushAck: return "PUSH_ACK";
    case Identifier::PullData: return "PULL_DATA";
    case Identifier::PullResp: return "PULL_RESP";
    case Identifier::PullAck: return "PULL_ACK";
    case Identifier::TxAck: return "TX_ACK";
  }
  return "?";
}

std::expected<Datagram, ParseError> parseDatagram(std::span<const uint8_t> b) {
  if (b.size() < 4) return fail("header", "datagram of " + std::to_string(b.size()) + " bytes, need at least 4");
  if (b.size() > kMaxDatagramSize) return fail("datagram", "oversized: " + std::to_string(b.size()) + " bytes");
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
    case Identifier::TxAck:
      if (b.size() < 12)
        return fail("gateway EUI", std::string(toString(d.identifier)) + " of " +
                                       std::to_string(b.size()) + " bytes, need at least 12");
      // The gateway EUI is sent most significant byte first.
      {
        uint64_t v = 0;
        for (size_t i = 4; i < 12; ++i) v = v << 8 | b[i];
        d.gatewayEui = Eui64(v);
      }
      d.json = b.subspan(12);
      if (d.identifier == Identifier::PullData && !d.json.empty())
        return fail("PULL_DATA", "unexpected " + std::to_string(d.json.size()) + " trailing bytes");
      if (d.identifier == Identifier::PushData && d.json.empty())
        return fail("PUSH_DATA", "missing JSON body");
      break;
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

std::expected<RxPacket, ParseError> parseRxPacket(const json& j, size_t index) {
  const std::string path = "rxpk[" + std::to_string(index) + "]";
  if (!j.is_object()) return fail(path, std::string("want an object, got ") + typeName(j));
  RxPacket p;
  auto tmst = intField<uint32_t>(j, "tmst", path, 0, 0xFFFFFFFFu);
  if (!tmst) return std::unexpected(tmst.error());
  p.tmst = *tmst;
  auto freq = numField(j, "freq", path, 1.0, 10000.0);  // MHz
  if (!freq) return std::unexpected(freq.error());
  p.frequencyHz = uint64_t(std::llround(*freq * 1e6));
  auto stat = intField<int>(j, "stat", path, -1, 1);
  if (!stat) return std::unexpected(stat.error());
  p.crcStatus = *stat;
  auto modu = strField(j, "modu", path);
  if (!modu) return std::unexpected(modu.error());
  p.modulation = *modu;
  auto datr = j.find("datr");
  if (datr == j.end()) return fail(path + ".datr", "missing");
  if (p.modulation == "LORA" || p.modulation == "LR-FHSS") {
    if (!datr->is_string()) return fail(path + ".datr", std::string("want a string, got ") + typeName(*datr));
    p.dataRate = datr->get<std::string>();
    auto codr = strField(j, "codr", path);
    if (!codr) return std::unexpected(codr.error());
    p.codeRate = *codr;
  } else if (p.modulation == "FSK") {
    auto br = intField<uint32_t>(j, "datr", path, 1, 1000000);
    if (!br) return std::unexpected(br.error());
    p.dataRate = std::to_string(*br);
  } else {
    return fail(path + ".modu", "\"" + p.modulation + "\", want LORA, FSK or LR-FHSS");
  }
  if (auto t = j.find("time"); t != j.end() && t->is_string()) p.time = t->get<std::string>();
  if (j.contains("tmms")) {
    auto tmms = intField<uint64_t>(j, "tmms", path, 0, std::numeric_limits<uint64_t>::max());
    if (!tmms) return std::unexpected(tmms.error());
    p.tmms = *tmms;
  }
  if (j.contains("rfch")) {
    auto rfch = intField<int>(j, "rfch", path, 0, 255);
    if (!rfch) return std::unexpected(rfch.error());
    p.rfChain = *rfch;
  }
  if (auto rsig = j.find("rsig"); rsig != j.end()) {
    // Multi-antenna (v2) gateways: per-antenna signal in `rsig`; report the strongest.
    if (!rsig->is_array() || rsig->empty()) return fail(path + ".rsig", "want a non-empty array");
    for (size_t i = 0; i < rsig->size(); ++i) {
      const json& s = (*rsig)[i];
      const std::string sp = path + ".rsig[" + std::to_string(i) + "]";
      if (!s.is_object()) return fail(sp, "want an object");
      RxSignal sig;
      auto ant = intField<int>(s, "ant", sp, 0, 255);
      auto chan = intField<int>(s, "chan", sp, 0, 255);
      auto rssic = numField(s, "rssic", sp, -300, 100);
      if (!ant) return std::unexpected(ant.error());
      if (!chan) return std::unexpected(chan.error());
      if (!rssic) return std::unexpected(rssic.error());
      sig.antenna = *ant;
      sig.channel = *chan;
      sig.rssi = *rssic;
      if (s.contains("lsnr")) {
        auto snr = numField(s, "lsnr", sp, -50, 50);
        if (!snr) return std::unexpected(snr.error());
        sig.snr = *snr;
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
    auto chan = intField<int>(j, "chan", path, 0, 255);
    if (!chan) return std::unexpected(chan.error());
    p.channel = *chan;
    auto rssi = numField(j, "rssi", path, -300, 100);
    if (!rssi) return std::unexpected(rssi.error());
    p.rssi = *rssi;
    if (j.contains("lsnr")) {
      auto snr = numField(j, "lsnr", path, -50, 50);
      if (!snr) return std::unexpected(snr.error());
      p.snr = *snr;
    }
  }
  auto data = strField(j, "data", path);
  if (!data) return std::unexpected(data.error());
  auto bytes = base64Decode(*data);
  if (!bytes) return fail(path + ".data", bytes.error());
  p.phyPayload = std::move(*bytes);
  if (j.contains("size")) {
    auto size = intField<size_t>(j, "size", path, 0, 65535);
    if (!size) return std::unexpected(size.error());
    if (*size != p.phyPayload.size())
      return fail(path + ".size", std::to_string(*size) + " does not match " +
                                      std::to_string(p.phyPayload.size()) + " decoded bytes");
  }
  return p;
}

std::expected<PushData, ParseError> parsePushData(std::span<const uint8_t> body) {
  auto j = parseJson(body, "PUSH_DATA");
  if (!j) return std::unexpected(j.error());
  if (!j->is_object()) return fail("PUSH_DATA", std::string("want a JSON object, got ") + typeName(*j));
  PushData pd;
  if (auto rx = j->find("rxpk"); rx != j->end()) {
    if (!rx->is_array()) return fail("rxpk", std::string("want an array, got ") + typeName(*rx));
    pd.rxpk.reserve(rx->size());
    for (size_t i = 0; i < rx->size(); ++i) pd.rxpk.push_back(parseRxPacket((*rx)[i], i));
  }
  if (auto st = j->find("stat"); st != j->end()) {
    if (!st->is_object()) return fail("stat", std::string("want an object, got ") + typeName(*st));
    pd.hasStat = true;
    pd.statJson = st->dump();
  }
  return pd;
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

std::expected<TxAck, ParseError> parseTxAck(std::span<const uint8_t> body) {
  TxAck ack;
  if (body.empty()) return ack;  // v1 forwarders and successful v2 ones may send no JSON
  auto j = parseJson(body, "TX_ACK");
  if (!j) return std::unexpected(j.error());
  if (!j->is_object()) return fail("TX_ACK", "want a JSON object");
  auto a = j->find("txpk_ack");
  if (a == j->end()) return ack;
  if (!a->is_object()) return fail("txpk_ack", "want an object");
  if (auto e = a->find("error"); e != a->end()) {
    if (!e->is_string()) return fail("txpk_ack.error", "want a string");
    ack.error = e->get<std::string>();
  }
  return ack;
}

}  // namespace lorawan::semtech
