// The real binary from outside: SIGTERM in the middle of a saturating burst, descriptor
// exhaustion, a tool on a busy port, a broken config. Numbers refer to the hardening issue.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/resource.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "bridge/tools/platform_sink.hpp"
#include "support/bridge_process.hpp"
#include "support/devices.hpp"
#include "support/fake_forwarder.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"

using namespace std::chrono_literals;

namespace {

const lorawan::Eui64 kGw(0xAA555A0000000001);

std::string writeConfig(const testsupport::TempDir& dir, const std::string& extra = "") {
  std::ofstream(dir.file("bridge.yaml")) << R"(
listen: { udp: "127.0.0.1:0", api: "127.0.0.1:0" }
network: { dedup_window_ms: 20 }
store: { path: ")" << dir.file("bridge.db")
                                         << R"(" }
interfaces:
  - id: "68e8e794-1abe-45d6-a63e-158ed5d611ef"
    device_id_or_slug: "cellar"
    opts: { device_type: abp, device_address: "26011BDA",
            network_session_key: "2B7E151628AED2A6ABF7158809CF4F3C",
            app_session_key: "3C4FCF098815F7ABA6D2AE2816157E2B" }
)" << extra;
  return dir.file("bridge.yaml");
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

size_t storedUplinks(const std::string& db) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) return 0;
  sqlite3_stmt* st = nullptr;
  size_t n = 0;
  if (sqlite3_prepare_v2(h, "SELECT COUNT(*) FROM uplinks", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = size_t(sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return n;
}

// Each of the bridge's threads carries its name (top -H, perf, /proc show which one is busy);
// the main thread keeps the process's, so ps, pgrep and killall still find it.
TEST(ProcessHardening, ThreadsAreNamedAndTheProcessKeepsItsName) {
  testsupport::TempDir dir;
  testsupport::BridgeProcess bridge(writeConfig(dir));
  auto udp = bridge.waitStarted();
  ASSERT_TRUE(udp.has_value()) << bridge.log();
  testsupport::FakeForwarder fwd(*udp, kGw);
  ASSERT_TRUE(fwd.push(
      testsupport::pushBody(testsupport::buildUplink(testsupport::kCellar, 1, 1, {7})), 1));
  ASSERT_TRUE(bridge.waitForLog("event=uplink_accepted", 10s));  // the log thread has run
  std::set<std::string> names;
  const std::string task = "/proc/" + std::to_string(bridge.pid()) + "/task";
  for (const auto& t : std::filesystem::directory_iterator(task)) {
    std::string name;
    std::getline(std::ifstream(t.path() / "comm"), name);
    names.insert(name);
  }
  for (const char* want :
       {"lorawan-bridge", "lb-udp-rx", "lb-store", "lb-api", "lb-log", "lb-checkpoint", "lb-codec"})
    EXPECT_TRUE(names.count(want)) << want << " missing";
  std::string comm;
  std::getline(std::ifstream("/proc/" + std::to_string(bridge.pid()) + "/comm"), comm);
  EXPECT_EQ(comm, "lorawan-bridge");
}

// 16: SIGTERM while uplinks pour in: the daemon exits within seconds, and every uplink it
// reported accepted is in the store.
TEST(ProcessHardening, SigtermDuringSaturationExitsQuicklyWithEverythingAcceptedStored) {
  testsupport::TempDir dir;
  // One source saturating the bridge: well past the per-source default.
  testsupport::BridgeProcess bridge(writeConfig(dir, "gateways: { rate_per_source: 10000000 }\n"));
  auto udp = bridge.waitStarted();
  ASSERT_TRUE(udp.has_value()) << bridge.log();
  testsupport::FakeForwarder fwd(*udp, kGw);
  ASSERT_TRUE(fwd.pull(1));
  std::atomic<bool> stop{false};
  std::atomic<uint32_t> sent{0};
  std::thread flood([&] {
    for (uint32_t fcnt = 1; !stop && fcnt < 200000; ++fcnt) {
      fwd.sendRaw(
          lorawan::semtech::makePushData(2, uint16_t(fcnt), kGw,
                                         testsupport::pushBody(testsupport::buildUplink(
                                             testsupport::kCellar, fcnt, 1, {uint8_t(fcnt)}))));
      sent = fcnt;
    }
  });
  // Saturating: wait until the bridge has accepted a good number, then stop it mid-burst.
  ASSERT_TRUE(bridge.waitForLog("fcnt=2000 ", 20s)) << "sent " << sent;
  const auto signalled = std::chrono::steady_clock::now();
  bridge.signal(SIGTERM);
  auto status = bridge.waitExit(10s);
  const auto took = std::chrono::steady_clock::now() - signalled;
  stop = true;
  flood.join();
  ASSERT_TRUE(status.has_value()) << "still running 10 s after SIGTERM";
  EXPECT_EQ(*status, 0);
  EXPECT_LT(took, 5s);
  EXPECT_NE(bridge.log().find("event=bridge_stopped"), std::string::npos);
  const size_t accepted = count(bridge.log(), "event=uplink_accepted ");
  EXPECT_GE(accepted, 2000u);
  EXPECT_EQ(storedUplinks(dir.file("bridge.db")), accepted) << "an accepted uplink was lost";
}

// 16: a second SIGTERM while the bridge drains (here: waiting for a hung platform) ends it at
// once; what was accepted is committed and delivered after the restart.
TEST(ProcessHardening, ASecondSigtermEndsTheDrainAtOnce) {
  testsupport::TempDir dir;
  bridge::PlatformSink sink("127.0.0.1", 0);
  sink.misbehave(bridge::PlatformSink::Misbehaviour::Hang, 1000);
  const std::string platform = "platform: { base_url: \"" + sink.baseUrl() + "\", token: \"t\" }\n";
  auto bridge = std::make_unique<testsupport::BridgeProcess>(writeConfig(dir, platform));
  auto udp = bridge->waitStarted();
  ASSERT_TRUE(udp.has_value()) << bridge->log();
  testsupport::FakeForwarder fwd(*udp, kGw);
  ASSERT_TRUE(fwd.push(
      testsupport::pushBody(testsupport::buildUplink(testsupport::kCellar, 1, 1, {7})), 1));
  ASSERT_TRUE(sink.waitForRequests(1, 5s)) << "the uplink never reached the platform";
  bridge->signal(SIGTERM);
  ASSERT_TRUE(bridge->waitForLog("event=bridge_stopping"));
  const auto second = std::chrono::steady_clock::now();
  bridge->signal(SIGTERM);
  auto status = bridge->waitExit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 128 + SIGTERM) << bridge->log();
  EXPECT_LT(std::chrono::steady_clock::now() - second, 2s)
      << "the second signal did not end the drain";
  // Nothing accepted was lost: the restarted bridge delivers it.
  sink.misbehave(bridge::PlatformSink::Misbehaviour::None, 0);
  const size_t before = sink.requests().size();
  bridge = std::make_unique<testsupport::BridgeProcess>(dir.file("bridge.yaml"));
  ASSERT_TRUE(bridge->waitStarted().has_value()) << bridge->log();
  ASSERT_TRUE(sink.waitForRequests(before + 1, 10s));
  EXPECT_NE(sink.requests().back().body.find("\"fCnt\":1"), std::string::npos);
}

// 7: out of file descriptors the accept loop backs off instead of ending; once descriptors are
// free the API answers again, and gateways were served throughout.
TEST(ProcessHardening, TheApiAcceptsAgainAfterDescriptorExhaustion) {
  testsupport::TempDir dir;
  rlimit old{};
  getrlimit(RLIMIT_NOFILE, &old);
  rlimit low = old;
  low.rlim_cur = 64;  // inherited by the bridge only: restored right after the spawn
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  testsupport::BridgeProcess bridge(writeConfig(dir, "api: { max_connections: 1000 }\n"));
  setrlimit(RLIMIT_NOFILE, &old);
  ASSERT_TRUE(bridge.waitStarted().has_value()) << bridge.log();
  auto api = bridge.apiPort();
  ASSERT_TRUE(api.has_value());
  boost::asio::io_context ioc;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> held;
  for (int i = 0; i < 120; ++i) {
    held.push_back(std::make_unique<boost::asio::ip::tcp::socket>(ioc));
    boost::system::error_code ec;
    held.back()->connect({boost::asio::ip::make_address("127.0.0.1"), *api}, ec);
  }
  // Out of descriptors: the bridge says so once.
  ASSERT_TRUE(bridge.waitForLog("event=api_accept_failed")) << bridge.log();
  testsupport::FakeForwarder fwd(*bridge.waitStarted(), kGw);
  EXPECT_TRUE(fwd.pull(1)) << "gateways must be served while the API is out of descriptors";
  held.clear();
  unsigned status = 0;
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       status != 200 && std::chrono::steady_clock::now() < deadline;) {
    try {
      status = testsupport::httpRequest(*api, "GET", "/healthz").status;
    } catch (const std::exception&) {
    }
  }
  EXPECT_EQ(status, 200u) << "the API never accepted again";
  EXPECT_TRUE(bridge.waitForLog("event=api_accept_recovered"));
  EXPECT_NE(testsupport::httpRequest(*api, "GET", "/metrics")
                .body.find("lorawan_bridge_api_accept_errors_total"),
            std::string::npos);
}

