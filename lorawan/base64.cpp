#include "lorawan/base64.hpp"

#include <cryptopp/base64.h>
#include <cryptopp/filters.h>

namespace lorawan {

namespace {
bool inAlphabet(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}
}  // namespace

std::string base64Encode(std::span<const uint8_t> data) {
  std::string out;
  CryptoPP::StringSource(data.data(), data.size(), true,
                         new CryptoPP::Base64Encoder(new CryptoPP::StringSink(out), false));
  return out;
}

// Crypto++ skips characters outside the alphabet; an API must say where the text is wrong
// instead, so the text is checked first.
std::expected<Bytes, std::string> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0)
    return std::unexpected("base64 length " + std::to_string(text.size()) +
                           " is not a multiple of 4");
  size_t body = text.size();
  while (body > 0 && text.size() - body < 2 && text[body - 1] == '=') --body;
  for (size_t i = 0; i < body; ++i)
    if (!inAlphabet(text[i]))
      return std::unexpected("invalid base64 character at position " + std::to_string(i));
  std::string out;
  CryptoPP::StringSource(reinterpret_cast<const CryptoPP::byte*>(text.data()), body, true,
                         new CryptoPP::Base64Decoder(new CryptoPP::StringSink(out)));
  return Bytes(out.begin(), out.end());
}

}  // namespace lorawan
