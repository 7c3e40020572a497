#pragma once
// A blocking HTTP call to the bridge's management API, for CLI subcommands.
#include <expected>
#include <string>

namespace bridge {

struct ApiCallResult {
  unsigned status = 0;
  std::string body;
};

std::expected<ApiCallResult, std::string> callApi(const std::string& hostPort,
                                                  const std::string& method,
                                                  const std::string& target,
                                                  const std::string& token,
                                                  const std::string& body = "");

}  // namespace bridge
