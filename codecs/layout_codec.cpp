// `layout`: a declarative codec from YAML. Per FPort, fields with a byte offset, an integer or
// float type, endianness, an optional bit field, scale and add (value * scale + add), enum names
// and a unit:
//   fports:
//     2:
//       - { name: temperature, offset: 0, type: i16, scale: 0.1, unit: "°C" }
//       - { name: door, offset: 2, type: u8, bits: [0, 1], enum: { 0: closed, 1: open } }
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "codecs/codec.hpp"

namespace codecs {
namespace {

using nlohmann::json;

struct Field {
  std::string name;
  size_t offset = 0;
  std::string type;  // u8 u16 u24 u32 i8 i16 i24 i32 f32
  size_t size = 1;
  bool isSigned = false;
  bool littleEndian = false;
  std::optional<std::pair<int, int>> bits;  // start bit (LSB 0), length
  double scale = 1, add = 0;
  std::map<int64_t, std::string> enumNames;
  std::string unit;
};

class LayoutCodec final : public Codec {
 public:
  explicit LayoutCodec(std::map<int, std::vector<Field>> ports) : ports_(std::move(ports)) {}
  const std::string& name() const override { return name_; }

  DecodeResult decodeUplink(const UplinkInput& in) const override {
    auto it = ports_.find(in.fPort);
    if (it == ports_.end())
      return {std::nullopt, {"layout: no fields for FPort " + std::to_string(in.fPort)}, {}};
    json out = json::object();
    for (const Field& f : it->second) {
      if (f.offset + f.size > in.bytes.size())
        return {std::nullopt,
                {"layout: " + f.name + " needs bytes " + std::to_string(f.offset) + ".." +
                 std::to_string(f.offset + f.size - 1) + ", payload has " +
                 std::to_string(in.bytes.size())},
                {}};
      const uint8_t* p = in.bytes.data() + f.offset;
      uint64_t raw = 0;
      for (size_t i = 0; i < f.size; ++i) {
        size_t idx = f.littleEndian ? f.size - 1 - i : i;
        raw = raw << 8 | p[idx];
      }
      json value;
      if (f.type == "f32") {
        float fl;
        uint32_t u = uint32_t(raw);
        std::memcpy(&fl, &u, 4);
        value = double(fl) * f.scale + f.add;
      } else {
        int64_t v;
        if (f.bits) {
          v = int64_t((raw >> f.bits->first) & ((uint64_t(1) << f.bits->second) - 1));
        } else if (f.isSigned && (raw >> (8 * f.size - 1)) & 1) {
          v = int64_t(raw) - (int64_t(1) << (8 * f.size));
        } else {
          v = int64_t(raw);
        }
        if (!f.enumNames.empty()) {
          auto e = f.enumNames.find(v);
          value = e != f.enumNames.end() ? json(e->second) : json(v);
        } else if (f.scale == 1 && f.add == 0) {
          value = v;
        } else {
          // Round to the scale's precision: 215 * 0.1 is 21.5, not 21.500000000000004.
          double d = double(v) * f.scale + f.add;
          value = std::round(d * 1e9) / 1e9;
        }
      }
      out[f.name] = f.unit.empty() ? value : json{{"value", value}, {"unit", f.unit}};
    }
    // Names come from the operator's file: bytes that are not UTF-8 are shown as U+FFFD.
    return {out.dump(-1, ' ', false, json::error_handler_t::replace), {}, {}};
  }

 private:
  std::map<int, std::vector<Field>> ports_;
  std::string name_ = "layout";
};

}  // namespace

namespace {
std::expected<std::unique_ptr<Codec>, std::string> readLayout(const YAML::Node& root,
                                                              const std::string& file);
}  // namespace

std::expected<std::unique_ptr<Codec>, std::string> loadLayoutCodec(const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    return std::unexpected(file + ": cannot open layout file");
  } catch (const YAML::Exception& e) {
    return std::unexpected(file + ":" + std::to_string(e.mark.line + 1) +
                           ": invalid YAML: " + e.msg);
  }
  // A document of an unexpected shape (a scalar where a mapping belongs) throws from yaml-cpp's
  // accessors: it is an error in the file, never an exception out of the loader (fuzz/).
  try {
    return readLayout(root, file);
  } catch (const YAML::Exception& e) {
    return std::unexpected(file + ":" + std::to_string(e.mark.line + 1) +
                           ": unexpected layout: " + e.msg);
  }
}

