// The management API under hostile input, over real HTTP against the running daemon: bytes that
// are not UTF-8, wrong JSON types, connection floods, oversized WebSocket messages, a dead letter
// holding invalid UTF-8. Every case gets an answer that names what was wrong, and the daemon
// keeps serving gateways and the API afterwards (numbers refer to the hardening issue).
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "bridge/app/daemon.hpp"
#include "bridge/core/metrics.hpp"
#include "bridge/tools/platform_sink.hpp"
#include "support/devices.hpp"
#include "support/fake_forwarder.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

using namespace bridge;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const lorawan::Eui64 kGw(0xAA555A0000000001);

class ApiHardeningTest : public ::testing::Test {
 protected:
  void start(std::function<void(config::Config&)> adjust = nullptr, bool runNetwork = true) {
    c.udpListen = {"127.0.0.1", 0};
    c.apiListen = {"127.0.0.1", 0};
    c.dedupWindowMs = 20;
    c.storePath = dir.file("bridge.db");
    c.interfaces = {testsupport::abpInterface("68e8e794-1abe-45d6-a63e-158ed5d611ef", "cellar",
                                              testsupport::kCellar)};
    if (adjust) adjust(c);
    auto d = Daemon::create(c);
    ASSERT_TRUE(d.has_value()) << d.error();
    daemon = std::move(*d);
    if (runNetwork) daemon->start();
    fwd = std::make_unique<testsupport::FakeForwarder>(daemon->udpPort(), kGw);
  }
  testsupport::HttpResult call(const std::string& method, const std::string& target,
                               const std::string& body = "") {
    return testsupport::httpRequest(daemon->apiPort(), method, target, body);
  }
  // The answer is the seed-000 error envelope, and its message says `needle`.
  void expectError(const testsupport::HttpResult& r, unsigned status, const std::string& needle) {
    EXPECT_EQ(r.status, status) << r.body;
    auto j = json::parse(r.body, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << r.body;
    EXPECT_EQ(j["ok"], false);
    EXPECT_NE(j["error"].get<std::string>().find(needle), std::string::npos) << r.body;
  }
  // Gateways and the API are still served.
  void expectAlive() {
    EXPECT_TRUE(fwd->pull(77)) << "the UDP side stopped answering";
    EXPECT_EQ(call("GET", "/healthz").status, 200u);
  }
  std::string cellarBody(const std::string& opts) {
    return R"({"interface":{"opts":{"device_type":"abp","device_address":"26011BDC",)"
           R"("network_session_key":"000102030405060708090A0B0C0D0E1F",)"
           R"("app_session_key":"0F0E0D0C0B0A09080706050403020101")" +
           opts + "}}}";
  }

  config::Config c;
  testsupport::TempDir dir;
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<testsupport::FakeForwarder> fwd;
};

// Threads never wait on each other: with the network thread not running at all, routes that need
// it answer 503 after a bounded wait and the API thread keeps serving the others meanwhile. (With
// the old blocking post-and-wait, the first such request held the API thread forever.)
TEST_F(ApiHardeningTest, AStalledNetworkThreadNeverStallsTheApi) {
  start(nullptr, /*runNetwork=*/false);
  std::promise<testsupport::HttpResult> devices;
  std::thread waiting([&] { devices.set_value(call("GET", "/devices")); });
  auto pending = devices.get_future();
  EXPECT_EQ(pending.wait_for(200ms), std::future_status::timeout);  // it waits on the network...
  const auto t0 = std::chrono::steady_clock::now();
  auto gateways = call("GET", "/gateways");  // ...while the API thread answers this one
  EXPECT_EQ(gateways.status, 200u) << gateways.body;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  ASSERT_EQ(pending.wait_for(10s), std::future_status::ready);
  expectError(pending.get(), 503, "network thread did not take the request");
  waiting.join();
}

// 1, 10: a device name or query that is not UTF-8 is a 400 naming the part, not a crash or a
// dropped connection.
TEST_F(ApiHardeningTest, TargetsThatAreNotUtf8Get400NamingThePart) {
  start();
  expectError(call("POST", "/devices/%C3%28/interfaces", cellarBody("")), 400,
              "path segment 2 is not valid UTF-8");
  expectError(call("GET", "/devices/x%FF/status"), 400, "path segment 2");
  expectError(call("GET", "/devices?sort=%FF"), 400, "query parameter sort");
  expectError(call("DELETE", "/%FF"), 400, "path segment 1");
  // Raw (not percent-encoded) invalid bytes too.
  expectError(call("GET", "/devices/\xC3\x28"), 400, "not valid UTF-8");
  EXPECT_GE(daemon->metrics().counter("api_requests_invalid_total{reason=\"utf8\"}"), 5u);
  // Valid UTF-8 names still work.
  EXPECT_EQ(call("POST", "/devices/k%C3%BChlraum/interfaces", cellarBody("")).status, 200u);
  expectAlive();
}

// 2, 11: JSON of the wrong type is a 400 naming the field, on POST, PUT and PATCH.
TEST_F(ApiHardeningTest, WrongJsonTypesAreRefusedNamingTheField) {
  start();
  expectError(call("POST", "/devices/dev1/interfaces",
                   R"({"interface":{"opts":{"device_type":1,"device_address":"26011BDC"}}})"),
              400, "interface.opts.device_type: want a string, got number");
  expectError(call("POST", "/devices/dev1/interfaces",
                   R"({"interface":{"tags":[1],"opts":{"device_type":"abp"}}})"),
              400, "interface.tags[0]: want a string, got number");
  expectError(call("POST", "/devices/dev1/interfaces", cellarBody(R"(,"enabled":"yes")")), 400,
              "interface.opts.enabled: want true or false, got string");
  const std::string path = "/devices/cellar/interfaces/68e8e794-1abe-45d6-a63e-158ed5d611ef";
  expectError(call("PATCH", path, R"({"interface":{"opts":{"device_type":1}}})"), 400,
              "interface.opts.device_type");
  expectError(call("PATCH", path, R"({"interface":{"opts":{"managed":"no"}}})"), 400,
              "interface.opts.managed");
  expectError(call("PUT", path, R"({"interface":{"opts":{"device_type":1}}})"), 400,
              "interface.opts.device_type");
  expectError(call("POST", "/devices/dev1/interfaces", R"({"interface":{"opts":[]}})"), 400,
              "interface.opts: want an object");
  // Nothing was changed by the refused requests.
  auto shown = json::parse(call("GET", path).body);
  EXPECT_EQ(shown["body"]["opts"]["managed"], true);
  EXPECT_EQ(shown["body"]["opts"]["device_type"], "abp");
  expectAlive();
}

// 7: more connections than the cap get 503, and the API accepts again once they are gone.
TEST_F(ApiHardeningTest, ConnectionsBeyondTheCapGet503AndTheApiRecovers) {
  start([](config::Config& c) { c.apiMaxConnections = 4; });
  boost::asio::io_context ioc;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> held;
  const boost::asio::ip::tcp::endpoint api(boost::asio::ip::make_address("127.0.0.1"),
                                           daemon->apiPort());
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<boost::asio::ip::tcp::socket>(ioc));
    held.back()->connect(api);
  }
  // The API thread counts them once accepted: a request on the first one proves that.
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       daemon->metrics().counter("api_connections_refused_total{reason=\"connections\"}") == 0 &&
       std::chrono::steady_clock::now() < deadline;) {
    auto r = call("GET", "/healthz");
    if (r.status == 503) break;
  }
  auto refused = call("GET", "/healthz");
  expectError(refused, 503, "too many connections (api.max_connections is 4)");
  held.clear();
  // Freed: served again (the held sockets' close reaches the API thread asynchronously).
  unsigned status = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       status != 200 && std::chrono::steady_clock::now() < deadline;)
    status = call("GET", "/healthz").status;
  EXPECT_EQ(status, 200u);
  EXPECT_GE(daemon->metrics().counter("api_connections_refused_total{reason=\"connections\"}"), 1u);
}

