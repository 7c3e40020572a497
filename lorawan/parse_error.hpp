#pragma once
#include <string>

namespace lorawan {

// What went wrong while reading untrusted input: the field, and what was found vs wanted.
struct ParseError {
  std::string field;
  std::string message;

  std::string toString() const { return field + ": " + message; }
};

}  // namespace lorawan
