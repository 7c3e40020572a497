// JavaScript codecs on SpiderMonkey: the conventions real codecs use, and every way one can fail.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "codecs/codec.hpp"
#include "support/fixtures.hpp"

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

std::unique_ptr<codecs::Codec> load(const std::string& name,
                                    std::chrono::milliseconds timeout = 100ms,
                                    uint32_t memory = 16u << 20) {
  auto c = codecs::loadJsCodec(testsupport::fixturePath("codecs/js/" + name), timeout, memory);
  EXPECT_TRUE(c.has_value()) << (c ? "" : c.error());
  return c ? std::move(*c) : nullptr;
}

codecs::DecodeResult decode(const codecs::Codec& c, const std::string& hex, uint8_t port = 1) {
  auto b = testsupport::hex(hex);
  return c.decodeUplink({b, port, 1700000000000});
}

TEST(JsCodec, Es5WithImplicitGlobalsAndWarnings) {
  auto c = load("es5_decoder.js");
  auto r = decode(*c, "00d71e");
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  EXPECT_EQ(json::parse(*r.dataJson), json::parse(R"({"temperature":21.5,"battery":3})"));
  auto low = decode(*c, "ff0a14");
  EXPECT_EQ(json::parse(*low.dataJson)["temperature"], -24.6);
  ASSERT_EQ(low.warnings.size(), 1u);
  EXPECT_EQ(low.warnings[0], "low battery");
}

TEST(JsCodec, ModernJavaScriptAndEncodeDownlink) {
  auto c = load("modern_decoder.js");
  auto r = decode(*c, "00d7", 7);
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  EXPECT_EQ(json::parse(*r.dataJson),
            json::parse(R"({"port":7,"year":2023,"readings":["temperature=21.5C"]})"));
  auto e = c->encodeDownlink(R"({"interval":600})", 1);
  ASSERT_TRUE(e.errors.empty()) << e.errors[0];
  EXPECT_EQ(lorawan::toHex(e.bytes), "0258");
  EXPECT_EQ(e.fPort, 10);
}

TEST(JsCodec, LegacyAndChirpStackConventions) {
  auto legacy = load("legacy_decoder.js");
  auto r = decode(*legacy, "0102", 1);
  EXPECT_EQ(json::parse(*r.dataJson), json::parse(R"({"counter":258})"));
  auto e = legacy->encodeDownlink(R"({"led":true})", 3);
  EXPECT_EQ(lorawan::toHex(e.bytes), "01");
  EXPECT_EQ(e.fPort, 3);
  auto cs = load("chirpstack_v3.js");
  auto r2 = decode(*cs, "abcd", 9);
  EXPECT_EQ(json::parse(*r2.dataJson), json::parse(R"({"port":9,"first":171,"hex":"abcd"})"));
}

TEST(JsCodec, VariablesReachTheCodec) {
  auto c = load("variables.js");
  auto b = testsupport::hex("05");
  codecs::UplinkInput in{b, 1, 0, R"({"offset":"10","site":"cellar"})"};
  auto r = c->decodeUplink(in);
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  EXPECT_EQ(json::parse(*r.dataJson), json::parse(R"({"offset":15,"site":"cellar"})"));
  std::string bin = LB_BINARY;
  EXPECT_EQ(std::system((bin + " codec run --codec " +
                         testsupport::fixturePath("codecs/js/variables.js") +
                         " --fport 1 --hex 05 --var offset=1 | grep -q '\"offset\": 6'")
                            .c_str()),
            0);
}

TEST(JsCodec, InfiniteLoopIsStoppedAndTheNextCallWorks) {
  auto c = load("infinite_loop.js", 50ms);
  auto start = std::chrono::steady_clock::now();
  auto r = decode(*c, "00");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_FALSE(r.dataJson.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("time limit of 50 ms exceeded"), std::string::npos);
  auto again = decode(*c, "00");  // a rebuilt context, the same verdict, no crash
  EXPECT_NE(again.errors[0].find("time limit"), std::string::npos);
  auto fine = load("es5_decoder.js");
  EXPECT_TRUE(decode(*fine, "00d71e").errors.empty());
}

