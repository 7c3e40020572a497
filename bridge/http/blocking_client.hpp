#pragma once
// One blocking HTTP/1.1 request on its own connection, with a deadline: the CLI's calls to the
// management API, and the tests'. (The platform client is asynchronous: http/connection.hpp.)
#include <chrono>
#include <cstdint>
#include <expected>
#include <string>

namespace bridge {

struct BlockingResponse {
  unsigned status = 0;
  std::string body;
  std::string retryAfter;
};

// A JSON body when `body` is not empty; `bearer` as "Authorization: Bearer". Errors name the
// address and what failed.
std::expected<BlockingResponse, std::string> blockingRequest(
    const std::string& host, uint16_t port, const std::string& method, const std::string& target,
    const std::string& body = "", const std::string& bearer = "",
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The CLI's form: `hostPort` as given to --api ("127.0.0.1:8080").
std::expected<BlockingResponse, std::string> callApi(const std::string& hostPort,
                                                     const std::string& method,
                                                     const std::string& target,
                                                     const std::string& token,
                                                     const std::string& body = "");

}  // namespace bridge
