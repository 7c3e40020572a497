// Cayenne LPP (myDevices) decode and encode. Each item: channel (1 byte), type (1 byte), value
// (big-endian, fixed size per type).
//
// Type ids beyond the 12 standard ones come from the Arduino extended set (ElectronicCats
// CayenneLPP): 100 generic, 116 voltage, 117 current, 118 frequency, 120 percentage, 121 altitude,
// 125 concentration, 128 power, 130 distance, 131 energy, 132 direction, 133 unix time,
// 135 colour, 142 switch. The Things Stack's decoder (go-cayenne-lib) knows only the 12 standard
// types: 116-118 and 131 are the ids real devices send most and that decoder rejects, so the
// same bytes decode here (variant arduino) and fail there. `variant: ttn` behaves like TTS: only
// the standard types, anything else is an error naming the type.
#include <cmath>
#include <nlohmann/json.hpp>

#include "codecs/codec.hpp"

namespace codecs {
namespace {

using nlohmann::json;

struct LppType {
  uint8_t id;
  const char* tts;         // The Things Stack field prefix: temperature_1
  const char* chirpstack;  // ChirpStack v3 object name: temperatureSensor
  uint8_t size;            // bytes per axis
  uint8_t axes;            // 1, 3 (x/y/z) or 0 = GPS
  double divisor;
  bool isSigned;
  bool standard;  // one of the 12 original types
};

constexpr LppType kTypes[] = {
    {0, "digital_in", "digitalInput", 1, 1, 1, false, true},
    {1, "digital_out", "digitalOutput", 1, 1, 1, false, true},
    {2, "analog_in", "analogInput", 2, 1, 100, true, true},
    {3, "analog_out", "analogOutput", 2, 1, 100, true, true},
    {100, "generic_sensor", "genericSensor", 4, 1, 1, false, false},
    {101, "luminosity", "illuminanceSensor", 2, 1, 1, false, true},
    {102, "presence", "presenceSensor", 1, 1, 1, false, true},
    {103, "temperature", "temperatureSensor", 2, 1, 10, true, true},
    {104, "relative_humidity", "humiditySensor", 1, 1, 2, false, true},
    {113, "accelerometer", "accelerometer", 2, 3, 1000, true, true},
    {115, "barometric_pressure", "barometer", 2, 1, 10, false, true},
    {116, "voltage", "voltage", 2, 1, 100, false, false},
    {117, "current", "current", 2, 1, 1000, false, false},
    {118, "frequency", "frequency", 4, 1, 1, false, false},
    {120, "percentage", "percentage", 1, 1, 1, false, false},
    {121, "altitude", "altitude", 2, 1, 1, true, false},
    {125, "concentration", "concentration", 2, 1, 1, false, false},
    {128, "power", "power", 2, 1, 1, false, false},
    {130, "distance", "distance", 4, 1, 1000, false, false},
    {131, "energy", "energy", 4, 1, 1000, false, false},
    {132, "direction", "direction", 2, 1, 1, false, false},
    {133, "unixtime", "unixTime", 4, 1, 1, false, false},
    {134, "gyrometer", "gyrometer", 2, 3, 100, true, true},
    {135, "colour", "colour", 1, 3, 1, false, false},
    {136, "gps", "gpsLocation", 3, 0, 0, true, true},
    {142, "switch", "switch", 1, 1, 1, false, false},
};

const LppType* findType(uint8_t id) {
  for (const auto& t : kTypes)
    if (t.id == id) return &t;
  return nullptr;
}
const LppType* findType(const std::string& ttsName) {
  for (const auto& t : kTypes)
    if (ttsName == t.tts) return &t;
  return nullptr;
}

int64_t readBe(const uint8_t* p, size_t n, bool isSigned) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | p[i];
  if (isSigned && n < 8 && (v >> (8 * n - 1)) & 1) return int64_t(v) - (int64_t(1) << (8 * n));
  return int64_t(v);
}

void writeBe(std::vector<uint8_t>& out, int64_t v, size_t n) {
  for (size_t i = n; i-- > 0;) out.push_back(uint8_t(uint64_t(v) >> (8 * i)));
}

class CayenneLpp final : public Codec {
 public:
  CayenneLpp(std::string variant, std::string style)
      : variant_(std::move(variant)), style_(std::move(style)) {}
  const std::string& name() const override { return name_; }

