#include "lorawan/base64.hpp"

#include <boost/beast/core/detail/base64.hpp>

namespace lorawan {

namespace b64 = boost::beast::detail::base64;

std::string base64Encode(std::span<const uint8_t> data) {
  std::string out(b64::encoded_size(data.size()), '\0');
  out.resize(b64::encode(out.data(), data.data(), data.size()));
  return out;
}

std::expected<Bytes, std::string> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::unexpected("base64 length " + std::to_string(text.size()) +
                           " is not a multiple of 4");
  size_t body = text.size();
  while (body > 0 && text.size() - body < 2 && text[body - 1] == '=') --body;
  Bytes out(b64::decoded_size(text.size()));
  auto [written, read] = b64::decode(out.data(), text.data(), body);
  if (read != body)
    return std::unexpected("invalid base64 character at position " + std::to_string(read));
  out.resize(written);
  return out;
}

}  // namespace lorawan
