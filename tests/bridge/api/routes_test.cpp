// The management API over real HTTP against the running daemon: the auth matrix, interfaces
// CRUD in seed-000 shape (persisted, effective at once), devices with seed-001 filters, data,
// status, downlinks, gateways, rate limits — with good and bad input, and no secret in a response.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "bridge/app/daemon.hpp"
#include "bridge/core/metrics.hpp"
#include "support/devices.hpp"
#include "support/fake_forwarder.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

using namespace bridge;
using namespace std::chrono_literals;
using nlohmann::json;
using testsupport::buildUplink;
using testsupport::kCellar;
using testsupport::kDoor;

namespace {

const char* kAdmin = "admin-token-0123456789";
const char* kDevAdmin = "devadmin-token-0123456789";
const char* kNs = "ns-token-0123456789";
const lorawan::Eui64 kGw(0xAA555A0000000001);
// kDoor's keys, for an interface created through the API.
const char* kDoorNwkSKey = "000102030405060708090A0B0C0D0E0F";
const char* kDoorAppSKey = "0F0E0D0C0B0A09080706050403020100";

class ApiTest : public ::testing::Test {
 protected:
  void start(uint32_t ratePerS = 1000, uint32_t burst = 1000) {
    config::Config c;
    c.udpListen = {"127.0.0.1", 0};
    c.apiListen = {"127.0.0.1", 0};
    c.dedupWindowMs = 20;
    c.storePath = dir.file("bridge.db");
    c.apiTokens = {
        {kAdmin, {"org-admin"}}, {kDevAdmin, {"device-admin"}}, {kNs, {"network-server"}}};
    c.apiRatePerS = ratePerS;
    c.apiRateBurst = burst;
    auto cellar =
        testsupport::abpInterface("68e8e794-1abe-45d6-a63e-158ed5d611ef", "cellar", kCellar);
    cellar.tags = {"basement", "temperature"};
    cellar.opts.deviceEui = lorawan::Eui64(0x70B3D57ED0000001);
    c.interfaces = {cellar};
    auto d = Daemon::create(c);
    ASSERT_TRUE(d.has_value()) << d.error();
    daemon = std::move(*d);
    daemon->start();
    fwd = std::make_unique<testsupport::FakeForwarder>(daemon->udpPort(), kGw);
  }
  testsupport::HttpResult call(const std::string& method, const std::string& target,
                               const std::string& body = "", const std::string& token = kAdmin) {
    auto r = testsupport::httpRequest(daemon->apiPort(), method, target, body, token);
    // Nothing the API says may carry a full key or token.
    for (const char* secret :
         {kDoorNwkSKey, kDoorAppSKey, "2B7E151628AED2A6ABF7158809CF4F3C", kAdmin, kDevAdmin, kNs})
      EXPECT_EQ(r.body.find(secret), std::string::npos)
          << method << " " << target << " shows a secret";
    std::string lower = r.body;
    for (auto& ch : lower) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    EXPECT_EQ(lower.find("2b7e151628aed2a6abf7158809cf4f3c"), std::string::npos);
    return r;
  }
  json body(const testsupport::HttpResult& r) { return json::parse(r.body); }
  // Sends an uplink and waits until it is accepted (its window closed and it was stored).
  void uplink(const testsupport::AbpDevice& d, uint32_t fcnt, uint16_t token) {
    const uint64_t before = daemon->metrics().counter("uplinks_accepted_total");
    ASSERT_TRUE(fwd->push(testsupport::pushBody(buildUplink(d, fcnt, 1, {uint8_t(fcnt)})), token));
    // Each PULL round trip passes through the network thread; no sleeping.
    for (auto until = std::chrono::steady_clock::now() + 5s;
         daemon->metrics().counter("uplinks_accepted_total") == before &&
         std::chrono::steady_clock::now() < until;)
      fwd->pull(1);
    ASSERT_GT(daemon->metrics().counter("uplinks_accepted_total"), before);
  }
  std::string doorInterface(const std::string& extraOpts = "") {
    return std::string(
               R"({"interface":{"driver_instance_id":"9cf80c6a-1669-4cbf-96d0-9eefb707d294","tags":["door"],)") +
           R"("opts":{"device_type":"abp","device_address":"26011BDB","network_session_key":")" +
           kDoorNwkSKey + R"(","app_session_key":")" + kDoorAppSKey + "\"" + extraOpts + "}}}";
  }

