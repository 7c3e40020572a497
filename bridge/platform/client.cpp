#include "bridge/platform/client.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bridge/core/log.hpp"
#include "bridge/core/thread_name.hpp"
#include "bridge/core/utf8.hpp"
#include "bridge/http/connection.hpp"
#include "bridge/http/url.hpp"

namespace bridge {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

// An answer slower than this marks its device's requests as not to be pipelined.
constexpr std::chrono::milliseconds kSlowAnswer{500};

std::optional<uint64_t> retryAfterMs(const std::string& v, std::time_t now) {
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), ::isdigit) && v.size() < 10)
    return uint64_t(std::stoul(v)) * 1000;
  std::tm tm{};
  if (!strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm)) return std::nullopt;
  std::time_t at = timegm(&tm);
  return at > now ? uint64_t(at - now) * 1000 : 0;
}

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
    Request req;
    Done done;
    uint32_t attempts = 0;
    bool authRetried = false;
  };
  // One device's requests: only the front one is ever in flight or backing off.
  struct Lane {
    std::deque<Job> jobs;
    bool busy = false;  // in flight or waiting for its retry
    // Its last request failed or was slow: it goes out alone, never pipelined with others, so
    // a slow endpoint delays nobody else's answers.
    bool solo = false;
  };
  struct Fetch {
    std::string path;
    Clock::time_point deadline;
    FetchDone done;
  };

  config::PlatformConfig cfg;
  HttpUrl url;
  Metrics& metrics;
  asio::io_context ioc;
  asio::ssl::context ssl{asio::ssl::context::tls_client};
  // Everything below is touched only on the io thread.
  std::unordered_map<std::string, Lane> lanes;
  std::deque<std::string> ready;  // lanes with a job that is neither in flight nor backing off
  std::deque<Fetch> fetches;
  std::vector<asio::steady_timer*> idle;  // parked workers, woken by cancelling their timer
  Clock::time_point pausedUntil{};        // Retry-After: nothing is sent before this
  size_t pipeline = 1;                    // requests per connection write; drops to 1 if refused
  std::mt19937 rng{std::random_device{}()};
  // OAuth: the current access token, when to fetch a new one (early, at 80% of its life), and
  // the workers waiting while one of them fetches it.
  std::string accessToken;
  Clock::time_point refreshAt{};
  bool tokenFetching = false;
  std::vector<asio::steady_timer*> tokenWaiters;
  std::atomic<size_t> depth{0};
  mutable std::mutex healthMutex;  // reachability is read by the API thread
  bool reachable = true;
  std::optional<Clock::time_point> lastAnswer;
  std::string lastError;
  std::thread thread;

  void noteReachability(unsigned status, const beast::error_code& ec) {
    std::lock_guard lock(healthMutex);
    if (status > 0 && status < 500) {
      reachable = true;
      lastAnswer = Clock::now();
      lastError.clear();
    } else {
      reachable = false;
      if (status) lastAnswer = Clock::now();
      lastError = status ? "HTTP " + std::to_string(status) : ec ? ec.message() : "no answer";
    }
  }

  Impl(const config::PlatformConfig& c, Metrics& m) : cfg(c), metrics(m) {
    url = parseHttpUrl(c.baseUrl).value_or(HttpUrl{});
    ssl.set_default_verify_paths();
    if (!cfg.caFile.empty()) {
      beast::error_code ec;
      ssl.load_verify_file(cfg.caFile, ec);
      if (ec)
        log::error("platform_ca_file_invalid", {{"file", cfg.caFile}, {"error", ec.message()}});
    }
    ssl.set_verify_mode(asio::ssl::verify_peer);
    pipeline = std::max<uint32_t>(1, cfg.pipeline);
    for (uint32_t i = 0; i < std::max<uint32_t>(1, cfg.connections); ++i)
      asio::co_spawn(ioc, worker(), asio::detached);
    thread = std::thread([this] {
      nameThisThread("lb-platform");
      ioc.run();
    });
  }

  std::chrono::milliseconds timeout() const { return std::chrono::milliseconds(cfg.timeoutMs); }

  void wakeOne() {
    if (idle.empty()) return;
    idle.back()->cancel();
    idle.pop_back();
  }

  void enqueue(Job job) {
    const std::string key = job.req.orderKey;
    Lane& lane = lanes[key];
    lane.jobs.push_back(std::move(job));
    if (!lane.busy && lane.jobs.size() == 1) {
      ready.push_back(key);
      wakeOne();
    }
  }

  // The lane's front job is finished (or its backoff ended): let the next one go.
  void release(const std::string& key, bool front = false) {
    Lane& lane = lanes[key];
    lane.busy = false;
    if (lane.jobs.empty()) {
      if (!lane.solo) lanes.erase(key);  // a slow device's next event still goes alone
      return;
    }
    if (front)
      ready.push_front(key);
    else
      ready.push_back(key);
    wakeOne();
  }

  // POST {clientId, clientSecret} to the token URL (seed 004) on a connection of its own.
  asio::awaitable<void> fetchToken() {
    const auto& oa = *cfg.oauth;
    auto tu = parseHttpUrl(oa.tokenUrl);
    beast::error_code ec;
    HttpResponse res;
    if (tu) {
      HttpConnection conn(ioc, ssl, *tu, 64 * 1024);
      HttpConnection::Request req{http::verb::post, tu->basePath.empty() ? "/" : tu->basePath, 11};
      req.set(http::field::content_type, "application/json");
      req.body() =
          nlohmann::json{{"clientId", oa.clientId}, {"clientSecret", oa.clientSecret}}.dump();
      res = co_await conn.request(req, timeout(), ec);
    }
    auto j = nlohmann::json::parse(res.body, nullptr, false);
    if (ec || res.status != 200 || !j.is_object() || !j.contains("access_token") ||
        !j["access_token"].is_string()) {
      metrics.inc("platform_oauth_failures_total");
      log::warn("platform_oauth_failed",
                {{"token_url", oa.tokenUrl},
                 {"status", std::to_string(res.status)},
                 {"error", ec                  ? ec.message()
                           : res.status == 200 ? "no access_token in the answer"
                                               : ""}});
      co_return;
    }
    accessToken = j["access_token"].get<std::string>();
    const int64_t life = j.contains("expires_in") && j["expires_in"].is_number()
                             ? j["expires_in"].get<int64_t>()
                             : 3600;
    refreshAt = Clock::now() + std::chrono::seconds(life * 8 / 10);
    log::info("platform_oauth_token", {{"expires_in_s", std::to_string(life)}});
  }

  // A valid access token, fetched by one worker while the others wait for it.
  asio::awaitable<void> ensureToken() {
    while (accessToken.empty() || Clock::now() >= refreshAt) {
      if (!tokenFetching) {
        tokenFetching = true;
        co_await fetchToken();
        tokenFetching = false;
        for (auto* t : tokenWaiters) t->cancel();
        tokenWaiters.clear();
        co_return;  // with or without a token: the request's answer decides what happens next
      }
      asio::steady_timer wait(ioc, Clock::time_point::max());
      tokenWaiters.push_back(&wait);
      beast::error_code ec;
      co_await wait.async_wait(asio::redirect_error(use_awaitable, ec));
      if (!tokenFetching) co_return;
    }
  }

  HttpConnection::Request makeRequest(http::verb method, const std::string& path,
                                      const std::string* body, const std::string* key) {
    HttpConnection::Request req{method, url.basePath + path, 11};
    req.set(http::field::user_agent, "lorawan-bridge/0.1");
    const std::string& token = cfg.oauth ? accessToken : cfg.token;
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    if (body) {
      req.set(http::field::content_type, "application/json");
      req.body() = *body;
    }
    if (key) req.set("Idempotency-Key", *key);
    return req;
  }

  asio::awaitable<void> runFetch(HttpConnection& conn, Fetch f) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(f.deadline - Clock::now());
    if (left.count() <= 0) {
      metrics.inc("platform_fetches_total{result=\"deadline\"}");
      f.done(0, "");
      co_return;
    }
    beast::error_code ec;
    if (cfg.oauth) co_await ensureToken();
    auto req = makeRequest(http::verb::get, f.path, nullptr, nullptr);
    HttpResponse r = co_await conn.request(req, std::min(left, timeout()), ec);
    metrics.inc(r.status >= 200 && r.status < 300 ? "platform_fetches_total{result=\"ok\"}"
                                                  : "platform_fetches_total{result=\"failed\"}");
    if (r.status < 200 || r.status >= 300)
      log::warn("platform_fetch_failed", {{"path", f.path},
                                          {"status", std::to_string(r.status)},
                                          {"error", ec ? ec.message() : r.body.substr(0, 200)}});
    f.done(r.status, std::move(r.body));
  }

  // The lanes' front jobs, pipelined on one connection.
  asio::awaitable<void> runJobs(HttpConnection& conn, const std::vector<std::string>& keys) {
    if (cfg.oauth) co_await ensureToken();
    std::vector<HttpConnection::Request> reqs;
    std::vector<HttpConnection::Request*> ptrs;
    reqs.reserve(keys.size());
    for (const auto& key : keys) {
      Job& job = lanes[key].jobs.front();
      const http::verb method = job.req.method == "PATCH" ? http::verb::patch : http::verb::post;
      reqs.push_back(makeRequest(method, job.req.path, &job.req.body, &job.req.idempotencyKey));
      ptrs.push_back(&reqs.back());
    }
    beast::error_code ec;
    const auto started = Clock::now();
    std::vector<HttpResponse> answers = co_await conn.requestBatch(ptrs, timeout(), ec);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
    for (size_t i = 0; i < keys.size(); ++i) {
      if (i < answers.size()) {
        metrics.observe("platform_request_seconds",
                        std::chrono::duration<double>(answers[i].elapsed).count());
        lanes[keys[i]].solo = answers[i].elapsed > kSlowAnswer || answers[i].status >= 500;
        finish(keys[i], answers[i], {}, answers[i].elapsed.count());
      } else if (ec && i == answers.size()) {
        lanes[keys[i]].solo = true;  // the one the connection failed or timed out on
        finish(keys[i], HttpResponse{}, ec, ms);
      } else {
        // Behind an answer that never came, or the server closed the connection after an
        // earlier answer: never answered, and no failure of its own.
        if (!ec && pipeline > 1 && i > 0) {
          // A platform that closes pipelined connections early gets one request at a time.
          pipeline = 1;
          log::warn("platform_pipelining_off",
                    {{"reason", "the platform closed a pipelined connection early"}});
        }
        release(keys[i], /*front=*/true);
      }
    }
  }

  void finish(const std::string& key, const HttpResponse& res, beast::error_code ec, int64_t ms) {
    noteReachability(res.status, ec);
    Lane& lane = lanes[key];
    Job& job = lane.jobs.front();
    ++job.attempts;
    const unsigned status = res.status;
    const bool ok = status >= 200 && status < 300;
    if (status == 401 && cfg.oauth && !job.authRetried) {
      // The token was revoked or expired early: one fresh token, one more try.
      job.authRetried = true;
      --job.attempts;
      accessToken.clear();
      release(key, true);
      return;
    }
    const bool retryable = !ok && (status == 0 || status == 408 || status == 429 || status >= 500);
    if (ok) {
      metrics.inc("platform_requests_total{result=\"ok\"}");
      log::debug(
          "platform_delivered",
          {{"path", job.req.path}, {"status", std::to_string(status)}, {"ms", std::to_string(ms)}});
    } else {
      metrics.inc(status ? "platform_requests_total{result=\"http_" + std::to_string(status) + "\"}"
                         : std::string("platform_requests_total{result=\"transport_error\"}"));
      log::warn("platform_request_failed", {{"path", job.req.path},
                                            {"status", std::to_string(status)},
                                            {"error", ec ? ec.message() : ""},
                                            {"attempt", std::to_string(job.attempts)},
                                            {"id", job.req.idempotencyKey}});
    }
    const bool gaveUp = retryable && cfg.maxAttempts > 0 && job.attempts >= cfg.maxAttempts;
    if (!retryable || gaveUp) {
      Outcome o{ok       ? Outcome::Delivered
                : gaveUp ? Outcome::GaveUp
                         : Outcome::Rejected,
                status, sanitizeUtf8(res.body, 512)};
      if (o.kind == Outcome::Rejected) {
        metrics.inc("platform_events_dead_lettered_total");
        log::error("platform_event_rejected", {{"path", job.req.path},
                                               {"id", job.req.idempotencyKey},
                                               {"status", std::to_string(status)},
                                               {"response", o.responseExcerpt}});
      } else if (gaveUp) {
        // Still in the outbox: the next start tries again.
        log::warn("platform_event_deferred", {{"path", job.req.path},
                                              {"id", job.req.idempotencyKey},
                                              {"attempts", std::to_string(job.attempts)}});
      }
      if (job.done) job.done(o);
      lane.jobs.pop_front();
      --depth;
      release(key);
      return;
    }
    // Exponential backoff with jitter: 100 ms, 200 ms, 400 ms ... capped; a Retry-After from
    // the platform wins (capped at 5 min) and holds every request, not just this device's.
    const uint64_t base =
        std::min<uint64_t>(cfg.maxBackoffMs, 100ull << std::min<uint32_t>(job.attempts - 1, 16));
    uint64_t waitMs = std::uniform_int_distribution<uint64_t>(base / 2, base)(rng);
    if (auto ra = retryAfterMs(res.retryAfter, std::time(nullptr))) {
      waitMs = std::min<uint64_t>(*ra, 300000);
      pausedUntil = std::max(pausedUntil, Clock::now() + std::chrono::milliseconds(waitMs));
    }
    auto timer = std::make_shared<asio::steady_timer>(ioc, std::chrono::milliseconds(waitMs));
    timer->async_wait([this, timer, key](beast::error_code) { release(key); });
  }

  // One keep-alive connection: fetches first (they race a receive window), then the next device
  // whose turn it is.
  asio::awaitable<void> worker() {
    HttpConnection conn(ioc, ssl, url, 1 << 20);
    asio::steady_timer park(ioc);
    for (;;) {
      beast::error_code ec;
      if (Clock::now() < pausedUntil) {
        park.expires_at(pausedUntil);
        co_await park.async_wait(asio::redirect_error(use_awaitable, ec));
        continue;
      }
      if (!fetches.empty()) {
        Fetch f = std::move(fetches.front());
        fetches.pop_front();
        co_await runFetch(conn, std::move(f));
        continue;
      }
      if (ready.empty()) {
        park.expires_at(Clock::time_point::max());
        idle.push_back(&park);
        co_await park.async_wait(asio::redirect_error(use_awaitable, ec));
        std::erase(idle, &park);
        continue;
      }
      // The next device, plus (pipelining) more devices whose requests have been quick.
      std::vector<std::string> keys{std::move(ready.front())};
      ready.pop_front();
      if (!lanes[keys[0]].solo)
        for (auto it = ready.begin(); it != ready.end() && keys.size() < pipeline;) {
          if (lanes[*it].solo) {
            ++it;
            continue;
          }
          keys.push_back(std::move(*it));
          it = ready.erase(it);
        }
      for (const auto& k : keys) lanes[k].busy = true;
      co_await runJobs(conn, keys);
    }
  }
};

