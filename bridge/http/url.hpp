#pragma once
// The parts of an http(s) base URL the platform client needs. (Boost 1.74 has no Boost.URL.)
#include <expected>
#include <string>

namespace bridge {

struct HttpUrl {
  bool tls = false;
  std::string host;
  std::string port;      // "80"/"443" when absent
  std::string basePath;  // no trailing slash; "" for the root
};

std::expected<HttpUrl, std::string> parseHttpUrl(const std::string& url);

}  // namespace bridge
