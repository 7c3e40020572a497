#pragma once
// One keep-alive HTTP/1.1 client connection (plain, or TLS with peer and host-name verification),
// connected on demand, with a deadline on every operation. Not thread-safe: it lives on one
// io_context thread (the platform client's), one request at a time.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "bridge/http/url.hpp"

namespace bridge {

struct HttpResponse {
  unsigned status = 0;  // 0: transport failure
  std::string retryAfter;
  std::string body;
  std::chrono::milliseconds elapsed{0};  // from the write to this answer
};

class HttpConnection {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  HttpConnection(boost::asio::io_context& ioc, boost::asio::ssl::context& ssl, HttpUrl url,
                 size_t bodyLimit);
  ~HttpConnection() { close(); }

  // Sends `req` (Host is set here) and reads the answer, connecting first when needed. Each of
  // connect, handshake, write and read must finish within `timeout`. On a transport failure `ec`
  // is set, the status is 0 and the connection is closed (the next request reconnects).
  boost::asio::awaitable<HttpResponse> request(Request& req, std::chrono::milliseconds timeout,
                                               boost::beast::error_code& ec);
  // HTTP/1.1 pipelining: all requests in one write, then their answers in order. Returns the
  // answers that arrived (a prefix); fewer than asked when the transport failed (`ec`) or the
  // server closed the connection after an answer (`ec` clear: the rest were never answered).
  boost::asio::awaitable<std::vector<HttpResponse>> requestBatch(const std::vector<Request*>& reqs,
                                                                 std::chrono::milliseconds timeout,
                                                                 boost::beast::error_code& ec);
  void close();

 private:
  boost::asio::awaitable<void> connect(std::chrono::milliseconds timeout,
                                       boost::beast::error_code& ec);
  template <typename Stream>
  boost::asio::awaitable<void> exchange(Stream& stream, const std::vector<Request*>& reqs,
                                        std::chrono::milliseconds timeout,
                                        std::vector<HttpResponse>& out,
                                        boost::beast::error_code& ec);

  boost::asio::io_context& ioc_;
  boost::asio::ssl::context& ssl_;
  HttpUrl url_;
  size_t bodyLimit_;
  boost::beast::flat_buffer in_;  // survives between reads: pipelined answers arrive together
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> secure_;
};

}  // namespace bridge
