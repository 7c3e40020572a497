#pragma once
// A JSON value (simdjson's DOM) with the few YAML::Node calls the config reader makes, so
// interface files in JSON go through the same reader, checks and messages as YAML ones, at
// simdjson's speed: a million devices parse in a fraction of a second, where yaml-cpp takes
// ~45 s. JSON has no line numbers here; messages name the file and the path instead.
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace config {

class JsonNode {
 public:
  JsonNode() = default;  // undefined (a missing key)
  explicit JsonNode(simdjson::dom::element e) : e_(e) {}
  // A map key: a string scalar.
  explicit JsonNode(std::string_view key) : key_(key) {}

  bool IsDefined() const { return e_.has_value() || key_.has_value(); }
  bool IsNull() const { return e_ && e_->is_null(); }
  bool IsMap() const { return e_ && e_->is_object(); }
  bool IsSequence() const { return e_ && e_->is_array(); }
  bool IsScalar() const { return key_ || (e_ && !e_->is_object() && !e_->is_array() && !IsNull()); }
  // A scalar's text, as YAML would give it (numbers and booleans as written).
  std::string Scalar() const;
  // A string value (or a key) in place; nullopt for other types.
  std::optional<std::string_view> stringView() const {
    if (key_) return key_;
    std::string_view s;
    if (e_ && e_->get_string().get(s) == simdjson::SUCCESS) return s;
    return std::nullopt;
  }
  // f(key) for each key of an object, in order.
  template <typename F>
  void forEachKey(const F& f) const {
    simdjson::dom::object o;
    if (!e_ || e_->get_object().get(o) != simdjson::SUCCESS) return;
    for (auto [k, v] : o) f(k);
  }
  JsonNode operator[](const char* key) const;
  JsonNode operator[](size_t index) const;
  size_t size() const;

  template <typename T>
  T as(const T& fallback) const;

  // The value itself when it is the type (no conversion from strings: JSON has types).
  std::optional<bool> boolean() const;
  std::optional<long long> integer() const;
  std::optional<double> number() const;

  // Members of an object / items of an array, in order.
  std::vector<std::pair<JsonNode, JsonNode>> members() const;
  std::vector<JsonNode> items() const;

 private:
  std::optional<simdjson::dom::element> e_;
  std::optional<std::string_view> key_;
};

template <>
inline std::string JsonNode::as<std::string>(const std::string& fallback) const {
  return IsScalar() ? Scalar() : fallback;
}
template <>
inline int JsonNode::as<int>(const int& fallback) const {
  if (auto i = integer()) return int(*i);
  if (key_) {
    try {
      size_t used = 0;
      const int v = std::stoi(std::string(*key_), &used);
      return used == key_->size() ? v : fallback;
    } catch (...) {
      return fallback;
    }
  }
  return fallback;
}

}  // namespace config
