#pragma once
// UTF-8 at the daemon's boundaries: bytes from the network (URLs, platform answers, gateway
// strings) are checked before they reach JSON, which refuses invalid UTF-8 by throwing.
#include <string>
#include <string_view>

namespace bridge {

// Well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool isValidUtf8(std::string_view s);

// At most `maxBytes` bytes of `s`, cut at a character boundary, every invalid sequence replaced
// by U+FFFD: safe to put in JSON and logs.
std::string sanitizeUtf8(std::string_view s, size_t maxBytes = std::string::npos);

}  // namespace bridge
