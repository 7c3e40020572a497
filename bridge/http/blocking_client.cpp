#include "bridge/http/blocking_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "config/config.hpp"

namespace bridge {

namespace beast = boost::beast;
namespace http = beast::http;

std::expected<BlockingResponse, std::string> blockingRequest(
    const std::string& host, uint16_t port, const std::string& method, const std::string& target,
    const std::string& body, const std::string& bearer, std::chrono::milliseconds timeout) {
  const std::string where = host + ":" + std::to_string(port);
  if (http::string_to_verb(method) == http::verb::unknown)
    return std::unexpected("unknown method " + method);
  try {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    stream.expires_after(timeout);
    stream.connect(resolver.resolve(host, std::to_string(port)));
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, host);
    if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    return BlockingResponse{res.result_int(), res.body(),
                            std::string(res[http::field::retry_after])};
  } catch (const std::exception& e) {
    return std::unexpected(where + ": " + e.what());
  }
}

std::expected<BlockingResponse, std::string> callApi(const std::string& hostPort,
                                                     const std::string& method,
                                                     const std::string& target,
                                                     const std::string& token,
                                                     const std::string& body) {
  auto hp = config::parseHostPort(hostPort);
  if (!hp) return std::unexpected("--api " + hp.error());
  return blockingRequest(hp->host, hp->port, method, target, body, token);
}

}  // namespace bridge
