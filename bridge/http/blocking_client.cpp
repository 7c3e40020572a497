#include "bridge/http/blocking_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "config/config.hpp"

namespace bridge {

namespace beast = boost::beast;
namespace http = beast::http;

std::expected<ApiCallResult, std::string> callApi(const std::string& hostPort,
                                                  const std::string& method,
                                                  const std::string& target,
                                                  const std::string& token,
                                                  const std::string& body) {
  auto hp = config::parseHostPort(hostPort);
  if (!hp) return std::unexpected("--api " + hp.error());
  try {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(std::chrono::seconds(10));
    stream.connect(resolver.resolve(hp->host, std::to_string(hp->port)));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, hp->host);
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (http::string_to_verb(method) == http::verb::unknown)
      return std::unexpected("unknown method " + method);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    return ApiCallResult{res.result_int(), res.body()};
  } catch (const std::exception& e) {
    return std::unexpected(hostPort + ": " + e.what());
  }
}

}  // namespace bridge
