#include "bridge/api/list_filter.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace bridge {

using nlohmann::json;

namespace {

bool known(const std::vector<std::string>& names, const std::string& n) {
  return std::find(names.begin(), names.end(), n) != names.end();
}

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string asText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

// -1, 0, 1; numbers numerically, everything else as text (RFC 3339 times sort as text).
int compare(const json& v, const std::string& value) {
  if (v.is_number()) {
    char* end = nullptr;
    const double want = std::strtod(value.c_str(), &end);
    if (end && *end == '\0' && !value.empty()) {
      const double have = v.get<double>();
      return have < want ? -1 : have > want ? 1 : 0;
    }
  }
  const std::string have = asText(v);
  return have < value ? -1 : have > value ? 1 : 0;
}

}  // namespace

bool sqlLike(const std::string& text, const std::string& pattern, bool caseless) {
  auto eq = [&](char a, char b) {
    return caseless ? std::tolower(static_cast<unsigned char>(a)) ==
                          std::tolower(static_cast<unsigned char>(b))
                    : a == b;
  };
  // Iterative wildcard match with backtracking to the last %.
  size_t t = 0, p = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '_' || (pattern[p] != '%' && eq(pattern[p], text[t])))) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '%') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '%') ++p;
  return p == pattern.size();
}

std::expected<std::vector<ListFilter>, std::string> parseListFilters(
    const api::Query& q, const std::vector<std::string>& fields,
    const std::vector<std::string>& arrays) {
  static const std::vector<std::string> fieldOps{"eq", "gt", "lt", "gte", "lte", "like", "ilike"};
  static const std::vector<std::string> arrayOps{"contains", "containedby", "overlap"};
  std::vector<ListFilter> out;
  for (const auto& [name, value] : q) {
    const bool isField = name.rfind("f:", 0) == 0, isArray = name.rfind("fa:", 0) == 0;
    if (!isField && !isArray) continue;
    ListFilter f;
    f.array = isArray;
    f.field = name.substr(isArray ? 3 : 2);
    if (!known(isArray ? arrays : fields, f.field))
      return std::unexpected(name + ": unknown " + (isArray ? "array" : "field") + " \"" + f.field +
                             "\", want one of " + list(isArray ? arrays : fields));
    const auto& ops = isArray ? arrayOps : fieldOps;
    const size_t colon = value.find(':');
    const std::string prefix = colon == std::string::npos ? "" : value.substr(0, colon);
    if (known(ops, prefix)) {
      f.op = prefix;
      f.value = value.substr(colon + 1);
    } else if (known(isArray ? fieldOps : arrayOps, prefix)) {
      return std::unexpected(name + ": operator " + prefix + " is for " +
                             (isArray ? "fields (f:)" : "arrays (fa:)") + ", want one of " +
                             list(ops));
    } else {
      f.op = isArray ? "contains" : "eq";  // seed 001: no operator given
      f.value = value;
    }
    if (isArray)
      for (size_t i = 0; i <= f.value.size();) {
        size_t j = f.value.find(',', i);
        if (j == std::string::npos) j = f.value.size();
        if (j > i) f.values.push_back(f.value.substr(i, j - i));
        i = j + 1;
      }
    out.push_back(std::move(f));
  }
  return out;
}

bool matchesAll(const json& item, const std::vector<ListFilter>& filters) {
  for (const auto& f : filters) {
    const json v = item.value(f.field, json());
    if (f.array) {
      std::vector<std::string> have;
      if (v.is_array())
        for (const auto& e : v) have.push_back(asText(e));
      auto in = [](const std::vector<std::string>& set, const std::string& x) {
        return std::find(set.begin(), set.end(), x) != set.end();
      };
      bool ok = false;
      if (f.op == "contains")
        ok = std::all_of(f.values.begin(), f.values.end(),
                         [&](const auto& x) { return in(have, x); });
      else if (f.op == "containedby")
        ok = std::all_of(have.begin(), have.end(), [&](const auto& x) { return in(f.values, x); });
      else
        ok = std::any_of(f.values.begin(), f.values.end(),
                         [&](const auto& x) { return in(have, x); });
      if (!ok) return false;
      continue;
    }
    bool ok = false;
    if (f.op == "like" || f.op == "ilike")
      ok = sqlLike(asText(v), f.value, f.op == "ilike");
    else {
      const int c = compare(v, f.value);
      ok = f.op == "eq"    ? c == 0
           : f.op == "gt"  ? c > 0
           : f.op == "lt"  ? c < 0
           : f.op == "gte" ? c >= 0
                           : c <= 0;
    }
    if (!ok) return false;
  }
  return true;
}

std::expected<void, std::string> sortItems(std::vector<json>& items, const std::string& spec,
                                           const std::vector<std::string>& fields) {
  if (spec.empty()) return {};
  const bool desc = spec[0] == '-';
  const std::string field = spec[0] == '-' || spec[0] == '+' ? spec.substr(1) : spec;
  if (!known(fields, field))
    return std::unexpected("sort: unknown field \"" + field + "\", want one of " + list(fields));
  std::stable_sort(items.begin(), items.end(), [&](const json& a, const json& b) {
    const json va = a.value(field, json()), vb = b.value(field, json());
    const bool less = va.is_number() && vb.is_number() ? va.get<double>() < vb.get<double>()
                                                       : asText(va) < asText(vb);
    const bool greater = va.is_number() && vb.is_number() ? va.get<double>() > vb.get<double>()
                                                          : asText(va) > asText(vb);
    return desc ? greater : less;
  });
  return {};
}

}  // namespace bridge
