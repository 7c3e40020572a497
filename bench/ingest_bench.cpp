// Ingest path micro-benchmarks: a PUSH_DATA datagram in -> verified, decrypted uplink out.
// Run: build/bench_ingest --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>

#include "bridge/core/log.hpp"
#include "bridge/network/uplink_pipeline.hpp"
#include "bridge/store/sqlite_store.hpp"
#include "codecs/codec.hpp"
#include "lorawan/phy_payload.hpp"
#include "lorawan/security.hpp"
#include "lorawan/semtech_udp.hpp"
#include "support/frames.hpp"

using namespace bridge;
using lorawan::Bytes;

namespace {

constexpr int kDevices = 1000;
constexpr int kFramesPerDevice = 200;
constexpr int kIterations = kDevices * kFramesPerDevice;

struct Fixture {
  std::vector<config::Interface> interfaces;
  std::vector<Bytes> datagrams;  // device-interleaved, counters increasing

  Fixture() {
    std::vector<testsupport::AbpDevice> devs;
    for (int d = 0; d < kDevices; ++d) {
      std::array<uint8_t, 16> k{};
      k[0] = uint8_t(d), k[1] = uint8_t(d >> 8), k[15] = 0x5A;
      testsupport::AbpDevice dev{lorawan::DevAddr(0x26000000u + uint32_t(d)), lorawan::Aes128Key(k),
                                 lorawan::Aes128Key(k)};
      config::Interface i;
      i.id = "itf-" + std::to_string(d);
      i.deviceIdOrSlug = "dev-" + std::to_string(d);
      i.opts.deviceAddress = dev.devAddr;
      i.opts.networkSessionKey = dev.nwkSKey;
      i.opts.appSessionKey = dev.appSKey;
      interfaces.push_back(i);
      devs.push_back(dev);
    }
    Bytes payload(12, 0x42);  // a typical sensor reading
    for (int f = 1; f <= kFramesPerDevice; ++f)
      for (int d = 0; d < kDevices; ++d) {
        Bytes phy = testsupport::buildUplink(devs[size_t(d)], uint32_t(f), 1, payload);
        datagrams.push_back(
            lorawan::semtech::makePushData(2, uint16_t(f), lorawan::Eui64(0xAA555A0000000001),
                                           testsupport::pushBody(phy, uint32_t(f) * 1000)));
      }
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

// A store that keeps nothing: the pipeline's own cost.
class NullStore final : public Store {
 public:
  std::optional<FCntState> loadFCnt(const std::string&) override { return std::nullopt; }
  std::unordered_map<std::string, FCntState> allFCnt() override { return {}; }
  void saveFCnt(const std::string&, const FCntState&) override {}
  void recordUplink(StoredUplink) override {}
  void flush() override {}
  std::vector<StoredUplink> recentUplinks(const std::string&, size_t) override { return {}; }
  void enqueueDownlink(const QueuedDownlink&) override {}
  std::vector<QueuedDownlink> pendingDownlinks(const std::string&) override { return {}; }
  std::vector<QueuedDownlink> allPendingDownlinks() override { return {}; }
  void updateDownlink(const QueuedDownlink&) override {}
  bool hasPlatformDownlink(const std::string&, const std::string&) override { return false; }
  void saveApiInterface(const std::string&, const std::string&) override {}
  std::vector<QueuedDownlink> listDownlinks(const std::string&, size_t) override { return {}; }
  UplinkPage queryUplinks(const std::string&, int64_t, int64_t, size_t, size_t, bool) override {
    return {};
  }
  std::vector<std::pair<std::string, std::string>> loadApiInterfaces() override { return {}; }
  void enqueueOutbox(OutboxEntry) override {}
  std::vector<OutboxEntry> loadOutbox() override { return {}; }
  std::pair<size_t, size_t> outboxSize() const override { return {0, 0}; }
  void completeOutbox(const std::string&) override {}
  void deadLetter(const std::string&, unsigned, const std::string&, int64_t) override {}
  std::vector<DeadLetter> deadLetters() override { return {}; }
  std::optional<OutboxEntry> retryDeadLetter(const std::string&) override { return std::nullopt; }
  std::optional<SessionRecord> loadSession(const std::string&) override { return std::nullopt; }
  OtaaState loadOtaa(lorawan::Eui64) override { return {}; }
  std::vector<std::pair<lorawan::Eui64, OtaaState>> allOtaa() override { return {}; }
  void commitJoin(const std::string&, lorawan::Eui64, const OtaaState&,
                  const SessionRecord&) override {}
};

void runIngest(benchmark::State& state, Store& store, bool outbox = false) {
  Fixture& fx = fixture();
  // state.range(0): 1 = one info log line per accepted uplink (production default), 0 = off.
  bridge::log::setLevel(state.range(0) ? bridge::log::Level::Info : bridge::log::Level::Warn);
  Metrics metrics;
  SessionRegistry sessions;
  sessions.load(fx.interfaces, store);
  size_t emitted = 0;
  PipelineSettings ps;
  ps.dedupWindow = std::chrono::milliseconds(200);
  ps.lateCopyMemory = std::chrono::milliseconds(60000);
  UplinkPipeline pipeline(
      ps, sessions, store, store, metrics, [&](const Uplink&, const std::string&) { ++emitted; },
      [] { return int64_t(0); });
  if (outbox)  // as the daemon does with a platform: the event joins the outbox in the same commit
    pipeline.setBeforeCommit([&store](const Uplink& u, const std::string& json) {
      store.enqueueOutbox({u.id, u.deviceIdOrSlug, "/devices/" + u.deviceIdOrSlug + "/data", json});
    });
  auto now = UplinkPipeline::Clock::now();
  lorawan::semtech::PushDataParser parser;
  size_t i = 0;
  for (auto _ : state) {
    const Bytes& d = fx.datagrams[i++];
    auto dg = lorawan::semtech::parseDatagram(d);
    auto pd = parser.parse(dg->json);
    for (auto& rx : pd->rxpk) pipeline.onRxPacket(*dg->gatewayEui, std::move(*rx), now);
    // Simulated time: 1 us per datagram; windows close (and commit) as they fall due.
    now += std::chrono::microseconds(1);
    if ((i & 1023) == 0) pipeline.closeDue(now);
  }
  pipeline.closeDue(UplinkPipeline::Clock::time_point::max());
  if (emitted != size_t(state.iterations())) state.SkipWithError("not every uplink was accepted");
  state.SetItemsProcessed(int64_t(state.iterations()));
}

void BM_IngestNullStore(benchmark::State& state) {
  NullStore store;
  runIngest(state, store);
}
BENCHMARK(BM_IngestNullStore)
    ->Arg(0)
    ->Arg(1)
    ->Iterations(kIterations)
    ->Unit(benchmark::kMicrosecond);

void BM_IngestSqliteStore(benchmark::State& state) {
  auto path =
      std::filesystem::temp_directory_path() / ("lb-bench-" + std::to_string(::getpid()) + ".db");
  {
    auto store = SqliteStore::open(path.string()).value();
    runIngest(state, *store);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}
BENCHMARK(BM_IngestSqliteStore)
    ->Arg(0)
    ->Arg(1)
    ->Iterations(kIterations)
    ->Unit(benchmark::kMicrosecond);

// The same with the durable outbox on (every accepted uplink's event written in the group commit).
void BM_IngestSqliteOutbox(benchmark::State& state) {
  auto path = std::filesystem::temp_directory_path() /
              ("lb-bench-outbox-" + std::to_string(::getpid()) + ".db");
  {
    auto store = SqliteStore::open(path.string()).value();
    runIngest(state, *store, true);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
}
BENCHMARK(BM_IngestSqliteOutbox)->Arg(1)->Iterations(kIterations)->Unit(benchmark::kMicrosecond);

// The parts, to see where the time goes.
void BM_ParsePushData(benchmark::State& state) {
  const Bytes& d = fixture().datagrams[0];
  lorawan::semtech::PushDataParser parser;
  for (auto _ : state) {
    auto dg = lorawan::semtech::parseDatagram(d);
    auto pd = parser.parse(dg->json);
    benchmark::DoNotOptimize(pd);
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_ParsePushData);

void BM_MicAndDecrypt(benchmark::State& state) {
  testsupport::AbpDevice dev{lorawan::DevAddr(0x26011BDA), lorawan::Aes128Key(),
                             lorawan::Aes128Key()};
  Bytes phy = testsupport::buildUplink(dev, 7, 1, Bytes(12, 0x42));
  for (auto _ : state) {
    auto p = lorawan::parsePhyPayload(phy);
    auto mic = lorawan::dataMic10(dev.nwkSKey, lorawan::Direction::Uplink, dev.devAddr, 7,
                                  lorawan::micInput(phy));
    auto plain = lorawan::cryptFrmPayload(dev.appSKey, lorawan::Direction::Uplink, dev.devAddr, 7,
                                          std::get<lorawan::MacPayload>(p->payload).frmPayload);
    benchmark::DoNotOptimize(mic);
    benchmark::DoNotOptimize(plain);
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_MicAndDecrypt);

}  // namespace

// A typical vendor codec (modern JavaScript, TS013) called through the bridge's codec interface.
void BM_JsDecodeUplink(benchmark::State& state) {
  auto codec = codecs::loadJsCodec(std::string(LB_FIXTURES_DIR) + "/codecs/js/modern_decoder.js",
                                   std::chrono::milliseconds(100), 32u << 20);
  if (!codec) {
    state.SkipWithError(codec.error().c_str());
    return;
  }
  Bytes payload{0x00, 0xd7};
  for (auto _ : state) {
    auto r = (*codec)->decodeUplink({payload, 1, 1700000000000});
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_JsDecodeUplink);

void BM_CayenneLppDecode(benchmark::State& state) {
  auto codec = codecs::makeCayenneLppCodec("arduino", "tts");
  Bytes payload = lorawan::fromHex("0167ffd7067104d2fb2e0000").value();
  for (auto _ : state) {
    auto r = codec->decodeUplink({payload, 1, 0});
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_CayenneLppDecode);

BENCHMARK_MAIN();
