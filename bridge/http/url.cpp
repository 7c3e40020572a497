#include "bridge/http/url.hpp"

#include <algorithm>

namespace bridge {

std::expected<HttpUrl, std::string> parseHttpUrl(const std::string& url) {
  HttpUrl u;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    u.tls = true;
    rest = url.substr(8);
  } else {
    return std::unexpected("\"" + url + "\": want http:// or https://");
  }
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.basePath = slash == std::string::npos ? "" : rest.substr(slash);
  while (!u.basePath.empty() && u.basePath.back() == '/') u.basePath.pop_back();
  if (authority.find('@') != std::string::npos)
    return std::unexpected("\"" + url + "\": credentials in the URL are not supported; use token");
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos)
      return std::unexpected("\"" + url + "\": unterminated IPv6 host");
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      u.port = authority.substr(close + 2);
  } else {
    size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) u.port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return std::unexpected("\"" + url + "\": no host");
  if (u.port.empty()) u.port = u.tls ? "443" : "80";
  if (!std::all_of(u.port.begin(), u.port.end(), ::isdigit) || u.port.size() > 5 ||
      std::stoul(u.port) > 65535)
    return std::unexpected("\"" + url + "\": bad port \"" + u.port + "\"");
  return u;
}

}  // namespace bridge