  DecodeResult decodeUplink(const UplinkInput& in) const override {
    DecodeResult r;
    json out = json::object();
    const auto& b = in.bytes;
    size_t i = 0;
    while (i < b.size()) {
      if (i + 2 > b.size())
        return fail("truncated item at byte " + std::to_string(i) + ": channel without type");
      const uint8_t channel = b[i], typeId = b[i + 1];
      const LppType* t = findType(typeId);
      if (!t || (variant_ == "ttn" && !t->standard))
        return fail(
            "unknown type " + std::to_string(typeId) + " at byte " + std::to_string(i + 1) +
            (t ? " (an Arduino-extended type; variant ttn knows only the 12 standard ones)" : ""));
      const size_t size = t->axes == 0 ? 9 : size_t(t->size) * t->axes;
      if (i + 2 + size > b.size())
        return fail(std::string(t->tts) + " on channel " + std::to_string(channel) + " needs " +
                    std::to_string(size) + " bytes, " + std::to_string(b.size() - i - 2) +
                    " remain");
      const uint8_t* p = b.data() + i + 2;
      json value;
      if (t->axes == 0) {
        value = {{"latitude", double(readBe(p, 3, true)) / 10000},
                 {"longitude", double(readBe(p + 3, 3, true)) / 10000},
                 {"altitude", double(readBe(p + 6, 3, true)) / 100}};
      } else if (t->axes == 3) {
        const char* names[3] = {"x", "y", "z"};
        if (t->id == 135) names[0] = "r", names[1] = "g", names[2] = "b";
        value = json::object();
        for (int a = 0; a < 3; ++a)
          value[names[a]] = double(readBe(p + a * t->size, t->size, t->isSigned)) / t->divisor;
      } else {
        int64_t raw = readBe(p, t->size, t->isSigned);
        value = t->divisor == 1 ? json(raw) : json(double(raw) / t->divisor);
      }
      if (style_ == "chirpstack")
        out[t->chirpstack][std::to_string(channel)] = value;
      else
        out[std::string(t->tts) + "_" + std::to_string(channel)] = value;
      i += 2 + size;
    }
    r.dataJson = out.dump();
    return r;
  }

  // {"digital_out_2": 1, "analog_out_3": -1.5} -> bytes (The Things Stack field names).
  EncodeResult encodeDownlink(const std::string& objectJson, uint8_t) const override {
    EncodeResult r;
    json in = json::parse(objectJson, nullptr, false);
    if (in.is_discarded() || !in.is_object()) {
      r.errors.push_back("want a JSON object like {\"digital_out_2\": 1}");
      return r;
    }
    for (const auto& [key, value] : in.items()) {
      auto us = key.rfind('_');
      const LppType* t = us == std::string::npos ? nullptr : findType(key.substr(0, us));
      int channel = -1;
      if (t) channel = std::atoi(key.c_str() + us + 1);
      if (!t || channel < 0 || channel > 255 || (variant_ == "ttn" && !t->standard) ||
          t->axes != 1 || !value.is_number()) {
        r.errors.push_back(key +
                           ": not an encodable Cayenne LPP field (name_channel with a number)");
        continue;
      }
      double scaled = std::round(value.get<double>() * t->divisor);
      double max = std::ldexp(1.0, 8 * t->size - (t->isSigned ? 1 : 0));
      if (scaled >= max || scaled < (t->isSigned ? -max : 0)) {
        r.errors.push_back(key + ": " + value.dump() + " out of range");
        continue;
      }
      r.bytes.push_back(uint8_t(channel));
      r.bytes.push_back(t->id);
      writeBe(r.bytes, int64_t(scaled), t->size);
    }
    if (!r.errors.empty()) r.bytes.clear();
    return r;
  }

 private:
  static DecodeResult fail(std::string msg) {
    return {std::nullopt, {"cayenne_lpp: " + std::move(msg)}, {}};
  }
  std::string variant_, style_;
  std::string name_ = "cayenne_lpp";
};

}  // namespace

std::unique_ptr<Codec> makeCayenneLppCodec(const std::string& variant, const std::string& style) {
  return std::make_unique<CayenneLpp>(variant, style);
}

}  // namespace codecs
