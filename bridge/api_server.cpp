#include "bridge/api_server.hpp"

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace bridge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

// Management requests are small; a body beyond this is refused with 413 before it is read.
constexpr size_t kMaxBody = 64 * 1024;

struct ApiServer::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  Handler handler;
  std::thread thread;

  asio::awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buf;
    for (;;) {
      beast::error_code ec;
      http::request_parser<http::string_body> parser;
      parser.body_limit(kMaxBody);
      stream.expires_after(std::chrono::seconds(30));
      co_await http::async_read(stream, buf, parser, asio::redirect_error(use_awaitable, ec));
      ApiResponse r;
      bool keepAlive = false;
      unsigned version = 11;
      if (ec == http::error::body_limit) {
        r = {413, "application/json", R"({"status":413,"ok":false,"error":"request body exceeds 65536 bytes"})"};
      } else if (ec) {
        co_return;
      } else {
        auto& req = parser.get();
        keepAlive = req.keep_alive();
        version = req.version();
        r = handler({std::string(req.method_string()), std::string(req.target()),
                     std::string(req[http::field::authorization]), req.body()});
      }
      http::response<http::string_body> res{http::status(r.status), version};
      res.set(http::field::content_type, r.contentType);
      res.set(http::field::server, "lorawan-bridge");
      if (!r.retryAfter.empty()) res.set(http::field::retry_after, r.retryAfter);
      res.body() = std::move(r.body);
      res.keep_alive(keepAlive);
      res.prepare_payload();
      co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
      if (ec || !keepAlive) co_return;
    }
  }

  asio::awaitable<void> accept() {
    for (;;) {
      beast::error_code ec;
      tcp::socket s = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(ioc, session(std::move(s)), asio::detached);
    }
  }
};

ApiServer::ApiServer(const std::string& host, uint16_t port, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  tcp::endpoint ep(asio::ip::make_address(host), port);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  asio::co_spawn(impl_->ioc, impl_->accept(), asio::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

ApiServer::~ApiServer() { stop(); }

uint16_t ApiServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void ApiServer::stop() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace bridge
