#pragma once
// Tests call the API with the CLI's blocking client (bridge/http/blocking_client); a transport
// failure is status 0 with the reason as the body.
#include <string>

#include "bridge/http/blocking_client.hpp"

namespace testsupport {

using HttpResult = bridge::BlockingResponse;

inline HttpResult httpRequest(uint16_t port, const std::string& method, const std::string& target,
                              const std::string& body = "", const std::string& bearer = "") {
  auto r = bridge::blockingRequest("127.0.0.1", port, method, target, body, bearer);
  if (!r) return {0, r.error(), ""};
  return *r;
}

}  // namespace testsupport