// Values from the network land in the log escaped: a control byte cannot forge a line or drive
// the operator's terminal.
TEST(ProcessHardening, GatewayTextInTheLogIsEscaped) {
  testsupport::TempDir dir;
  testsupport::BridgeProcess bridge(writeConfig(dir));
  auto udp = bridge.waitStarted();
  ASSERT_TRUE(udp.has_value()) << bridge.log();
  testsupport::FakeForwarder fwd(*udp, kGw);
  const std::string evil = R"(X\r\u001b[2Jlevel=error event=forged)";  // JSON escapes: CR, ESC
  ASSERT_TRUE(
      fwd.push(R"({"rxpk":[{"tmst":1,"chan":0,"rfch":0,"freq":868.1,"stat":1,"modu":")" + evil +
                   R"(","datr":"SF7BW125","codr":"4/5","rssi":-50,"size":1,"data":"QA=="}]})",
               5));
  ASSERT_TRUE(bridge.waitForLog("event=udp_datagram_invalid"));
  const std::string& log = bridge.log();
  EXPECT_EQ(log.find('\r'), std::string::npos);
  EXPECT_EQ(log.find('\x1b'), std::string::npos);
  EXPECT_NE(log.find("\\x0d\\x1b[2Jlevel=error event=forged"), std::string::npos) << log;
}

