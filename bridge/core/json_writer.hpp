#pragma once
// JSON text written straight into a string, for the hot path's documents (the uplink event):
// nlohmann's DOM cost a map node per key and 40% of the network thread under load. Commas are
// placed by the writer; strings are escaped and invalid UTF-8 becomes U+FFFD (never thrown).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace bridge {

class JsonWriter {
 public:
  explicit JsonWriter(size_t reserve = 512) { out_.reserve(reserve); }

  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  JsonWriter& key(std::string_view k);  // k is one of ours: plain ASCII, not escaped

  JsonWriter& string(std::string_view v);
  JsonWriter& number(int64_t v);
  JsonWriter& number(uint64_t v);
  JsonWriter& number(int v) { return number(int64_t(v)); }
  JsonWriter& number(unsigned v) { return number(uint64_t(v)); }
  JsonWriter& number(double v);  // shortest text that reads back the same; NaN/inf are null
  JsonWriter& boolean(bool v);
  JsonWriter& null();
  // `digits` lowercase hex digits of v, as a string (EUIs, DevAddrs): no temporary string.
  JsonWriter& hexString(uint64_t v, int digits);
  // Text that is JSON already (a codec's serialized result).
  JsonWriter& raw(std::string_view json);

  template <typename T>
  JsonWriter& optional(const std::optional<T>& v) {
    if (!v) return null();
    if constexpr (std::is_convertible_v<const T&, std::string_view>)
      return string(*v);
    else
      return number(*v);
  }

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  void separate();  // a comma before every value or key but the first of its container

  std::string out_;
  bool first_ = true;  // nothing written yet in the innermost container
  bool afterKey_ = false;
};

}  // namespace bridge