namespace {
std::expected<std::unique_ptr<Codec>, std::string> readLayout(const YAML::Node& root,
                                                              const std::string& file) {
  auto err = [&](const YAML::Node& n, const std::string& what) {
    return std::unexpected(file + ":" + std::to_string(n.Mark().line + 1) + ": " + what);
  };
  const YAML::Node ports = root["fports"];
  if (!ports.IsMap()) return err(root, "fports: want a mapping of FPort to a list of fields");
  std::map<int, std::vector<Field>> out;
  for (const auto& kv : ports) {
    int port = kv.first.as<int>(-1);
    if (port < 1 || port > 223)
      return err(kv.first,
                 "fports: \"" + kv.first.as<std::string>("?") + "\" is not an FPort 1..223");
    if (!kv.second.IsSequence())
      return err(kv.second, "fports." + std::to_string(port) + ": want a list of fields");
    for (size_t i = 0; i < kv.second.size(); ++i) {
      const YAML::Node n = kv.second[i];
      const std::string path = "fports." + std::to_string(port) + "[" + std::to_string(i) + "]";
      if (!n.IsMap()) return err(n, path + ": want a mapping");
      for (const auto& k : n) {
        static const char* kKeys[] = {"name",  "offset", "type", "endian", "bits",
                                      "scale", "add",    "enum", "unit"};
        std::string key = k.first.as<std::string>("");
        if (std::none_of(std::begin(kKeys), std::end(kKeys),
                         [&](const char* a) { return key == a; }))
          return err(k.first, path + "." + key + ": unknown key");
      }
      Field f;
      f.name = n["name"].as<std::string>("");
      if (f.name.empty()) return err(n, path + ".name: missing");
      if (!n["offset"] || n["offset"].as<long>(-1) < 0)
        return err(n, path + ".offset: missing or negative");
      f.offset = size_t(n["offset"].as<long>());
      f.type = n["type"].as<std::string>("u8");
      static const std::map<std::string, std::pair<size_t, bool>> kTypes = {
          {"u8", {1, false}},  {"u16", {2, false}}, {"u24", {3, false}},
          {"u32", {4, false}}, {"i8", {1, true}},   {"i16", {2, true}},
          {"i24", {3, true}},  {"i32", {4, true}},  {"f32", {4, false}}};
      auto t = kTypes.find(f.type);
      if (t == kTypes.end())
        return err(n["type"], path + ".type: \"" + f.type + "\", want u8..u32, i8..i32 or f32");
      f.size = t->second.first;
      f.isSigned = t->second.second;
      std::string endian = n["endian"].as<std::string>("big");
      if (endian != "big" && endian != "little")
        return err(n["endian"], path + ".endian: want big or little");
      f.littleEndian = endian == "little";
      if (n["bits"]) {
        if (!n["bits"].IsSequence() || n["bits"].size() != 2)
          return err(n["bits"], path + ".bits: want [start, length]");
        int start = n["bits"][0].as<int>(-1), len = n["bits"][1].as<int>(-1);
        if (start < 0 || len < 1 || size_t(start + len) > 8 * f.size)
          return err(n["bits"],
                     path + ".bits: outside the " + std::to_string(8 * f.size) + "-bit field");
        f.bits = {start, len};
      }
      f.scale = n["scale"].as<double>(1.0);
      f.add = n["add"].as<double>(0.0);
      f.unit = n["unit"].as<std::string>("");
      if (n["enum"]) {
        if (!n["enum"].IsMap())
          return err(n["enum"], path + ".enum: want a mapping of value to name");
        for (const auto& e : n["enum"])
          f.enumNames[e.first.as<int64_t>(0)] = e.second.as<std::string>("");
      }
      out[port].push_back(f);
    }
  }
  return std::unique_ptr<Codec>(std::make_unique<LayoutCodec>(std::move(out)));
}
}  // namespace

}  // namespace codecs
