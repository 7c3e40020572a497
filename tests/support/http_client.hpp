#pragma once
// A tiny blocking HTTP client for tests (Boost.Beast), one request per connection.
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <string>

namespace testsupport {

struct HttpResult {
  unsigned status = 0;
  std::string body;
  std::string retryAfter;
};

inline HttpResult httpRequest(uint16_t port, const std::string& method, const std::string& target,
                              const std::string& body = "", const std::string& bearer = "") {
  namespace beast = boost::beast;
  namespace http = beast::http;
  boost::asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{http::string_to_verb(method), target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buf;
  http::response<http::string_body> res;
  http::read(stream, buf, res);
  return {res.result_int(), res.body(), std::string(res[http::field::retry_after])};
}

}  // namespace testsupport
