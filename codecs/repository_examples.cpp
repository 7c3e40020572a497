#include <yaml-cpp/yaml.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>

#include "codecs/codec.hpp"

namespace codecs {
namespace {

using nlohmann::json;

json toJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& e : n) a.push_back(toJson(e));
      return a;
    }
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = toJson(kv.second);
      return o;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted: a string
      long long i;
      double d;
      bool b;
      if (YAML::convert<long long>::decode(n, i)) return i;
      if (YAML::convert<double>::decode(n, d)) return d;
      if (YAML::convert<bool>::decode(n, b)) return b;
      return s;
    }
    default:
      return nullptr;
  }
}

std::vector<uint8_t> bytesOf(const json& j) {
  std::vector<uint8_t> out;
  if (j.is_array())
    for (const auto& b : j) out.push_back(uint8_t(b.get<int>()));
  return out;
}

}  // namespace

int runDeviceRepositoryTest(const std::string& yamlFile, std::ostream& out) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(yamlFile);
  } catch (const YAML::Exception& e) {
    out << yamlFile << ": " << e.what() << "\n";
    return 1;
  }
  const std::string dir = yamlFile.substr(0, yamlFile.find_last_of('/') + 1);
  int passed = 0, failed = 0;
  for (const char* section : {"uplinkDecoder", "downlinkEncoder", "downlinkDecoder"}) {
    const YAML::Node s = root[section];
    if (!s) continue;
    auto codec = loadJsCodec(dir + s["fileName"].as<std::string>(""),
                             std::chrono::milliseconds(1000), 64u << 20);
    if (!codec) {
      out << "FAIL " << section << ": " << codec.error() << "\n";
      ++failed;
      continue;
    }
    size_t i = 0;
    for (const auto& ex : s["examples"]) {
      ++i;
      const json input = toJson(ex["input"]);
      const json want = toJson(ex["output"]);
      json got;
      if (std::string(section) == "downlinkEncoder") {
        auto r = (*codec)->encodeDownlink(input.value("data", json::object()).dump(),
                                          uint8_t(input.value("fPort", 1)));
        got = json::object();
        if (!r.errors.empty())
          got["errors"] = r.errors;
        else {
          got["bytes"] = r.bytes;
          if (r.fPort) got["fPort"] = *r.fPort;
        }
      } else {
        auto bytes = bytesOf(input["bytes"]);
        UplinkInput in{bytes, uint8_t(input.value("fPort", 1)), 0};
        auto r = std::string(section) == "uplinkDecoder" ? (*codec)->decodeUplink(in)
                                                         : (*codec)->decodeDownlink(in);
        got = json::object();
        if (r.dataJson) got["data"] = json::parse(*r.dataJson);
        if (!r.errors.empty()) got["errors"] = r.errors;
        if (!r.warnings.empty()) got["warnings"] = r.warnings;
      }
      // Only the keys the example names are compared (examples often omit warnings).
      bool ok = true;
      for (const auto& [k, v] : want.items())
        if (!got.contains(k) || got[k] != v) ok = false;
      const std::string what =
          std::string(section) + " example " + std::to_string(i) +
          (ex["description"] ? ": " + ex["description"].as<std::string>() : "");
      if (ok) {
        ++passed;
        out << "PASS " << what << "\n";
      } else {
        ++failed;
        out << "FAIL " << what << "\n  want " << want.dump() << "\n  got  " << got.dump() << "\n";
      }
    }
  }
  out << passed << " passed, " << failed << " failed\n";
  return failed;
}

}  // namespace codecs