// 9: /events clients are capped, and a client sending a big message is disconnected instead of
// being buffered.
TEST_F(ApiHardeningTest, EventsClientsAreCappedAndBigMessagesCloseTheClient) {
  start([](config::Config& c) { c.apiMaxEventClients = 1; });
  namespace websocket = boost::beast::websocket;
  boost::asio::io_context ioc;
  auto connect = [&](websocket::stream<boost::asio::ip::tcp::socket>& ws) -> unsigned {
    ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), daemon->apiPort()});
    websocket::response_type res;
    boost::beast::error_code ec;
    ws.handshake(res, "127.0.0.1", "/events", ec);
    if (!ec) return res.result_int();
    // Beast 1.74 does not hand back a declined handshake's response: the same upgrade request
    // over plain HTTP shows it.
    namespace http = boost::beast::http;
    boost::beast::tcp_stream s(ioc);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), daemon->apiPort()});
    http::request<http::empty_body> req{http::verb::get, "/events", 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::connection, "upgrade");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    req.set(http::field::sec_websocket_version, "13");
    http::write(s, req);
    boost::beast::flat_buffer b;
    http::response<http::string_body> r;
    http::read(s, b, r);
    return r.result_int();
  };
  websocket::stream<boost::asio::ip::tcp::socket> first(ioc), second(ioc);
  ASSERT_EQ(connect(first), 101u);
  EXPECT_EQ(connect(second), 503u);
  EXPECT_GE(daemon->metrics().counter("api_connections_refused_total{reason=\"event_clients\"}"),
            1u);
  // 64 KiB from a client that should only ever send pings: the server closes it.
  boost::beast::error_code ec;
  first.write(boost::asio::buffer(std::string(64 * 1024, 'x')), ec);  // may fail half-way: closed
  boost::beast::flat_buffer buf;
  if (!ec) first.read(buf, ec);
  EXPECT_TRUE(ec) << "the oversized message was accepted";
  // The slot is free again.
  websocket::stream<boost::asio::ip::tcp::socket> third(ioc);
  unsigned status = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       status != 101 && std::chrono::steady_clock::now() < deadline;) {
    websocket::stream<boost::asio::ip::tcp::socket> attempt(ioc);
    status = connect(attempt);
  }
  EXPECT_EQ(status, 101u);
  expectAlive();
}