  testsupport::TempDir dir;
  std::unique_ptr<Daemon> daemon;
  std::unique_ptr<testsupport::FakeForwarder> fwd;
};

TEST_F(ApiTest, AuthMatrix) {
  start();
  EXPECT_EQ(call("GET", "/devices", "", "").status, 401u);
  auto wrong = call("GET", "/devices", "", "nope");
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_NE(body(wrong)["error"].get<std::string>().find("bearer token"), std::string::npos);
  EXPECT_EQ(call("GET", "/healthz", "", "").status, 200u);  // liveness needs no token
  for (const char* t : {kAdmin, kDevAdmin, kNs})
    EXPECT_EQ(call("GET", "/devices", "", t).status, 200u) << t;
  const std::string dl = R"({"fPort":2,"data":"AQ=="})";
  auto ns = call("POST", "/devices/cellar/downlinks", dl, kNs);
  EXPECT_EQ(ns.status, 403u);
  EXPECT_NE(body(ns)["error"].get<std::string>().find("device-admin"), std::string::npos);
  EXPECT_EQ(call("POST", "/devices/cellar/downlinks", dl, kDevAdmin).status, 201u);
  EXPECT_EQ(call("POST", "/devices/door/interfaces", doorInterface(), kDevAdmin).status,
            403u);  // org-admin only
  EXPECT_EQ(call("POST", "/devices/door/interfaces", doorInterface(), kNs).status, 403u);
  EXPECT_EQ(call("POST", "/devices/door/interfaces", doorInterface(), kAdmin).status, 200u);
  EXPECT_EQ(call("GET", "/devices/door/interfaces", "", kNs).status, 200u);
}

