#include "bridge/tools/platform_sink.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <ctime>
#include <optional>
#include <thread>

#include "bridge/http/listener.hpp"

namespace bridge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

struct PlatformSink::Impl {
  asio::io_context ioc;
  tcp::acceptor acceptor{ioc};
  std::string host;
  bool print = false;
  mutable std::mutex mutex;
  mutable std::condition_variable cv;
  std::vector<RecordedRequest> requests;
  bool keepRequests = true;
  size_t received = 0;
  std::vector<int64_t> latenciesMs;  // arrival - receivedAt, per uplink event

  void noteLatency(const std::string& body) {
    static constexpr std::string_view kKey = "\"receivedAt\":\"";
    const size_t at = body.find(kKey);
    if (at == std::string::npos) return;
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(body.c_str() + at + kKey.size(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year,
                    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
      return;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    const int64_t sent = int64_t(timegm(&tm)) * 1000 + ms;
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    latenciesMs.push_back(now - sent);
  }

  // The answer to GET /_sink/stats (under the mutex).
  std::string stats() {
    std::vector<int64_t> l = latenciesMs;
    std::sort(l.begin(), l.end());
    auto q = [&](double p) {
      return l.empty() ? 0 : l[std::min(l.size() - 1, size_t(p * l.size()))];
    };
    char buf[256];
    std::snprintf(
        buf, sizeof buf,
        R"({"received":%zu,"uplinkLatencyMs":{"count":%zu,"p50":%lld,"p99":%lld,"max":%lld}})",
        received, l.size(), static_cast<long long>(q(0.5)), static_cast<long long>(q(0.99)),
        static_cast<long long>(l.empty() ? 0 : l.back()));
    return buf;
  }
  std::function<unsigned(const RecordedRequest&)> responder;
  std::string retryAfter;
  Misbehaviour misbehaviour = Misbehaviour::None;
  int misbehaveCount = 0;
  std::function<std::pair<unsigned, std::string>(const RecordedRequest&)> bodyResponder;
  std::function<Misbehaviour(const RecordedRequest&)> chooseMisbehaviour;
  std::atomic<bool> keepAlive{true};
  std::thread thread;

  std::optional<asio::ssl::context> ssl;

  asio::awaitable<void> plainSession(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    co_await serve(stream, stream);
  }

  asio::awaitable<void> tlsSession(tcp::socket socket) {
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *ssl);
    beast::error_code ec;
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    co_await serve(stream, beast::get_lowest_layer(stream));
  }

  template <typename Stream>
  asio::awaitable<void> serve(Stream& stream, beast::tcp_stream& lowest) {
    beast::flat_buffer buf;
    beast::flat_buffer pending;  // answers not yet written
    for (;;) {
      beast::error_code ec;
      http::request_parser<http::string_body> parser;
      parser.body_limit(8 << 20);
      lowest.expires_after(std::chrono::seconds(60));
      co_await http::async_read(stream, buf, parser, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      auto& req = parser.get();
      if (req.target() == "/_sink/stats" || req.target() == "/_sink/reset") {
        http::response<http::string_body> res{http::status::ok, req.version()};
        res.set(http::field::content_type, "application/json");
        {
          std::lock_guard lock(mutex);
          if (req.target() == "/_sink/reset") {
            received = 0;
            latenciesMs.clear();
          }
          res.body() = stats();
        }
        res.keep_alive(req.keep_alive());
        res.prepare_payload();
        co_await http::async_write(stream, res, asio::redirect_error(use_awaitable, ec));
        if (ec || !res.keep_alive()) co_return;
        continue;
      }
      RecordedRequest r{std::string(req.method_string()), std::string(req.target()),
                        std::string(req[http::field::authorization]),
                        std::string(req["Idempotency-Key"]), req.body()};
      unsigned status = 200;
      std::string retryAfterValue;
      std::optional<std::string> customBody;
      Misbehaviour act = Misbehaviour::None;
      {
        std::lock_guard lock(mutex);
        if (misbehaveCount > 0) {
          --misbehaveCount;
          act = misbehaviour;
        }
        if (chooseMisbehaviour) act = chooseMisbehaviour(r);
        if (bodyResponder) {
          auto [st, b] = bodyResponder(r);
          status = st;
          customBody = std::move(b);
        } else if (responder) {
          status = responder(r);
        }
        retryAfterValue = retryAfter;
      }
      if (print) {
        std::printf("%s %s -> %u\n%s\n", r.method.c_str(), r.target.c_str(), status,
                    r.body.c_str());
        std::fflush(stdout);
      }
      http::response<http::string_body> res{http::status(status), req.version()};
      res.set(http::field::content_type, "application/json");
      if (status >= 300 && !retryAfterValue.empty())
        res.set(http::field::retry_after, retryAfterValue);
      res.body() = customBody     ? *customBody
                   : status < 300 ? R"({"ok":true})"
                                  : R"({"ok":false,"error":"rejected by the platform double"})";
      res.keep_alive(req.keep_alive() && keepAlive);
      res.prepare_payload();
      {
        // Record after deciding the answer, before sending it: a waiting test sees the request
        // no later than the client sees the response.
        std::lock_guard lock(mutex);
        ++received;
        noteLatency(r.body);
        if (keepRequests) requests.push_back(std::move(r));
      }
      cv.notify_all();
      if (act == Misbehaviour::Hang) {
        // Never answer; the connection stays open until the client gives up.
        asio::steady_timer t(ioc, std::chrono::minutes(10));
        co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
        co_return;
      }
      if (act == Misbehaviour::CloseMidResponse) {
        static const std::string half = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"o";
        co_await asio::async_write(stream, asio::buffer(half),
                                   asio::redirect_error(use_awaitable, ec));
        beast::get_lowest_layer(stream).close();
        co_return;
      }
      // Pipelined requests already buffered: answer them together in one write, as fast
      // servers do (bench/delivery_bench measures the client, not this double's syscalls).
      beast::ostream(pending) << res;
      if (buf.size() > 0 && res.keep_alive()) continue;
      co_await asio::async_write(stream, pending.data(), asio::redirect_error(use_awaitable, ec));
      pending.clear();
      if (ec || !res.keep_alive()) co_return;
    }
  }

  asio::awaitable<void> accept() {
    for (;;) {
      beast::error_code ec;
      tcp::socket s = co_await acceptor.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      s.set_option(tcp::no_delay(true), ec);  // as nginx and Node.js do: no Nagle delay on answers
      if (ssl)
        asio::co_spawn(ioc, tlsSession(std::move(s)), asio::detached);
      else
        asio::co_spawn(ioc, plainSession(std::move(s)), asio::detached);
    }
  }
};

PlatformSink::PlatformSink(const std::string& host, uint16_t port, bool print,
                           std::optional<Tls> tls)
    : impl_(std::make_unique<Impl>()) {
  impl_->host = host;
  impl_->print = print;
  if (tls) {
    impl_->ssl.emplace(asio::ssl::context::tls_server);
    impl_->ssl->use_certificate_chain_file(tls->certFile);
    impl_->ssl->use_private_key_file(tls->keyFile, asio::ssl::context::pem);
  }
  listenOn(impl_->acceptor, host, port);
  asio::co_spawn(impl_->ioc, impl_->accept(), asio::detached);
  impl_->thread = std::thread([this] { impl_->ioc.run(); });
}

PlatformSink::~PlatformSink() {
  stop();
}

uint16_t PlatformSink::port() const {
  return impl_->acceptor.local_endpoint().port();
}
std::string PlatformSink::baseUrl() const {
  return (impl_->ssl ? "https://" : "http://") + impl_->host + ":" + std::to_string(port());
}

void PlatformSink::setResponder(std::function<unsigned(const RecordedRequest&)> responder) {
  std::lock_guard lock(impl_->mutex);
  impl_->responder = std::move(responder);
}

void PlatformSink::setBodyResponder(
    std::function<std::pair<unsigned, std::string>(const RecordedRequest&)> r) {
  std::lock_guard lock(impl_->mutex);
  impl_->bodyResponder = std::move(r);
}

void PlatformSink::misbehave(Misbehaviour m, int count) {
  std::lock_guard lock(impl_->mutex);
  impl_->misbehaviour = m;
  impl_->misbehaveCount = count;
}

void PlatformSink::misbehaveWhen(std::function<Misbehaviour(const RecordedRequest&)> choose) {
  std::lock_guard lock(impl_->mutex);
  impl_->chooseMisbehaviour = std::move(choose);
}

void PlatformSink::setKeepAlive(bool keepAlive) {
  impl_->keepAlive = keepAlive;
}

void PlatformSink::setRetryAfter(std::string value) {
  std::lock_guard lock(impl_->mutex);
  impl_->retryAfter = std::move(value);
}

void PlatformSink::setKeepRequests(bool keep) {
  std::lock_guard lock(impl_->mutex);
  impl_->keepRequests = keep;
}

std::vector<RecordedRequest> PlatformSink::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

bool PlatformSink::waitForRequests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout, [&] { return impl_->received >= n; });
}

void PlatformSink::run() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

void PlatformSink::stop() {
  impl_->ioc.stop();
  if (impl_->thread.joinable() && impl_->thread.get_id() != std::this_thread::get_id())
    impl_->thread.join();
}

}  // namespace bridge