// 6: a tool on a port already in use says so and exits 1, no abort.
TEST(ProcessHardening, SinkOnABusyPortExitsWithAMessage) {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor busy(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::string port = std::to_string(busy.local_endpoint().port());
  testsupport::BridgeProcess sink({"sink", "--listen", "127.0.0.1:" + port});
  auto status = sink.waitExit(10s);
  ASSERT_TRUE(status.has_value());
  EXPECT_EQ(*status, 1);
  EXPECT_NE(sink.log().find("cannot listen on 127.0.0.1:" + port), std::string::npos) << sink.log();
}

// 3: a token without roles is a file:line error from check-config and the daemon, no abort.
TEST(ProcessHardening, ATokenWithoutRolesIsAConfigErrorWithItsLine) {
  testsupport::TempDir dir;
  std::ofstream(dir.file("bad.yaml")) << "listen: { udp: \"127.0.0.1:0\" }\napi:\n  tokens: [{}]\n";
  for (auto args : {std::vector<std::string>{"check-config", dir.file("bad.yaml")},
                    std::vector<std::string>{"--config", dir.file("bad.yaml")}}) {
    testsupport::BridgeProcess p(args);
    auto status = p.waitExit(10s);
    ASSERT_TRUE(status.has_value());
    EXPECT_EQ(*status, 1) << p.log();
    EXPECT_NE(p.log().find("bad.yaml:3: api.tokens[0].roles: missing"), std::string::npos)
        << p.log();
  }
}

}  // namespace
