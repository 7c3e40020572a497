#pragma once
// YAML -> JSON the way the device repository reads its files: YAML 1.2's core schema (js-yaml),
// not yaml-cpp's YAML 1.1 conversions, where `on`, `off`, `yes`, `no` and `y` are booleans and
// `010` is octal.
#include <nlohmann/json.hpp>

namespace YAML {
class Node;
}

namespace codecs {

nlohmann::json yamlToJson(const YAML::Node& node);

// A plain (unquoted) scalar under the core schema: null, bool, int (decimal, 0x, 0o), float
// (including .inf and .nan) or else a string.
nlohmann::json coreSchemaScalar(const std::string& plain);

}  // namespace codecs
