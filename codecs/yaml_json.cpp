#include "codecs/yaml_json.hpp"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <regex>

namespace codecs {

using nlohmann::json;

json coreSchemaScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  // The patterns of YAML 1.2.2 section 10.3.2 (what js-yaml's default schema accepts for these).
  static const std::regex decimal("[-+]?[0-9]+");
  static const std::regex octal("0o[0-7]+");
  static const std::regex hex("0x[0-9a-fA-F]+");
  static const std::regex number("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  static const std::regex inf("[-+]?\\.(inf|Inf|INF)");
  static const std::regex nan("\\.(nan|NaN|NAN)");
  auto integer = [&](const char* digits, int base) -> json {
    errno = 0;
    char* end = nullptr;
    const bool negative = *digits == '-';
    const unsigned long long v = std::strtoull(digits + (negative || *digits == '+'), &end, base);
    if (errno == ERANGE || v > uint64_t(std::numeric_limits<int64_t>::max()))
      return std::strtod(s.c_str(), nullptr);  // beyond 64 bits: a double, as in JavaScript
    return negative ? json(-int64_t(v)) : json(int64_t(v));
  };
  if (std::regex_match(s, decimal)) return integer(s.c_str(), 10);
  if (std::regex_match(s, octal)) return integer(s.c_str() + 2, 8);
  if (std::regex_match(s, hex)) return integer(s.c_str() + 2, 16);
  if (std::regex_match(s, number)) return std::strtod(s.c_str(), nullptr);
  // JSON has no infinities or NaN; a YAML example never expects them from a JSON result either.
  if (std::regex_match(s, inf)) return s[0] == '-' ? -HUGE_VAL : HUGE_VAL;
  if (std::regex_match(s, nan)) return std::nan("");
  return s;
}

json yamlToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence: {
      json a = json::array();
      for (const auto& e : n) a.push_back(yamlToJson(e));
      return a;
    }
    case YAML::NodeType::Map: {
      json o = json::object();
      for (const auto& kv : n) o[kv.first.Scalar()] = yamlToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Scalar:
      // yaml-cpp tags quoted and block scalars "!": always strings.
      if (n.Tag() == "!") return n.Scalar();
      return coreSchemaScalar(n.Scalar());
    default:
      return nullptr;
  }
}

}  // namespace codecs
