#include "bridge/platform_client.hpp"

#include <atomic>
#include <deque>
#include <optional>
#include <random>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <nlohmann/json.hpp>

#include "bridge/http_url.hpp"
#include "bridge/log.hpp"

namespace bridge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using tcp = asio::ip::tcp;

std::optional<uint64_t> retryAfterMs(const std::string& v, std::time_t now) {
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), ::isdigit) && v.size() < 10) return uint64_t(std::stoul(v)) * 1000;
  std::tm tm{};
  if (!strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  std::time_t at = timegm(&tm);
  return at > now ? uint64_t(at - now) * 1000 : 0;
}

std::optional<uint64_t> retryAfterMs(const std::string& v) { return retryAfterMs(v, std::time(nullptr)); }

std::string urlEncodePathSegment(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':') {
      out += char(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

struct PlatformClient::Impl {
  struct Job {
    std::string path, body, idempotencyKey;
    Done done;
    uint32_t attempts = 0;
  };
  struct Response {
    unsigned status = 0;
    std::string retryAfter;
    std::string body;
  };

  config::PlatformConfig cfg;
  HttpUrl url;
  Metrics& metrics;
  asio::io_context ioc;
  asio::ssl::context ssl{asio::ssl::context::tls_client};
  asio::steady_timer wake{ioc};
  std::deque<Job> jobs;  // touched only on the io thread
  std::atomic<size_t> depth{0};
  std::atomic<bool> stopping{false};
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  std::mt19937 rng{std::random_device{}()};
  // OAuth: the current access token and when to fetch a new one (early, at 80% of its life).
  std::string accessToken;
  std::chrono::steady_clock::time_point refreshAt{};
  std::thread thread;

  Impl(const config::PlatformConfig& c, Metrics& m) : cfg(c), metrics(m) {
    url = parseHttpUrl(c.baseUrl).value_or(HttpUrl{});
    ssl.set_default_verify_paths();
    if (!cfg.caFile.empty()) {
      beast::error_code ec;
      ssl.load_verify_file(cfg.caFile, ec);
      if (ec) log::error("platform_ca_file_invalid", {{"file", cfg.caFile}, {"error", ec.message()}});
    }
    ssl.set_verify_mode(asio::ssl::verify_peer);
    wake.expires_at(asio::steady_timer::time_point::max());
    asio::co_spawn(ioc, run(), asio::detached);
    thread = std::thread([this] { ioc.run(); });
  }

  std::chrono::milliseconds timeout() const { return std::chrono::milliseconds(cfg.timeoutMs); }

  void disconnect() {
    beast::error_code ec;
    if (plain) plain->socket().close(ec);
    if (secure) beast::get_lowest_layer(*secure).socket().close(ec);
    plain.reset();
    secure.reset();
  }

  asio::awaitable<void> connect(beast::error_code& ec) {
    tcp::resolver resolver(ioc);
    auto results = co_await resolver.async_resolve(url.host, url.port, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    if (url.tls) {
      secure.emplace(ioc, ssl);
      if (!SSL_set_tlsext_host_name(secure->native_handle(), url.host.c_str())) {
        ec = beast::error_code(int(::ERR_get_error()), asio::error::get_ssl_category());
        co_return;
      }
      secure->set_verify_callback(asio::ssl::host_name_verification(url.host));
      beast::get_lowest_layer(*secure).expires_after(timeout());
      co_await beast::get_lowest_layer(*secure).async_connect(results, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      beast::get_lowest_layer(*secure).expires_after(timeout());
      co_await secure->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
    } else {
      plain.emplace(ioc);
      plain->expires_after(timeout());
      co_await plain->async_connect(results, asio::redirect_error(use_awaitable, ec));
    }
  }

  template <typename Stream>
  asio::awaitable<Response> exchange(Stream& stream, beast::tcp_stream& lowest,
                                     http::request<http::string_body>& req, beast::error_code& ec) {
    lowest.expires_after(timeout());
    co_await http::async_write(stream, req, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return Response{};
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 20);  // a platform's answer is small; refuse to buffer more
    lowest.expires_after(timeout());
    co_await http::async_read(stream, buf, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return Response{};
    if (!parser.get().keep_alive()) disconnect();
    auto& res = parser.get();
    co_return Response{res.result_int(), std::string(res[http::field::retry_after]), res.body().substr(0, 512)};
  }

  // POST {clientId, clientSecret} to the token URL (seed 004); its own connection each time.
  asio::awaitable<bool> fetchToken() {
    const auto& oa = *cfg.oauth;
    auto tu = parseHttpUrl(oa.tokenUrl);
    if (!tu) co_return false;
    beast::error_code ec;
    tcp::resolver resolver(ioc);
    auto results = co_await resolver.async_resolve(tu->host, tu->port, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return false;
    http::request<http::string_body> req{http::verb::post, tu->basePath.empty() ? "/" : tu->basePath, 11};
    req.set(http::field::host, tu->host);
    req.set(http::field::content_type, "application/json");
    req.body() = nlohmann::json{{"clientId", oa.clientId}, {"clientSecret", oa.clientSecret}}.dump();
    req.prepare_payload();
    Response res;
    if (tu->tls) {
      beast::ssl_stream<beast::tcp_stream> s(ioc, ssl);
      SSL_set_tlsext_host_name(s.native_handle(), tu->host.c_str());
      s.set_verify_callback(asio::ssl::host_name_verification(tu->host));
      beast::get_lowest_layer(s).expires_after(timeout());
      co_await beast::get_lowest_layer(s).async_connect(results, asio::redirect_error(use_awaitable, ec));
      if (!ec) co_await s.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(use_awaitable, ec));
      if (!ec) res = co_await exchangeOnce(s, beast::get_lowest_layer(s), req, ec);
    } else {
      beast::tcp_stream s(ioc);
      s.expires_after(timeout());
      co_await s.async_connect(results, asio::redirect_error(use_awaitable, ec));
      if (!ec) res = co_await exchangeOnce(s, s, req, ec);
    }
    if (ec || res.status != 200) {
      metrics.inc("platform_oauth_failures_total");
      log::warn("platform_oauth_failed", {{"token_url", oa.tokenUrl}, {"status", std::to_string(res.status)},
                                          {"error", ec ? ec.message() : ""}});
      co_return false;
    }
    auto j = nlohmann::json::parse(res.body, nullptr, false);
    if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string()) {
      log::warn("platform_oauth_failed", {{"token_url", oa.tokenUrl}, {"error", "no access_token in the answer"}});
      co_return false;
    }
    accessToken = j["access_token"].get<std::string>();
    const int64_t life = j.contains("expires_in") && j["expires_in"].is_number() ? j["expires_in"].get<int64_t>() : 3600;
    refreshAt = std::chrono::steady_clock::now() + std::chrono::seconds(life * 8 / 10);
    log::info("platform_oauth_token", {{"expires_in_s", std::to_string(life)}});
    co_return true;
  }

  template <typename Stream>
  asio::awaitable<Response> exchangeOnce(Stream& stream, beast::tcp_stream& lowest, http::request<http::string_body>& req,
                                         beast::error_code& ec) {
    lowest.expires_after(timeout());
    co_await http::async_write(stream, req, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return Response{};
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    lowest.expires_after(timeout());
    co_await http::async_read(stream, buf, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return Response{};
    co_return Response{parser.get().result_int(), "", parser.get().body()};
  }

  // One attempt. Status 0 with ec set on a transport failure.
  asio::awaitable<Response> send(const Job& job, beast::error_code& ec) { co_return co_await sendOnce(job, ec, false); }

  asio::awaitable<Response> sendOnce(const Job& job, beast::error_code& ec, bool retriedAuth) {
    if (!plain && !secure) {
      co_await connect(ec);
      if (ec) {
        disconnect();
        co_return Response{};
      }
    }
    http::request<http::string_body> req{http::verb::post, url.basePath + job.path, 11};
    req.set(http::field::host, url.host);
    req.set(http::field::user_agent, "lorawan-bridge/0.1");
    req.set(http::field::content_type, "application/json");
    if (cfg.oauth) {
      if (accessToken.empty() || std::chrono::steady_clock::now() >= refreshAt) co_await fetchToken();
      if (!accessToken.empty()) req.set(http::field::authorization, "Bearer " + accessToken);
    } else if (!cfg.token.empty()) {
      req.set(http::field::authorization, "Bearer " + cfg.token);
    }
    req.set("Idempotency-Key", job.idempotencyKey);
    req.keep_alive(true);
    req.body() = job.body;
    req.prepare_payload();
    // No co_await inside ?: — g++ 12 destroys the temporary twice there.
    Response r;
    if (secure) r = co_await exchange(*secure, beast::get_lowest_layer(*secure), req, ec);
    else r = co_await exchange(*plain, *plain, req, ec);
    if (ec) disconnect();
    if (r.status == 401 && cfg.oauth && !retriedAuth) {
      // The token was revoked or expired early: one fresh token, one more try.
      accessToken.clear();
      co_return co_await sendOnce(job, ec, true);
    }
    co_return r;
  }

  asio::awaitable<void> run() {
    for (;;) {
      if (jobs.empty()) {
        if (stopping) co_return;
        beast::error_code ec;
        co_await wake.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      Job& job = jobs.front();
      ++job.attempts;
      beast::error_code ec;
      auto started = std::chrono::steady_clock::now();
      Response res = co_await send(job, ec);
      const unsigned status = res.status;
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
      bool ok = status >= 200 && status < 300;
      bool retryable = !ok && (status == 0 || status == 408 || status == 429 || status >= 500);
      if (ok) {
        metrics.inc("platform_requests_total{result=\"ok\"}");
        log::debug("platform_delivered", {{"path", job.path}, {"status", std::to_string(status)},
                                          {"ms", std::to_string(ms.count())}});
      } else {
        metrics.inc(status ? "platform_requests_total{result=\"http_" + std::to_string(status) + "\"}"
                           : std::string("platform_requests_total{result=\"transport_error\"}"));
        log::warn("platform_request_failed",
                  {{"path", job.path}, {"status", std::to_string(status)}, {"error", ec ? ec.message() : ""},
                   {"attempt", std::to_string(job.attempts)}, {"id", job.idempotencyKey}});
      }
      const bool gaveUp = !ok && retryable && cfg.maxAttempts > 0 && job.attempts >= cfg.maxAttempts;
      if (ok || !retryable || gaveUp) {
        Outcome o{ok ? Outcome::Delivered : gaveUp ? Outcome::GaveUp : Outcome::Rejected, status, res.body};
        if (!ok && !gaveUp) {
          metrics.inc("platform_events_dead_lettered_total");
          log::error("platform_event_rejected", {{"path", job.path}, {"id", job.idempotencyKey},
                                                 {"status", std::to_string(status)}, {"response", res.body}});
        } else if (gaveUp) {
          // Still in the outbox: the next start tries again.
          log::warn("platform_event_deferred", {{"path", job.path}, {"id", job.idempotencyKey},
                                                {"attempts", std::to_string(job.attempts)}});
        }
        if (job.done) job.done(o);
        jobs.pop_front();
        --depth;
        continue;
      }
      // Exponential backoff with jitter: 100 ms, 200 ms, 400 ms ... capped at 30 s; a
      // Retry-After from the platform wins (capped at 5 min).
      auto base = std::min<uint64_t>(30000, 100ull << std::min<uint32_t>(job.attempts - 1, 9));
      std::uniform_int_distribution<uint64_t> jitter(base / 2, base);
      uint64_t waitMs = jitter(rng);
      if (auto ra = retryAfterMs(res.retryAfter)) waitMs = std::min<uint64_t>(*ra, 300000);
      asio::steady_timer t(ioc, std::chrono::milliseconds(waitMs));
      co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
    }
  }
};

PlatformClient::PlatformClient(const config::PlatformConfig& cfg, Metrics& metrics)
    : impl_(std::make_unique<Impl>(cfg, metrics)) {}

PlatformClient::~PlatformClient() { stop(std::chrono::milliseconds(0)); }

void PlatformClient::post(std::string path, std::string body, std::string idempotencyKey, Done done) {
  ++impl_->depth;
  asio::post(impl_->ioc, [impl = impl_.get(), job = Impl::Job{std::move(path), std::move(body),
                                                               std::move(idempotencyKey), std::move(done)}]() mutable {
    impl->jobs.push_back(std::move(job));
    impl->wake.cancel();
  });
}

void PlatformClient::stop(std::chrono::milliseconds timeout) {
  if (!impl_->thread.joinable()) return;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (impl_->depth > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // bounded drain on shutdown
  if (impl_->depth > 0)
    log::warn("platform_shutdown_undelivered", {{"events", std::to_string(impl_->depth.load())}});
  impl_->ioc.stop();
  impl_->thread.join();
}

size_t PlatformClient::queued() const { return impl_->depth; }

}  // namespace bridge