TEST_F(ApiTest, InterfacesCrudInSeed000ShapeTakesEffectAtOnceAndPersists) {
  start();
  // Create: a new device's first interface; its frames are accepted right away.
  auto created = call("POST", "/devices/door/interfaces", doorInterface());
  ASSERT_EQ(created.status, 200u) << created.body;
  json itf = body(created)["body"];
  EXPECT_EQ(body(created)["ok"], true);
  const std::string id = itf["id"];
  EXPECT_EQ(id.size(), 36u);
  EXPECT_EQ(itf["device_id_or_slug"], "door");
  EXPECT_EQ(itf["opts"]["device_address"], "26011bdb");
  EXPECT_EQ(itf["opts"]["network_session_key"], "0001…(redacted)");
  uplink(kDoor, 1, 1);
  // List (paginated by retrieve_after_id) and show.
  ASSERT_EQ(
      call(
          "POST", "/devices/door/interfaces",
          R"({"interface":{"id":"ffffffff-0000-4000-8000-000000000001","opts":{"device_type":"otaa",)"
          R"("device_eui":"00AFEE7CF5ED6F1E","eui":"70B3D57ED00000DC","device_key":"B6B53F4A168A7A88BDF7EA135CE9CFCA"}}})")
          .status,
      200u);
  auto page1 = body(call("GET", "/devices/door/interfaces?limit=1"));
  ASSERT_EQ(page1["body"].size(), 1u);
  ASSERT_TRUE(page1["retrieve_after_id"].is_string());
  auto page2 = body(call("GET", "/devices/door/interfaces?limit=1&retrieve_after_id=" +
                                    page1["retrieve_after_id"].get<std::string>()));
  ASSERT_EQ(page2["body"].size(), 1u);
  EXPECT_NE(page2["body"][0]["id"], page1["body"][0]["id"]);
  EXPECT_TRUE(page2["retrieve_after_id"].is_null());
  EXPECT_EQ(body(call("GET", "/devices/door/interfaces/" + id))["body"]["id"], id);
  EXPECT_EQ(call("GET", "/devices/cellar/interfaces/" + id).status, 404u);  // not that device's
  // Edit: disable it (PATCH); the redacted keys sent back as shown keep the real keys.
  json edit{
      {"interface", {{"opts", {{"enabled", false}, {"network_session_key", "0001…(redacted)"}}}}}};
  auto patched = call("PATCH", "/devices/door/interfaces/" + id, edit.dump());
  ASSERT_EQ(patched.status, 200u) << patched.body;
  EXPECT_EQ(body(patched)["body"]["opts"]["enabled"], false);
  const uint64_t disabledBefore =
      daemon->metrics().counter("uplinks_rejected_total{reason=\"disabled\"}");
  ASSERT_TRUE(fwd->push(testsupport::pushBody(buildUplink(kDoor, 2, 1, {2})), 2));
  for (auto until = std::chrono::steady_clock::now() + 5s;
       daemon->metrics().counter("uplinks_rejected_total{reason=\"disabled\"}") == disabledBefore &&
       std::chrono::steady_clock::now() < until;)
    fwd->pull(1);
  EXPECT_GT(daemon->metrics().counter("uplinks_rejected_total{reason=\"disabled\"}"),
            disabledBefore);
  // PUT back on, and the keys still work (the counter continues).
  ASSERT_EQ(
      call("PUT", "/devices/door/interfaces/" + id, R"({"interface":{"opts":{"enabled":true}}})")
          .status,
      200u);
  uplink(kDoor, 3, 3);
  // Restart: the API's changes are in the store.
  daemon->stop();
  start();
  EXPECT_EQ(body(call("GET", "/devices/door/interfaces/" + id))["body"]["opts"]["enabled"], true);
  uplink(kDoor, 4, 4);
  // Delete returns the deleted interface; then it is gone, also after a restart.
  auto deleted = call("DELETE", "/devices/door/interfaces/" + id);
  ASSERT_EQ(deleted.status, 200u);
  EXPECT_EQ(body(deleted)["body"]["id"], id);
  EXPECT_EQ(call("GET", "/devices/door/interfaces/" + id).status, 404u);
  daemon->stop();
  start();
  EXPECT_EQ(call("GET", "/devices/door/interfaces/" + id).status, 404u);
  // A YAML interface can be changed too; the change wins after a restart.
  ASSERT_EQ(call("PATCH", "/devices/cellar/interfaces/68e8e794-1abe-45d6-a63e-158ed5d611ef",
                 R"({"interface":{"opts":{"managed":false}}})")
                .status,
            200u);
  daemon->stop();
  start();
  EXPECT_EQ(
      body(call("GET",
                "/devices/cellar/interfaces/68e8e794-1abe-45d6-a63e-158ed5d611ef"))["body"]["opts"]
                                                                                   ["managed"],
      false);
}