// 8: the platform answered 400 with bytes that are not UTF-8; the dead letter is listed with
// them replaced, and every other request keeps working.
TEST_F(ApiHardeningTest, ADeadLetterWithInvalidUtf8IsListed) {
  PlatformSink sink("127.0.0.1", 0);
  // Also longer than the 512-byte excerpt, with a character across the cut.
  std::string answer = "\xff\xfe\xc3\x28" + std::string(506, 'a') + "\xc3\xa9\xc3\xa9";
  sink.setBodyResponder([&](const RecordedRequest&) { return std::make_pair(400u, answer); });
  start([&](config::Config& c) {
    c.platform = config::PlatformConfig{sink.baseUrl(), "t", 2000, 0, "", std::nullopt};
  });
  ASSERT_TRUE(fwd->push(
      testsupport::pushBody(testsupport::buildUplink(testsupport::kCellar, 1, 1, {1})), 1));
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       daemon->metrics().counter("platform_events_dead_lettered_total") == 0 &&
       std::chrono::steady_clock::now() < deadline;)
    fwd->pull(2);
  ASSERT_EQ(daemon->metrics().counter("platform_events_dead_lettered_total"), 1u);
  testsupport::HttpResult r;
  for (auto deadline = std::chrono::steady_clock::now() + 5s;
       std::chrono::steady_clock::now() < deadline;) {
    r = call("GET", "/deadletters");
    if (r.body.find("\"status\":400") != std::string::npos) break;
  }
  ASSERT_EQ(r.status, 200u) << r.body;
  auto j = json::parse(r.body);
  ASSERT_EQ(j["body"].size(), 1u);
  const std::string response = j["body"][0]["response"];
  EXPECT_EQ(response.rfind("\xEF\xBF\xBD\xEF\xBF\xBD", 0), 0u) << "invalid bytes become U+FFFD";
  EXPECT_LE(response.size(), 512u);
  EXPECT_EQ(response.find("\xc3\x28"), std::string::npos);
  expectAlive();
}

}  // namespace
