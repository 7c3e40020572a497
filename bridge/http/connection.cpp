#include "bridge/http/connection.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/ostream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace bridge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

HttpConnection::HttpConnection(asio::io_context& ioc, asio::ssl::context& ssl, HttpUrl url,
                               size_t bodyLimit)
    : ioc_(ioc), ssl_(ssl), url_(std::move(url)), bodyLimit_(bodyLimit) {}

void HttpConnection::close() {
  beast::error_code ec;
  if (plain_) plain_->socket().close(ec);
  if (secure_) beast::get_lowest_layer(*secure_).socket().close(ec);
  plain_.reset();
  secure_.reset();
  in_.clear();
}

asio::awaitable<void> HttpConnection::connect(std::chrono::milliseconds timeout,
                                              beast::error_code& ec) {
  tcp::resolver resolver(ioc_);
  auto results = co_await resolver.async_resolve(url_.host, url_.port,
                                                 asio::redirect_error(use_awaitable, ec));
  if (ec) co_return;
  if (!url_.tls) {
    plain_.emplace(ioc_);
    plain_->expires_after(timeout);
    co_await plain_->async_connect(results, asio::redirect_error(use_awaitable, ec));
    if (!ec) plain_->socket().set_option(tcp::no_delay(true), ec);
    co_return;
  }
  secure_.emplace(ioc_, ssl_);
  if (!SSL_set_tlsext_host_name(secure_->native_handle(), url_.host.c_str())) {
    ec = beast::error_code(int(::ERR_get_error()), asio::error::get_ssl_category());
    co_return;
  }
  secure_->set_verify_callback(asio::ssl::host_name_verification(url_.host));
  auto& lowest = beast::get_lowest_layer(*secure_);
  lowest.expires_after(timeout);
  co_await lowest.async_connect(results, asio::redirect_error(use_awaitable, ec));
  if (ec) co_return;
  lowest.socket().set_option(tcp::no_delay(true), ec);
  lowest.expires_after(timeout);
  co_await secure_->async_handshake(asio::ssl::stream_base::client,
                                    asio::redirect_error(use_awaitable, ec));
}

template <typename Stream>
asio::awaitable<void> HttpConnection::exchange(Stream& stream, const std::vector<Request*>& reqs,
                                               std::chrono::milliseconds timeout,
                                               std::vector<HttpResponse>& out,
                                               beast::error_code& ec) {
  auto& lowest = beast::get_lowest_layer(stream);
  beast::flat_buffer wire;
  for (Request* req : reqs) beast::ostream(wire) << *req;
  lowest.expires_after(timeout);
  const auto started = std::chrono::steady_clock::now();
  co_await asio::async_write(stream, wire.data(), asio::redirect_error(use_awaitable, ec));
  if (ec) co_return;
  for (size_t i = 0; i < reqs.size(); ++i) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(bodyLimit_);  // a platform's answer is bounded; refuse to buffer more
    lowest.expires_after(timeout);
    co_await http::async_read(stream, in_, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    auto& res = parser.get();
    const bool keepAlive = res.keep_alive();
    out.push_back({res.result_int(), std::string(res[http::field::retry_after]),
                   std::move(res.body()),
                   std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now() - started)});
    if (!keepAlive) {
      close();
      co_return;
    }
  }
}

asio::awaitable<std::vector<HttpResponse>> HttpConnection::requestBatch(
    const std::vector<Request*>& reqs, std::chrono::milliseconds timeout, beast::error_code& ec) {
  std::vector<HttpResponse> out;
  const bool reused = plain_ || secure_;
  if (!reused) {
    co_await connect(timeout, ec);
    if (ec) {
      close();
      co_return out;
    }
  }
  for (Request* req : reqs) {
    req->set(http::field::host, url_.host);
    req->keep_alive(true);
    req->prepare_payload();
  }
  if (secure_)
    co_await exchange(*secure_, reqs, timeout, out, ec);
  else
    co_await exchange(*plain_, reqs, timeout, out, ec);
  if (ec) close();
  // A kept-alive connection the server closed while idle fails at once: that is not the
  // platform failing, so try once more on a fresh connection.
  if (ec && out.empty() && reused && ec != beast::error::timeout) {
    ec = {};
    co_return co_await requestBatch(reqs, timeout, ec);
  }
  co_return out;
}

asio::awaitable<HttpResponse> HttpConnection::request(Request& req,
                                                      std::chrono::milliseconds timeout,
                                                      beast::error_code& ec) {
  std::vector<Request*> one(1, &req);
  auto out = co_await requestBatch(one, timeout, ec);
  if (out.empty() && !ec) ec = beast::http::error::end_of_stream;
  co_return out.empty() ? HttpResponse{} : std::move(out.front());
}

}  // namespace bridge
