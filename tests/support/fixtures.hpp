#pragma once
#include <fstream>
#include <sstream>
#include <string>

#include "lorawan/types.hpp"

namespace testsupport {

inline std::string fixturePath(const std::string& rel) {
  return std::string(LB_FIXTURES_DIR) + "/" + rel;
}

inline std::string readFixture(const std::string& rel) {
  std::ifstream f(fixturePath(rel));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline lorawan::Bytes hex(const std::string& h) {
  return lorawan::fromHex(h).value();
}
inline lorawan::Aes128Key key(const std::string& h) {
  return lorawan::Aes128Key::parse(h).value();
}

}  // namespace testsupport
