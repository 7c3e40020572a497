#include "bridge/api/server.hpp"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cerrno>
#include <deque>
#include <list>
#include <thread>

#include "bridge/core/log.hpp"
#include "bridge/core/metrics.hpp"
#include "bridge/core/thread_name.hpp"
#include "bridge/http/listener.hpp"

namespace bridge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

// Messages buffered for one slow events client before the oldest are dropped (and counted).
constexpr size_t kMaxQueuedEvents = 1000;

struct WsClient {
  WsClient(beast::tcp_stream&& s, std::string filter, asio::io_context& ioc)
      : ws(std::move(s)), device(std::move(filter)), signal(ioc) {}
  websocket::stream<beast::tcp_stream> ws;
  std::string device;  // "" = every device
  std::deque<std::string> queue;
  asio::steady_timer signal;
  bool closed = false;
};

std::string errorBody(unsigned status, const std::string& msg) {
  return "{\"status\":" + std::to_string(status) + ",\"ok\":false,\"error\":\"" + msg + "\"}";
}

struct ApiServer::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  Handler handler;
  ApiLimits limits;
  Metrics* metrics = nullptr;
  std::atomic<size_t> connectionCount{0};
  bool acceptFailing = false;  // logged once per episode, not per attempt
  void count(const std::string& series) {
    if (metrics) metrics->inc(series);
  }
  std::string eventsPath;
  WsAuthorize authorize;
  std::function<void()> dropped;
  std::list<std::shared_ptr<WsClient>> clients;  // io thread only
  std::atomic<size_t> clientCount{0};
  std::thread thread;

  // Reads (and ignores) what the client sends, so pings and the close handshake are answered;
  // ends the client when the connection does.
  asio::awaitable<void> wsReader(std::shared_ptr<WsClient> c) {
    beast::flat_buffer buf;
    for (;;) {
      beast::error_code ec;
      co_await c->ws.async_read(buf, asio::redirect_error(use_awaitable, ec));
      if (ec) break;
      buf.clear();
    }
    c->closed = true;
    c->signal.cancel();
  }

  asio::awaitable<void> wsSession(beast::tcp_stream stream, http::request<http::string_body> req,
                                  std::string device) {
    stream.expires_never();  // the websocket's own timeouts take over
    auto c = std::make_shared<WsClient>(std::move(stream), std::move(device), ioc);
    c->ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    c->ws.read_message_max(limits.maxWsMessageBytes);
    c->ws.text(true);
    beast::error_code ec;
    // Registered before the handshake answer leaves: a client that has its 101 gets every event
    // published after it.
    clients.push_back(c);
    ++clientCount;
    co_await c->ws.async_accept(req, asio::redirect_error(use_awaitable, ec));
    if (!ec) asio::co_spawn(ioc, wsReader(c), asio::detached);
    while (!ec && !c->closed) {
      if (c->queue.empty()) {
        c->signal.expires_at(asio::steady_timer::time_point::max());
        beast::error_code woken;  // cancelled: a message or the end
        co_await c->signal.async_wait(asio::redirect_error(use_awaitable, woken));
        continue;
      }
      std::string msg = std::move(c->queue.front());
      c->queue.pop_front();
      co_await c->ws.async_write(asio::buffer(msg), asio::redirect_error(use_awaitable, ec));
      if (ec) break;
    }
    clients.remove(c);
    --clientCount;
  }

  // One connection; nothing it does may escape into the io_context (that would end the thread).
  asio::awaitable<void> session(tcp::socket socket) {
    ++connectionCount;
    try {
      co_await serve(std::move(socket));
    } catch (const std::exception& e) {
      count("api_connection_errors_total");
    }
    --connectionCount;
  }

  // Past the connection cap: one 503 and the connection closes.
  asio::awaitable<void> refuse(tcp::socket socket) {
    try {
      beast::tcp_stream stream(std::move(socket));
      stream.expires_after(std::chrono::seconds(2));
      http::response<http::string_body> res{http::status::service_unavailable, 11};
      res.set(http::field::content_type, "application/json");
      res.set(http::field::retry_after, "1");
      res.body() = errorBody(503, "too many connections (api.max_connections is " +
                                      std::to_string(limits.maxConnections) + ")");
      res.keep_alive(false);
      res.prepare_payload();
      beast::error_code ec;
      co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
    } catch (const std::exception&) {
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buf;
    for (;;) {
      beast::error_code ec;
      http::request_parser<http::string_body> parser;
      parser.body_limit(limits.maxBodyBytes);
      parser.header_limit(uint32_t(limits.maxHeaderBytes));
      stream.expires_after(std::chrono::seconds(30));
      co_await http::async_read(stream, buf, parser, asio::redirect_error(use_awaitable, ec));
      ApiResponse r;
      bool keepAlive = false;
      unsigned version = 11;
      if (ec == http::error::body_limit) {
        count("api_requests_invalid_total{reason=\"body_size\"}");
        r = {413, "application/json",
             errorBody(413,
                       "request body exceeds " + std::to_string(limits.maxBodyBytes) + " bytes")};
      } else if (ec == http::error::header_limit) {
        count("api_requests_invalid_total{reason=\"header_size\"}");
        r = {431, "application/json",
             errorBody(431, "request headers exceed " + std::to_string(limits.maxHeaderBytes) +
                                " bytes")};
      } else if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
                 ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
        co_return;
      } else if (ec) {
        // Not HTTP: say so once, then close.
        count("api_requests_invalid_total{reason=\"http\"}");
        r = {400, "application/json", errorBody(400, "malformed HTTP request")};
      } else {
        auto& req = parser.get();
        keepAlive = req.keep_alive();
        version = req.version();
        ApiRequest ar{std::string(req.method_string()), std::string(req.target()),
                      std::string(req[http::field::authorization]), req.body()};
        const std::string path = ar.target.substr(0, ar.target.find('?'));
        if (authorize && path == eventsPath && websocket::is_upgrade(req)) {
          auto allowed = co_await authorize(ar);
          if (allowed && clientCount >= limits.maxEventClients) {
            count("api_connections_refused_total{reason=\"event_clients\"}");
            r = {503, "application/json",
                 errorBody(503, "too many /events clients (api.max_event_clients is " +
                                    std::to_string(limits.maxEventClients) + ")")};
            keepAlive = false;
          } else if (allowed) {
            co_await wsSession(std::move(stream), parser.release(), *allowed);
            co_return;
          } else {
            r = allowed.error();
            keepAlive = false;
          }
        } else {
          try {
            r = co_await handler(ar);
          } catch (const std::exception&) {  // the handler has its own boundary; this is the last
            count("api_internal_errors_total");
            r = {500, "application/json", errorBody(500, "internal error")};
          }
        }
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

  // Survives every error: out of descriptors (EMFILE/ENFILE) or buffers, it backs off and tries
  // again; only closing the acceptor ends it.
  asio::awaitable<void> accept() {
    asio::steady_timer backoff(ioc);
    for (;;) {
      beast::error_code ec;
      tcp::socket s = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        count("api_accept_errors_total");
        if (!acceptFailing) log::warn("api_accept_failed", {{"error", ec.message()}});
        acceptFailing = true;
        const bool exhausted = ec == asio::error::no_descriptors || ec.value() == ENFILE ||
                               ec == asio::error::no_buffer_space || ec == asio::error::no_memory;
        backoff.expires_after(std::chrono::milliseconds(exhausted ? 100 : 5));
        co_await backoff.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      if (acceptFailing) log::info("api_accept_recovered");
      acceptFailing = false;
      if (connectionCount >= limits.maxConnections) {
        count("api_connections_refused_total{reason=\"connections\"}");
        asio::co_spawn(ioc, refuse(std::move(s)), asio::detached);
        continue;
      }
      asio::co_spawn(ioc, session(std::move(s)), asio::detached);
    }
  }
};

ApiServer::ApiServer(const std::string& host, uint16_t port, Handler handler, ApiLimits limits,
                     Metrics* metrics)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  impl_->limits = limits;
  impl_->metrics = metrics;
  listenOn(impl_->acceptor, host, port);
  asio::co_spawn(impl_->ioc, impl_->accept(), asio::detached);
  impl_->thread = std::thread([this] {
    nameThisThread("lb-api");
    for (;;) {
      try {
        impl_->ioc.run();
        return;
      } catch (const std::exception&) {
        impl_->count("api_internal_errors_total");
      }
    }
  });
}

ApiServer::~ApiServer() {
  stop();
}

uint16_t ApiServer::port() const {
  return impl_->acceptor.local_endpoint().port();
}

void ApiServer::enableEvents(const std::string& path, WsAuthorize authorize,
                             std::function<void()> dropped) {
  impl_->eventsPath = path;
  impl_->authorize = std::move(authorize);
  impl_->dropped = std::move(dropped);
}

void ApiServer::broadcast(const std::string& device, const std::string& text) {
  if (impl_->clientCount == 0) return;
  asio::post(impl_->ioc, [impl = impl_.get(), device, text] {
    for (auto& c : impl->clients) {
      if (!c->device.empty() && c->device != device) continue;
      if (c->queue.size() >= kMaxQueuedEvents) {
        c->queue.pop_front();
        if (impl->dropped) impl->dropped();
      }
      c->queue.push_back(text);
      c->signal.cancel();
    }
  });
}

size_t ApiServer::eventClients() const {
  return impl_->clientCount;
}
size_t ApiServer::connections() const {
  return impl_->connectionCount;
}

void ApiServer::stop() {
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace bridge
