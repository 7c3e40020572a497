#include "bridge/api/protocol.hpp"

#include <charconv>

#include "bridge/core/utf8.hpp"

namespace bridge::api {

std::string percentDecode(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(uint8_t(s[i + 1])) &&
        std::isxdigit(uint8_t(s[i + 2]))) {
      out += char(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<std::string> nonUtf8Part(const std::string& target) {
  const auto segments = pathSegments(target);
  for (size_t i = 0; i < segments.size(); ++i)
    if (!isValidUtf8(segments[i])) return "path segment " + std::to_string(i + 1);
  for (const auto& [k, v] : parseQuery(target)) {
    if (!isValidUtf8(k)) return std::string("a query parameter name");
    if (!isValidUtf8(v)) return "query parameter " + k;
  }
  return std::nullopt;
}

std::vector<std::string> pathSegments(const std::string& target) {
  const std::string path = target.substr(0, target.find('?'));
  std::vector<std::string> out;
  for (size_t i = 0; i < path.size();) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) out.push_back(percentDecode(path.substr(i, j - i)));
    i = j + 1;
  }
  return out;
}

Query parseQuery(const std::string& target) {
  Query q;
  const size_t at = target.find('?');
  if (at == std::string::npos) return q;
  const std::string s = target.substr(at + 1);
  for (size_t i = 0; i < s.size();) {
    size_t j = s.find('&', i);
    if (j == std::string::npos) j = s.size();
    std::string kv = s.substr(i, j - i);
    for (char& c : kv)
      if (c == '+') c = ' ';
    if (!kv.empty()) {
      const size_t eq = kv.find('=');
      q.emplace_back(percentDecode(kv.substr(0, eq)),
                     eq == std::string::npos ? "" : percentDecode(kv.substr(eq + 1)));
    }
    i = j + 1;
  }
  return q;
}

const std::string* param(const Query& q, const std::string& name) {
  for (const auto& [k, v] : q)
    if (k == name) return &v;
  return nullptr;
}

std::expected<int64_t, std::string> intParam(const Query& q, const std::string& name,
                                             int64_t fallback, int64_t lo, int64_t hi) {
  const std::string* v = param(q, name);
  if (!v) return fallback;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size())
    return std::unexpected(name + ": \"" + *v + "\" is not an integer");
  if (n < lo || n > hi)
    return std::unexpected(name + ": " + *v + " out of range " + std::to_string(lo) + ".." +
                           std::to_string(hi));
  return n;
}

}  // namespace bridge::api