TEST(JsCodec, MemoryBombIsBounded) {
  auto c = load("memory_bomb.js", 5000ms);
  auto start = std::chrono::steady_clock::now();
  auto r = decode(*c, "00");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);  // stopped by memory, not by time
  EXPECT_FALSE(r.dataJson.has_value());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("memory limit of 16 MiB exceeded"), std::string::npos) << r.errors[0];
  auto fine = load("es5_decoder.js");
  EXPECT_TRUE(decode(*fine, "00d71e").errors.empty());
}

TEST(JsCodec, ThrowsAndGarbageBecomeErrors) {
  auto t = load("throws.js");
  auto r = decode(*t, "0102");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find("payload too short: 2"), std::string::npos);
  auto g = load("garbage.js");
  auto r2 = decode(*g, "01");
  ASSERT_EQ(r2.errors.size(), 1u);
  EXPECT_NE(r2.errors[0].find("returned number, want an object with data"), std::string::npos);
}

TEST(JsCodec, LoadErrorsNameTheFile) {
  auto bad =
      codecs::loadJsCodec(testsupport::fixturePath("codecs/js/syntax_error.js"), 100ms, 16u << 20);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().find("syntax_error.js"), std::string::npos);
  EXPECT_NE(bad.error().find("SyntaxError"), std::string::npos) << bad.error();
  EXPECT_FALSE(codecs::loadJsCodec("/nonexistent.js", 100ms, 16u << 20).has_value());
}

TEST(DeviceRepository, RunsTheExamplesOfACodecDefinition) {
  std::ostringstream out;
  EXPECT_EQ(codecs::runDeviceRepositoryTest(
                testsupport::fixturePath("codecs/ttn_repo/thermo-codec.yaml"), out),
            0)
      << out.str();
  EXPECT_NE(out.str().find("5 passed, 0 failed"), std::string::npos) << out.str();
  std::ostringstream wrong;
  EXPECT_EQ(codecs::runDeviceRepositoryTest(
                testsupport::fixturePath("codecs/ttn_repo/thermo-codec-wrong.yaml"), wrong),
            1);
  EXPECT_NE(wrong.str().find("FAIL uplinkDecoder example 1: 21.5 degrees"), std::string::npos)
      << wrong.str();
  EXPECT_NE(wrong.str().find("4 passed, 1 failed"), std::string::npos);
  std::string bin = LB_BINARY;
  EXPECT_EQ(
      std::system((bin + " codec test " +
                   testsupport::fixturePath("codecs/ttn_repo/thermo-codec.yaml") + " >/dev/null")
                      .c_str()),
      0);
  EXPECT_NE(std::system((bin + " codec test " +
                         testsupport::fixturePath("codecs/ttn_repo/thermo-codec-wrong.yaml") +
                         " >/dev/null")
                            .c_str()),
            0);
}

}  // namespace

TEST(JsCodec, TheBridgesMachineryIsOutOfTheScriptsReach) {
  // JSON.stringify / JSON.parse replaced and a global named like a dispatcher: the bridge calls
  // decodeUplink and reads its result through the engine, so neither changes anything.
  auto c = load("hostile_globals.js");
  for (int i = 0; i < 2; ++i) {
    auto r = decode(*c, "2a");
    ASSERT_TRUE(r.errors.empty()) << r.errors[0];
    EXPECT_EQ(json::parse(*r.dataJson), json::parse(R"({"first":42})"));
  }
  auto v = c->decodeUplink({testsupport::hex("01"), 1, 0, R"({"k":"v"})"});
  EXPECT_TRUE(v.errors.empty()) << v.errors[0];  // variables parsed by the engine, not JSON.parse
}

