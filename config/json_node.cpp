#include "config/json_node.hpp"

#include <charconv>

namespace config {

std::string JsonNode::Scalar() const {
  if (key_) return std::string(*key_);
  if (!e_) return "";
  std::string_view s;
  if (e_->get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  if (auto b = boolean()) return *b ? "true" : "false";
  int64_t i;
  if (e_->get_int64().get(i) == simdjson::SUCCESS) return std::to_string(i);
  uint64_t u;
  if (e_->get_uint64().get(u) == simdjson::SUCCESS) return std::to_string(u);
  double d;
  if (e_->get_double().get(d) == simdjson::SUCCESS) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, d);
    return std::string(buf, r.ptr);
  }
  return "";
}

JsonNode JsonNode::operator[](const char* key) const {
  simdjson::dom::object o;
  if (!e_ || e_->get_object().get(o) != simdjson::SUCCESS) return {};
  simdjson::dom::element v;
  if (o[key].get(v) != simdjson::SUCCESS) return {};
  return JsonNode(v);
}

JsonNode JsonNode::operator[](size_t index) const {
  simdjson::dom::array a;
  if (!e_ || e_->get_array().get(a) != simdjson::SUCCESS) return {};
  simdjson::dom::element v;
  if (a.at(index).get(v) != simdjson::SUCCESS) return {};
  return JsonNode(v);
}

size_t JsonNode::size() const {
  simdjson::dom::array a;
  if (e_ && e_->get_array().get(a) == simdjson::SUCCESS) return a.size();
  simdjson::dom::object o;
  if (e_ && e_->get_object().get(o) == simdjson::SUCCESS) return o.size();
  return 0;
}

std::optional<bool> JsonNode::boolean() const {
  bool b;
  if (e_ && e_->get_bool().get(b) == simdjson::SUCCESS) return b;
  return std::nullopt;
}

std::optional<long long> JsonNode::integer() const {
  int64_t i;
  if (e_ && e_->get_int64().get(i) == simdjson::SUCCESS) return i;
  return std::nullopt;
}

std::optional<double> JsonNode::number() const {
  double d;
  if (e_ && e_->get_double().get(d) == simdjson::SUCCESS) return d;
  return std::nullopt;
}

std::vector<std::pair<JsonNode, JsonNode>> JsonNode::members() const {
  std::vector<std::pair<JsonNode, JsonNode>> out;
  simdjson::dom::object o;
  if (!e_ || e_->get_object().get(o) != simdjson::SUCCESS) return out;
  for (auto [k, v] : o) out.emplace_back(JsonNode(k), JsonNode(v));
  return out;
}

std::vector<JsonNode> JsonNode::items() const {
  std::vector<JsonNode> out;
  simdjson::dom::array a;
  if (!e_ || e_->get_array().get(a) != simdjson::SUCCESS) return out;
  for (auto v : a) out.emplace_back(v);
  return out;
}

}  // namespace config