PlatformClient::PlatformClient(const config::PlatformConfig& cfg, Metrics& metrics)
    : impl_(std::make_unique<Impl>(cfg, metrics)) {}

PlatformClient::~PlatformClient() {
  stop(std::chrono::milliseconds(0));
}

void PlatformClient::submit(Request req, Done done) {
  ++impl_->depth;
  asio::post(impl_->ioc,
             [impl = impl_.get(), job = Impl::Job{std::move(req), std::move(done)}]() mutable {
               impl->enqueue(std::move(job));
             });
}

void PlatformClient::fetch(std::string path, std::chrono::steady_clock::time_point deadline,
                           FetchDone done) {
  asio::post(impl_->ioc, [impl = impl_.get(),
                          f = Impl::Fetch{std::move(path), deadline, std::move(done)}]() mutable {
    impl->fetches.push_back(std::move(f));
    impl->wakeOne();
  });
}

void PlatformClient::stop(std::chrono::milliseconds timeout) {
  if (!impl_->thread.joinable()) return;
  auto deadline = Clock::now() + timeout;
  while (impl_->depth > 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // bounded drain on shutdown
  if (impl_->depth > 0)
    log::warn("platform_shutdown_undelivered", {{"events", std::to_string(impl_->depth.load())}});
  impl_->ioc.stop();
  impl_->thread.join();
}

size_t PlatformClient::queued() const {
  return impl_->depth;
}

PlatformClient::Reachability PlatformClient::reachability() const {
  std::lock_guard lock(impl_->healthMutex);
  Reachability r;
  r.reachable = impl_->reachable;
  r.lastError = impl_->lastError;
  if (impl_->lastAnswer)
    r.lastAnswerAgoMs =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - *impl_->lastAnswer)
            .count();
  return r;
}

}  // namespace bridge