TEST(JsCodec, ACodecStoppedByALimitIsRebuiltAloneTheOthersKeepTheirState) {
  auto stateful = load("stateful.js");
  for (int i = 1; i <= 3; ++i)
    EXPECT_EQ(json::parse(*decode(*stateful, "00").dataJson)["calls"], i);
  auto loop = load("infinite_loop.js", 30ms);
  EXPECT_NE(decode(*loop, "00").errors.at(0).find("time limit"), std::string::npos);
  auto bomb = load("memory_bomb.js", 5000ms);
  EXPECT_NE(decode(*bomb, "00").errors.at(0).find("memory limit"), std::string::npos);
  // Same thread, same engine: the stateful codec was not rebuilt.
  EXPECT_EQ(json::parse(*decode(*stateful, "00").dataJson)["calls"], 4);
}

TEST(JsCodec, TheMemoryLimitIsTheCodecsOwnAndFallsWhenItsMemoryIsFreed) {
  // 16 MiB for the codec. 0x10 units (~64 MiB held at once) is over it every time, not only the
  // first: the limit is what the codec's zone holds, not the process's peak.
  auto c = load("allocates.js", 5000ms, 16u << 20);
  for (int round = 0; round < 4; ++round) {
    auto big = decode(*c, "10");
    ASSERT_EQ(big.errors.size(), 1u) << "round " << round << ": " << big.dataJson.value_or("");
    EXPECT_NE(big.errors[0].find("memory limit of 16 MiB exceeded"), std::string::npos)
        << big.errors[0];
    auto small = decode(*c, "01");  // ~4 MiB: under the limit, also after a big one
    ASSERT_TRUE(small.errors.empty()) << "round " << round << ": " << small.errors[0];
    EXPECT_EQ(json::parse(*small.dataJson)["n"], 65536);
  }
}

TEST(JsCodec, AnEsModulesExportIsDropped) {
  auto c = load("esm_export.js");
  auto r = decode(*c, "00", 7);
  ASSERT_TRUE(r.errors.empty()) << r.errors[0];
  EXPECT_EQ(json::parse(*r.dataJson)["port"], 7);
}

TEST(DeviceRepository, TheWholeInputGoesInAndTheWholeOutputIsCompared) {
  std::ostringstream out;
  EXPECT_EQ(codecs::runDeviceRepositoryTest(
                testsupport::fixturePath("codecs/ttn_repo/switch-codec.yaml"), out),
            0)
      << out.str();
  EXPECT_NE(out.str().find("3 passed, 0 failed"), std::string::npos) << out.str();

  std::ostringstream wrong;
  EXPECT_EQ(codecs::runDeviceRepositoryTest(
                testsupport::fixturePath("codecs/ttn_repo/switch-wrong-codec.yaml"), wrong),
            2);
  EXPECT_NE(wrong.str().find("at data.state: want \"on\", got \"off\""), std::string::npos)
      << wrong.str();
  EXPECT_NE(wrong.str().find("switch_v2.js: no such file (is it switch.js?)"), std::string::npos)
      << wrong.str();
}

TEST(DeviceRepository, ADefinitionOfTheWrongShapeIsReportedNotACrash) {
  std::ostringstream out;
  EXPECT_EQ(codecs::runDeviceRepositoryTest(
                testsupport::fixturePath("codecs/ttn_repo/bad-shape-codec.yaml"), out),
            1);
  EXPECT_NE(out.str().find("not a codec definition of the expected shape"), std::string::npos)
      << out.str();
}

