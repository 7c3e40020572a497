#include "bridge/core/json_writer.hpp"

#include <charconv>
#include <cmath>

#include "bridge/core/utf8.hpp"

namespace bridge {

void JsonWriter::separate() {
  if (afterKey_) {
    afterKey_ = false;
    return;
  }
  if (!first_) out_ += ',';
  first_ = false;
}

JsonWriter& JsonWriter::beginObject() {
  separate();
  out_ += '{';
  first_ = true;
  return *this;
}
JsonWriter& JsonWriter::endObject() {
  out_ += '}';
  first_ = false;
  return *this;
}
JsonWriter& JsonWriter::beginArray() {
  separate();
  out_ += '[';
  first_ = true;
  return *this;
}
JsonWriter& JsonWriter::endArray() {
  out_ += ']';
  first_ = false;
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view k) {
  separate();
  out_ += '"';
  out_ += k;
  out_ += "\":";
  afterKey_ = true;
  return *this;
}

namespace {
// Printable ASCII but '"' and '\\': copied as it is.
constexpr bool plainByte(uint8_t c) {
  return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}
}  // namespace

JsonWriter& JsonWriter::string(std::string_view v) {
  separate();
  // Most strings (ids, names, data rates) need neither escaping nor UTF-8 checks: one pass.
  size_t plain = 0;
  while (plain < v.size() && plainByte(uint8_t(v[plain]))) ++plain;
  if (plain == v.size()) {
    out_ += '"';
    out_ += v;
    out_ += '"';
    return *this;
  }
  const std::string clean = isValidUtf8(v) ? std::string() : sanitizeUtf8(v);
  if (!clean.empty()) v = clean;
  out_ += '"';
  size_t run = 0;  // start of the stretch that needs no escaping
  for (size_t i = 0; i < v.size(); ++i) {
    const auto c = uint8_t(v[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out_.append(v.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        out_ += "\\u00";
        out_ += kHex[c >> 4];
        out_ += kHex[c & 0xF];
      }
    }
  }
  out_.append(v.data() + run, v.size() - run);
  out_ += '"';
  return *this;
}

namespace {
template <typename Int>
void appendInteger(std::string& out, Int v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}
}  // namespace

JsonWriter& JsonWriter::number(int64_t v) {
  separate();
  appendInteger(out_, v);
  return *this;
}

JsonWriter& JsonWriter::number(uint64_t v) {
  separate();
  appendInteger(out_, v);
  return *this;
}

JsonWriter& JsonWriter::number(double v) {
  if (!std::isfinite(v)) return null();
  separate();
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out_.append(buf, r.ptr);
  return *this;
}

JsonWriter& JsonWriter::hexString(uint64_t v, int digits) {
  separate();
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[18];
  buf[0] = buf[digits + 1] = '"';
  for (int i = digits; i >= 1; --i, v >>= 4) buf[i] = kHex[v & 0xF];
  out_.append(buf, size_t(digits) + 2);
  return *this;
}

JsonWriter& JsonWriter::boolean(bool v) {
  separate();
  out_ += v ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::null() {
  separate();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::raw(std::string_view json) {
  separate();
  out_ += json;
  return *this;
}

}  // namespace bridge