TEST_F(ApiTest, InterfaceValidationNamesTheField) {
  start();
  setenv("LB_TEST_SECRET", "0123456789ABCDEF0123456789ABCDEF", 1);
  struct Case {
    const char* name;
    std::string body;
    unsigned status;
    const char* mentions;
  } cases[] = {
      {"not JSON", "{nope", 400, "not JSON"},
      {"no wrapper", R"({"opts":{}})", 400, "want {"},
      {"short key", doorInterface().replace(doorInterface().find(kDoorNwkSKey), 32, "0011"), 400,
       "interface.opts.network_session_key"},
      {"unknown opt", doorInterface(R"(,"colour":"red")"), 400,
       "interface.opts.colour: unknown key"},
      {"wrong type", doorInterface(R"(,"enabled":"maybe")"), 400, "interface.opts.enabled"},
      {"env var not read",
       doorInterface().replace(doorInterface().find(kDoorAppSKey), 32, "${LB_TEST_SECRET}"), 400,
       "interface.opts.app_session_key"},
      {"codec file",
       R"({"interface":{"codec":{"type":"js","file":"/etc/passwd"},"opts":{"device_type":"abp"}}})",
       400, "interface.codec"},
      {"other device in body", R"({"interface":{"device_id_or_slug":"cellar","opts":{}}})", 400,
       "device_id_or_slug"},
      {"same address and key",
       std::string(R"({"interface":{"opts":{"device_type":"abp","device_address":"26011BDA",)") +
           R"("network_session_key":"2B7E151628AED2A6ABF7158809CF4F3C","app_session_key":")" +
           kDoorAppSKey + "\"}}}",
       409, "could not be told apart"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = call("POST", "/devices/door/interfaces", c.body);
    EXPECT_EQ(r.status, c.status) << r.body;
    EXPECT_NE(r.body.find(c.mentions), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("0123456789ABCDEF0123456789ABCDEF"), std::string::npos);
  }
  EXPECT_EQ(call("GET", "/devices/door/interfaces").status, 404u);  // nothing was created
  // A duplicate id is a conflict.
  ASSERT_EQ(call("POST", "/devices/door/interfaces", doorInterface()).status, 200u);
  auto dup = call(
      "POST", "/devices/other/interfaces",
      R"({"interface":{"id":"68e8e794-1abe-45d6-a63e-158ed5d611ef","opts":{"device_type":"abp"}}})");
  EXPECT_EQ(dup.status, 409u) << dup.body;
  EXPECT_EQ(call("PATCH", "/devices/cellar/interfaces/68e8e794-1abe-45d6-a63e-158ed5d611ef",
                 R"({"interface":{"id":"00000000-0000-4000-8000-000000000000"}})")
                .status,
            400u);
}