TEST(DeviceRepository, AFolderRunsEveryDefinitionAndReportsAsJson) {
  const std::string dir = testsupport::fixturePath("codecs/ttn_repo");
  std::ostringstream text;
  EXPECT_EQ(codecs::runDeviceRepositoryTest(dir, text), 4);  // codecs/ttn_repo only
  EXPECT_NE(text.str().find("5 definitions (3 with failures), 12 passed, 4 failed (75.0% passed)"),
            std::string::npos)
      << text.str();
  std::ostringstream js;
  codecs::runDeviceRepositoryTest(dir, js, true);
  const json r = json::parse(js.str());
  EXPECT_EQ(r["definitions"], 5);
  EXPECT_EQ(r["passed"], 12);
  EXPECT_EQ(r["failed"], 4);
  bool named = false;
  for (const auto& d : r["results"])
    for (const auto& f : d["failures"])
      if (f.value("at", "") == "data.state: want \"on\", got \"off\"") named = true;
  EXPECT_TRUE(named) << r.dump(2);
  std::string bin = LB_BINARY;
  EXPECT_NE(std::system((bin + " codec test " + dir + " --json >/dev/null").c_str()), 0);
  EXPECT_EQ(std::system((bin + " codec test /nonexistent 2>/dev/null").c_str()) >> 8, 2);
}

TEST(DeviceRepository, ACodecIsFoundByVendorAndModel) {
  const std::string repo = testsupport::fixturePath("codecs/device_repo");
  auto file = codecs::resolveDeviceRepositoryCodec(repo, "acme", "widget");
  ASSERT_TRUE(file.has_value()) << file.error();
  EXPECT_TRUE(file->ends_with("vendor/acme/widget.js")) << *file;
  // The vendor/ folder itself works as the path too.
  EXPECT_TRUE(codecs::resolveDeviceRepositoryCodec(repo + "/vendor", "acme", "widget").has_value());

  codecs::CodecSpec spec;
  spec.type = "device_repository";
  spec.file = repo;
  spec.vendor = "acme";
  spec.model = "widget";
  auto set = codecs::CodecSet::build(spec);
  ASSERT_TRUE(set.has_value()) << set.error();
  auto b = testsupport::hex("00fa");
  auto r = (*set)->decode({b, 2, 0});
  ASSERT_TRUE(r.dataJson.has_value());
  EXPECT_EQ(json::parse(*r.dataJson)["temperature"], 25);

  auto model = codecs::resolveDeviceRepositoryCodec(repo, "acme", "gizmo");
  ASSERT_FALSE(model.has_value());
  EXPECT_NE(model.error().find("no gizmo-codec.yaml or gizmo.yaml in"), std::string::npos)
      << model.error();
  auto vendor = codecs::resolveDeviceRepositoryCodec(repo, "nobody", "widget");
  ASSERT_FALSE(vendor.has_value());
  EXPECT_NE(vendor.error().find("no vendor folder"), std::string::npos) << vendor.error();
  auto js = codecs::resolveDeviceRepositoryCodec(repo, "acme", "broken");
  ASSERT_FALSE(js.has_value());
  EXPECT_NE(js.error().find("names broken.js, which is not in"), std::string::npos) << js.error();
}

TEST(JsCodec, ADestroyedCodecIsForgottenOnEveryWorkerThread) {
  // Interfaces reloaded with new codecs: the worker threads that ran the old ones drop their
  // globals and compiled scripts on their next call.
  auto a = load("stateful.js");
  auto b = load("es5_decoder.js");
  std::mutex m;
  std::condition_variable cv;
  int step = 0;
  size_t heldWithBoth = 0, heldAfter = 0;
  std::thread worker([&] {
    decode(*a, "00");
    decode(*b, "00d71e");
    heldWithBoth = codecs::jsScriptsHeldByThisThread();
    {
      std::unique_lock lock(m);
      step = 1;
      cv.notify_all();
      cv.wait(lock, [&] { return step == 2; });
    }
    EXPECT_TRUE(decode(*b, "00d71e").errors.empty());
    heldAfter = codecs::jsScriptsHeldByThisThread();
  });
  {
    std::unique_lock lock(m);
    cv.wait(lock, [&] { return step == 1; });
  }
  a.reset();
  {
    std::lock_guard lock(m);
    step = 2;
  }
  cv.notify_all();
  worker.join();
  EXPECT_EQ(heldWithBoth, 5u);  // two globals; the prelude's and two codecs' compiled scripts
  EXPECT_EQ(heldAfter, 3u);     // b's global, the prelude's and b's scripts
}
