// Join latency over loopback: a fake packet forwarder sends JoinRequests at a fixed rate to the
// real daemon and times each one until its PULL_RESP (the JoinAccept) comes back.
// Run: build/join_latency [joins=2000] [rate_per_s=1000]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <unordered_map>

#include "bridge/app/daemon.hpp"
#include "bridge/core/log.hpp"
#include "lorawan/semtech_udp.hpp"
#include "support/fake_forwarder.hpp"
#include "support/frames.hpp"

using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const int joins = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int rate = argc > 2 ? std::atoi(argv[2]) : 1000;
  bridge::log::setLevel(bridge::log::Level::Warn);
  auto dir =
      std::filesystem::temp_directory_path() / ("lb-join-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto appKey = lorawan::Aes128Key::parse("B6B53F4A168A7A88BDF7EA135CE9CFCA").value();
  config::Config cfg;
  cfg.udpListen = {"127.0.0.1", 0};
  cfg.apiListen = {"127.0.0.1", 0};
  cfg.storePath = (dir / "bench.db").string();
  for (int i = 0; i < joins; ++i) {
    config::Interface o;
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-4000-8000-%012d", i);
    o.id = id;
    o.deviceIdOrSlug = "node-" + std::to_string(i);
    o.opts.deviceType = config::DeviceType::Otaa;
    o.opts.deviceEui = lorawan::Eui64(0x0100000000000000ull + uint64_t(i));
    o.opts.joinEui = lorawan::Eui64(1);
    o.opts.deviceKey = appKey;
    cfg.interfaces.push_back(o);
  }
  auto d = bridge::Daemon::create(cfg);
  if (!d) {
    std::fprintf(stderr, "%s\n", d.error().c_str());
    return 1;
  }
  (*d)->start();
  testsupport::FakeForwarder fwd((*d)->udpPort(), lorawan::Eui64(0xAA555A0000000001));
  fwd.pull(1);
  std::vector<lorawan::Bytes> datagrams;
  for (int i = 0; i < joins; ++i) {
    auto jr = testsupport::buildJoinRequest(appKey, lorawan::Eui64(1),
                                            lorawan::Eui64(0x0100000000000000ull + uint64_t(i)), 1);
    // tmst carries the index, so the JoinAccept's tmst tells which request it answers.
    datagrams.push_back(
        lorawan::semtech::makePushData(2, uint16_t(i), lorawan::Eui64(0xAA555A0000000001),
                                       testsupport::pushBody(jr, uint32_t(i) * 10)));
  }
  std::vector<Clock::time_point> sentAt(static_cast<size_t>(joins)),
      gotAt(static_cast<size_t>(joins));
  std::atomic<int> received{0};
  std::thread rx([&] {
    while (received < joins) {
      auto r = fwd.receive();
      if (!r) break;
      if (r->size() > 4 && (*r)[3] == 0x03) {
        std::string body(r->begin() + 4, r->end());
        auto p = body.find("\"tmst\":");
        uint64_t tmst = std::stoull(body.substr(p + 7));
        size_t idx = size_t((tmst - 5000000) / 10);
        if (idx < gotAt.size()) gotAt[idx] = Clock::now();
        ++received;
      }
    }
  });
  const auto interval = std::chrono::nanoseconds(1000000000LL / rate);
  auto next = Clock::now();
  for (int i = 0; i < joins; ++i) {
    std::this_thread::sleep_until(next);  // pacing the offered load, not for correctness
    sentAt[size_t(i)] = Clock::now();
    fwd.sendRaw(datagrams[size_t(i)]);
    next += interval;
  }
  rx.join();
  (*d)->stop();
  std::vector<double> us;
  for (int i = 0; i < joins; ++i)
    if (gotAt[size_t(i)] != Clock::time_point{})
      us.push_back(
          std::chrono::duration<double, std::micro>(gotAt[size_t(i)] - sentAt[size_t(i)]).count());
  std::sort(us.begin(), us.end());
  auto pct = [&](double q) {
    return us.empty() ? 0.0 : us[std::min(us.size() - 1, size_t(q * double(us.size())))];
  };
  std::printf(
      "join request -> PULL_RESP over loopback: %zu/%d answered at %d/s: median %.0f us, p99 %.0f "
      "us, max %.0f us\n",
      us.size(), joins, rate, pct(0.5), pct(0.99), us.empty() ? 0.0 : us.back());
  std::filesystem::remove_all(dir);
  return us.size() == size_t(joins) ? 0 : 1;
}