TEST_F(ApiTest, DevicesListFiltersSortsAndNamesDevices) {
  start();
  ASSERT_EQ(call("POST", "/devices/door/interfaces", doorInterface()).status, 200u);
  auto ids = [&](const std::string& query) {
    auto r = call("GET", "/devices" + query);
    EXPECT_EQ(r.status, 200u) << query << " " << r.body;
    std::vector<std::string> out;
    const json page = body(r);
    for (const auto& d : page["body"]) out.push_back(d["id"]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(ids(""), (V{"cellar", "door"}));
  EXPECT_EQ(ids("?sort=-id"), (V{"door", "cellar"}));
  EXPECT_EQ(ids("?limit=1&offset=1"), (V{"door"}));
  EXPECT_EQ(ids("?f:id=like:d%25"), (V{"door"}));
  EXPECT_EQ(ids("?f:id=ilike:CEL%25"), (V{"cellar"}));
  EXPECT_EQ(ids("?f:devAddr=26011bdb"), (V{"door"}));  // eq by default
  EXPECT_EQ(ids("?fa:tags=contains:basement,temperature"), (V{"cellar"}));
  EXPECT_EQ(ids("?fa:tags=overlap:door,nothing"), (V{"door"}));
  EXPECT_EQ(ids("?fa:tags=containedby:door,x"), (V{"door"}));
  EXPECT_EQ(ids("?f:enabled=eq:true&f:deviceType=abp"), (V{"cellar", "door"}));
  for (const char* bad : {"?limit=10001", "?limit=0", "?limit=abc", "?offset=-1", "?f:colour=red",
                          "?f:id=contains:x", "?fa:tags=gt:1", "?sort=colour"}) {
    auto r = call("GET", std::string("/devices") + bad);
    EXPECT_EQ(r.status, 400u) << bad;
    EXPECT_FALSE(body(r)["error"].get<std::string>().empty()) << bad;
  }
  // A device by id, slug, deveui: or urn:dev:deveui:, case-insensitive.
  for (const char* name : {"cellar", "CELLAR", "deveui:70b3d57ed0000001", "DevEUI:70B3D57ED0000001",
                           "urn:dev:deveui:70b3d57ed0000001"}) {
    auto r = call("GET", std::string("/devices/") + name);
    EXPECT_EQ(r.status, 200u) << name;
    EXPECT_EQ(body(r)["body"]["id"], "cellar") << name;
  }
  EXPECT_EQ(call("GET", "/devices/deveui:1234").status, 400u);
  EXPECT_EQ(call("GET", "/devices/deveui:ffffffffffffffff").status, 404u);
  EXPECT_EQ(call("GET", "/devices/nobody/status").status, 404u);
}

TEST_F(ApiTest, DataStatusDownlinksAndGateways) {
  start();
  EXPECT_EQ(body(call("GET", "/devices/cellar/status"))["body"]["online"], false);  // never heard
  for (uint32_t f = 1; f <= 3; ++f) uplink(kCellar, f, uint16_t(f));
  auto status = body(call("GET", "/devices/cellar/status"))["body"];
  EXPECT_EQ(status["online"], true);
  EXPECT_EQ(status["fCntUp"], 3);
  EXPECT_EQ(status["lastRssi"], -60.0);
  EXPECT_EQ(status["lastGateway"], "aa555a0000000001");
  // DevStatusAns in FOpts (battery 200 of 254, margin 10 dB) shows in the status.
  {
    const uint64_t before = daemon->metrics().counter("uplinks_accepted_total");
    ASSERT_TRUE(fwd->push(
        testsupport::pushBody(buildUplink(kCellar, 4, 1, {4}, false, {0x06, 200, 10})), 4));
    for (auto until = std::chrono::steady_clock::now() + 5s;
         daemon->metrics().counter("uplinks_accepted_total") == before &&
         std::chrono::steady_clock::now() < until;)
      fwd->pull(1);
    auto st = body(call("GET", "/devices/cellar/status"))["body"];
    EXPECT_EQ(st["battery"], 200);
    EXPECT_EQ(st["margin"], 10);
    EXPECT_EQ(st["externalPower"], false);
    EXPECT_EQ(st["fCntUp"], 4);
  }
  // Data: seed 004 shape, pages from 1, newest first on request.
  auto data = body(call("GET", "/devices/cellar/data?perPage=2&page=1&sort=-ts"));
  EXPECT_EQ(data["totalItems"], 4);
  ASSERT_EQ(data["data"].size(), 2u);
  EXPECT_EQ(data["data"][0]["data"]["fCnt"], 4);
  EXPECT_EQ(data["data"][0]["deviceId"], "cellar");
  auto page2 = body(call("GET", "/devices/cellar/data?perPage=2&page=2"));
  ASSERT_EQ(page2["data"].size(), 2u);
  EXPECT_EQ(page2["data"][0]["data"]["fCnt"], 3);  // oldest first by default
  EXPECT_EQ(body(call("GET", "/devices/cellar/data?end=1"))["totalItems"], 0);
  for (const char* bad :
       {"?perPage=0", "?perPage=101", "?page=0", "?start=x", "?sort=rssi", "?start=10&end=5"})
    EXPECT_EQ(call("GET", std::string("/devices/cellar/data") + bad).status, 400u) << bad;
  // Downlinks: queue two, list them, cancel the queue.
  ASSERT_EQ(call("POST", "/devices/cellar/downlinks", R"({"fPort":2,"data":"AQ=="})").status, 201u);
  ASSERT_EQ(
      call("POST", "/devices/cellar/downlinks", R"({"fPort":3,"data":"Ag==","confirmed":true})")
          .status,
      201u);
  auto list = body(call("GET", "/devices/cellar/downlinks"))["body"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["fPort"], 3);  // newest first
  EXPECT_EQ(list[0]["status"], "queued");
  auto cancelled = body(call("DELETE", "/devices/cellar/downlinks"))["body"];
  EXPECT_EQ(cancelled.size(), 2u);
  const json after = body(call("GET", "/devices/cellar/downlinks"));
  for (const auto& d : after["body"]) EXPECT_EQ(d["status"], "cancelled");
  EXPECT_EQ(call("PUT", "/devices/cellar/downlinks").status, 405u);
  // Gateways.
  auto gws = body(call("GET", "/gateways"))["body"];
  ASSERT_EQ(gws.size(), 1u);
  EXPECT_EQ(gws[0]["gatewayEui"], "aa555a0000000001");
  EXPECT_EQ(gws[0]["region"], "EU868");
  EXPECT_EQ(gws[0]["pushCount"], 4);
}

TEST_F(ApiTest, ApiCommandLine) {
  start();
  const std::string bin = std::string(LB_BINARY) + " api";
  const std::string at = " --api 127.0.0.1:" + std::to_string(daemon->apiPort());
  EXPECT_EQ(std::system(
                (bin + " GET /devices" + at + " --token " + kNs + " | grep -q '\"id\": \"cellar\"'")
                    .c_str()),
            0);
  EXPECT_NE(std::system((bin + " GET /devices" + at + " --token wrong >/dev/null").c_str()),
            0);  // 401: exit 1
  EXPECT_EQ(std::system((bin + " POST /devices/cellar/downlinks '{\"fPort\":2,\"data\":\"AQ==\"}'" +
                         at + " --token " + kDevAdmin + " >/dev/null")
                            .c_str()),
            0);
  EXPECT_EQ(WEXITSTATUS(std::system((bin + " GET devices >/dev/null 2>&1").c_str())), 2);  // usage
}

TEST_F(ApiTest, ATokenBeyondItsRateGets429WithRetryAfter) {
  start(/*ratePerS=*/1, /*burst=*/3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(call("GET", "/devices", "", kNs).status, 200u);
  auto r = call("GET", "/devices", "", kNs);
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(r.retryAfter, "1");
  EXPECT_NE(body(r)["error"].get<std::string>().find("too many requests"), std::string::npos);
  EXPECT_EQ(call("GET", "/devices", "", kAdmin).status, 200u);  // per token: the others go on
  EXPECT_GE(daemon->metrics().counter("api_rate_limited_total"), 1u);
}

}  // namespace

namespace {

// A WebSocket client whose reads give up after 5 s (no test waits forever).
struct WsClient {
  boost::asio::io_context ioc;
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket> ws{ioc};
  unsigned handshakeStatus = 0;

  WsClient(uint16_t port, const std::string& target, const std::string& bearer = "") {
    ws.next_layer().connect({boost::asio::ip::make_address("127.0.0.1"), port});
    if (!bearer.empty())
      ws.set_option(boost::beast::websocket::stream_base::decorator(
          [bearer](boost::beast::websocket::request_type& r) {
            r.set("Authorization", "Bearer " + bearer);
          }));
    boost::beast::websocket::response_type res;
    boost::system::error_code ec;
    ws.handshake(res, "127.0.0.1", target, ec);
    handshakeStatus = ec ? declinedStatus(port, target, bearer) : res.result_int();
  }
  // Beast 1.74 does not hand back a declined handshake's response: ask again over plain HTTP
  // with the same upgrade headers and read the status.
  static unsigned declinedStatus(uint16_t port, const std::string& target,
                                 const std::string& bearer) {
    namespace http = boost::beast::http;
    boost::asio::io_context ioc;
    boost::beast::tcp_stream s(ioc);
    s.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::connection, "Upgrade");
    req.set(http::field::upgrade, "websocket");
    req.set(http::field::sec_websocket_version, "13");
    req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
    if (!bearer.empty()) req.set(http::field::authorization, "Bearer " + bearer);
    http::write(s, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    return res.result_int();
  }

  // The next message, or an exception after 5 s without one.
  json next() {
    boost::beast::flat_buffer buf;
    bool done = false;
    boost::system::error_code error;
    ws.async_read(buf, [&](boost::system::error_code ec, size_t) {
      done = true;
      error = ec;
    });
    ioc.restart();
    ioc.run_for(std::chrono::seconds(5));
    if (!done) throw std::runtime_error("no event within 5 s");
    if (error) throw boost::system::system_error(error);
    return json::parse(boost::beast::buffers_to_string(buf.data()));
  }
};

TEST_F(ApiTest, EventsWebSocketStreamsLiveUplinksAndRejections) {
  start();
  ASSERT_EQ(call("POST", "/devices/door/interfaces", doorInterface()).status, 200u);
  WsClient none(daemon->apiPort(), "/events");
  EXPECT_EQ(none.handshakeStatus, 401u);
  WsClient bad(daemon->apiPort(), "/events?access_token=nope");
  EXPECT_EQ(bad.handshakeStatus, 401u);
  WsClient unknown(daemon->apiPort(), "/events?device=nobody", kNs);
  EXPECT_EQ(unknown.handshakeStatus, 404u);
  WsClient all(daemon->apiPort(), std::string("/events?access_token=") + kNs);
  ASSERT_EQ(all.handshakeStatus, 101u);
  WsClient door(daemon->apiPort(), "/events?device=DOOR",
                kAdmin);  // any device name, case-insensitive
  ASSERT_EQ(door.handshakeStatus, 101u);
  uplink(kCellar, 1, 1);
  uplink(kDoor, 1, 2);
  // The same counter with other bytes: a replay, rejected and reported as an error event.
  ASSERT_TRUE(fwd->push(testsupport::pushBody(buildUplink(kDoor, 1, 1, {9, 9})), 3));
  auto e1 = all.next(), e2 = all.next(), e3 = all.next();
  EXPECT_EQ(e1["action"], "data");
  EXPECT_EQ(e1["payload"]["deviceIdOrSlug"], "cellar");
  EXPECT_EQ(e1["payload"]["fCnt"], 1);
  EXPECT_EQ(e2["action"], "data");
  EXPECT_EQ(e2["payload"]["deviceIdOrSlug"], "door");
  EXPECT_EQ(e3["action"], "error");
  EXPECT_EQ(e3["payload"]["reason"], "replay");
  EXPECT_EQ(e3["payload"]["deviceIdOrSlug"], "door");
  // The filtered client saw only door's.
  auto d1 = door.next(), d2 = door.next();
  EXPECT_EQ(d1["payload"]["deviceIdOrSlug"], "door");
  EXPECT_EQ(d1["action"], "data");
  EXPECT_EQ(d2["action"], "error");
  // An OTAA device created through the API joins at once; the join is an event too.
  ASSERT_EQ(call("POST", "/devices/tracker/interfaces",
                 R"({"interface":{"opts":{"device_type":"otaa","device_eui":"00AFEE7CF5ED6F1E",)"
                 R"("eui":"70B3D57ED00000DC","device_key":"B6B53F4A168A7A88BDF7EA135CE9CFCA"}}})")
                .status,
            200u);
  ASSERT_TRUE(fwd->pull(9));
  const auto appKey = lorawan::Aes128Key::parse("B6B53F4A168A7A88BDF7EA135CE9CFCA").value();
  ASSERT_TRUE(fwd->push(
      testsupport::pushBody(testsupport::buildJoinRequest(
          appKey, lorawan::Eui64(0x70B3D57ED00000DC), lorawan::Eui64(0x00AFEE7CF5ED6F1E), 7)),
      10));
  auto j = all.next();
  EXPECT_EQ(j["action"], "join");
  EXPECT_EQ(j["payload"]["deviceIdOrSlug"], "tracker");
  EXPECT_TRUE(fwd->pullResp().has_value());  // the JoinAccept went out
  EXPECT_EQ(body(call("GET", "/devices/tracker"))["body"]["devAddr"].is_string(), true);
  // A JoinRequest signed with the wrong key is rejected, and that is an error event.
  const auto wrongKey = lorawan::Aes128Key::parse("00000000000000000000000000000001").value();
  ASSERT_TRUE(fwd->push(
      testsupport::pushBody(testsupport::buildJoinRequest(
          wrongKey, lorawan::Eui64(0x70B3D57ED00000DC), lorawan::Eui64(0x00AFEE7CF5ED6F1E), 8)),
      11));
  auto rejected = all.next();
  EXPECT_EQ(rejected["action"], "error");
  EXPECT_EQ(rejected["payload"]["type"], "join_rejected");
  EXPECT_EQ(rejected["payload"]["reason"], "bad_mic");
  EXPECT_EQ(rejected["payload"]["deviceIdOrSlug"], "tracker");
}

}  // namespace
