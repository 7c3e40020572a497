// lorawan-bridge: the daemon and its tools.
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bridge/app/daemon.hpp"
#include "bridge/core/log.hpp"
#include "bridge/core/memory.hpp"
#include "bridge/http/blocking_client.hpp"
#include "bridge/tools/platform_sink.hpp"
#include "bridge/tools/replay.hpp"
#include "bridge/tools/simulate.hpp"
#include "codecs/codec.hpp"
#include "config/config.hpp"
#include "lorawan/types.hpp"

namespace {

const char* kUsage =
    "usage: lorawan-bridge --config FILE [--log-level debug|info|warn|error]\n"
    "       lorawan-bridge check-config FILE\n"
    "       lorawan-bridge replay --to HOST:PORT [--fast] CAPTURE.jsonl\n"
    "       lorawan-bridge sink --listen HOST:PORT [--status CODE] [--quiet]\n"
    "       lorawan-bridge simulate (--config FILE | --devices N [--seed S]) [--to HOST:PORT]\n"
    "                 [--gateways G] [--copies C] [--rxpk-per-datagram K] [--payload-size B]\n"
    "                 [--rate R | --window W] [--duration S] [--count N] [--fcnt-start F]\n"
    "                 [--ack-timeout MS] [--spread-sources] [--write-interfaces FILE]\n"
    "       lorawan-bridge deadletters (list | retry ID) [--api HOST:PORT] [--token T]\n"
    "       lorawan-bridge api METHOD PATH [BODY] [--api HOST:PORT] [--token T]\n"
    "       lorawan-bridge codec run (--type raw|cayenne_lpp [--variant arduino|ttn] [--style "
    "tts|chirpstack]\n"
    "                                 | --layout FILE.yaml) --fport N --hex BYTES\n"
    "\n"
    "  --config FILE   run the bridge (Semtech UDP in, platform REST out)\n"
    "  check-config    validate a configuration and exit 0 (valid) or 1 (errors on stderr)\n"
    "  replay          send a capture (JSON lines of PUSH_DATA) to a running bridge\n"
    "  sink            a platform double: prints every request it receives, answers CODE\n"
    "  simulate        play packet forwarders and devices against a bridge (a load test, or\n"
    "                  a check of a new install); exit 0 when every PUSH_DATA was answered\n"
    "  codec run       decode a payload offline and print {data, errors, warnings} as JSON\n"
    "  codec test      run the examples of TTN device-repository codec definitions (a file or a "
    "folder)\n"
    "  deadletters     list or retry events the platform rejected (via the management API)\n"
    "  api             one management API request, its JSON answer printed (token also from\n"
    "                  LORAWAN_BRIDGE_TOKEN); exit 0 on 2xx\n";

int simulate(const std::vector<std::string>& args) {
  bridge::SimulateOptions o;
  std::string configPath, writeTo;
  size_t generate = 0;
  uint32_t seed = 1;
  bool targetSet = false;
  auto number = [&](size_t& i) {
    if (i + 1 >= args.size()) throw std::runtime_error(args[i] + " needs a value");
    return std::stod(args[++i]);
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--config" && i + 1 < args.size()) {
      configPath = args[++i];
    } else if (a == "--to" && i + 1 < args.size()) {
      o.target = args[++i];
      targetSet = true;
    } else if (a == "--devices") {
      generate = size_t(number(i));
    } else if (a == "--seed") {
      seed = uint32_t(number(i));
    } else if (a == "--gateways") {
      o.gateways = unsigned(number(i));
    } else if (a == "--copies") {
      o.copies = unsigned(number(i));
    } else if (a == "--rxpk-per-datagram") {
      o.rxpkPerDatagram = unsigned(number(i));
    } else if (a == "--payload-size") {
      o.payloadBytes = size_t(number(i));
    } else if (a == "--rate") {
      o.rate = number(i);
    } else if (a == "--window") {
      o.window = unsigned(number(i));
    } else if (a == "--duration") {
      o.durationS = number(i);
    } else if (a == "--count") {
      o.count = uint64_t(number(i));
    } else if (a == "--fcnt-start") {
      o.fcntStart = uint32_t(number(i));
    } else if (a == "--ack-timeout") {
      o.ackTimeout = std::chrono::milliseconds(int64_t(number(i)));
    } else if (a == "--spread-sources") {
      o.spreadSources = true;
    } else if (a == "--write-interfaces" && i + 1 < args.size()) {
      writeTo = args[++i];
    } else {
      std::cerr << "simulate: unknown argument " << a << "\n" << kUsage;
      return 2;
    }
  }
  if (!configPath.empty()) {
    auto cfg = config::loadConfigFile(configPath);
    if (!cfg) {
      std::cerr << cfg.error() << "\n";
      return 1;
    }
    o.devices = bridge::devicesFromConfig(*cfg);
    if (!targetSet)  // where the bridge listens; a wildcard address is reached on loopback
      o.target = (cfg->udpListen.host == "0.0.0.0" ? "127.0.0.1" : cfg->udpListen.host) + ":" +
                 std::to_string(cfg->udpListen.port);
  }
  if (generate) {
    auto more = bridge::generateDevices(generate, seed);
    o.devices.insert(o.devices.end(), more.begin(), more.end());
  }
  if (!writeTo.empty()) {
    std::ofstream f(writeTo);
    const bool json = writeTo.size() > 5 && writeTo.ends_with(".json");
    f << (json ? bridge::interfacesJson(o.devices) : bridge::interfacesYaml(o.devices));
    if (!f) throw std::runtime_error("cannot write " + writeTo);
    std::cerr << "simulate: " << o.devices.size() << " interfaces written to " << writeTo << "\n";
    return 0;
  }
  auto report = bridge::runSimulation(std::move(o), std::cerr);
  std::cout << bridge::formatReport(report);
  return report.problems.empty() ? 0 : 1;
}

int checkConfig(const std::vector<std::string>& args) {
  if (args.size() != 1 || args[0] == "--help") {
    std::cerr << "usage: lorawan-bridge check-config FILE\n";
    return args.size() == 1 ? 0 : 2;
  }
  auto cfg = config::loadConfigFile(args[0]);
  if (!cfg) {
    std::cerr << cfg.error() << "\n";
    return 1;
  }
  std::cout << args[0] << ": ok (" << cfg->interfaces.size() << " interfaces, platform "
            << (cfg->platform ? cfg->platform->baseUrl : "embedded") << ")\n";
  return 0;
}

int replay(const std::vector<std::string>& args) {
  std::string to, file;
  bool fast = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--to" && i + 1 < args.size())
      to = args[++i];
    else if (args[i] == "--fast")
      fast = true;
    else if (args[i] == "--help") {
      std::cout << "usage: lorawan-bridge replay --to HOST:PORT [--fast] CAPTURE.jsonl\n";
      return 0;
    } else
      file = args[i];
  }
  if (to.empty() || file.empty()) {
    std::cerr << "usage: lorawan-bridge replay --to HOST:PORT [--fast] CAPTURE.jsonl\n";
    return 2;
  }
  auto r = bridge::replayCapture(to, file, std::cerr, !fast);
  return r.sent > 0 && r.acked == r.sent ? 0 : 1;
}

int sink(const std::vector<std::string>& args) {
  std::string listen = "127.0.0.1:9000";
  unsigned status = 200;
  bool quiet = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--listen" && i + 1 < args.size())
      listen = args[++i];
    else if (args[i] == "--quiet")
      quiet = true;
    else if (args[i] == "--status" && i + 1 < args.size()) {
      const std::string& v = args[++i];
      if (v.size() != 3 || !std::all_of(v.begin(), v.end(), ::isdigit) || v[0] < '1' ||
          v[0] > '5') {
        std::cerr << "sink: --status \"" << v << "\", want an HTTP status 100..599\n";
        return 2;
      }
      status = unsigned(std::stoul(v));
    } else {
      std::cout << "usage: lorawan-bridge sink --listen HOST:PORT [--status CODE] [--quiet]\n";
      return args[i] == "--help" ? 0 : 2;
    }
  }
  auto hp = config::parseHostPort(listen);
  if (!hp) {
    std::cerr << "sink: --listen " << hp.error() << "\n";
    return 2;
  }
  // Block the stop signals in every thread; the main thread waits for them synchronously.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  std::unique_ptr<bridge::PlatformSink> sinkServer;
  try {
    sinkServer = std::make_unique<bridge::PlatformSink>(hp->host, hp->port, /*print=*/!quiet);
  } catch (const std::exception& e) {
    std::cerr << "sink: cannot listen on " << hp->toString() << ": " << e.what() << "\n";
    return 1;
  }
  bridge::PlatformSink& s = *sinkServer;
  s.setResponder([status](const bridge::RecordedRequest&) { return status; });
  s.setKeepRequests(false);  // counted (GET /_sink/stats), not kept: a long run stays small
  std::cerr << "sink: listening on " << s.baseUrl() << "\n";
  int sig = 0;
  sigwait(&stopSignals, &sig);
  s.stop();
  return 0;
}

int codecRun(const std::vector<std::string>& args) {
  const char* usage =
      "usage: lorawan-bridge codec run (--type raw|cayenne_lpp [--variant arduino|ttn] [--style "
      "tts|chirpstack]\n"
      "                                 | --layout FILE.yaml | --codec FILE.js) --fport N --hex "
      "BYTES [--var k=v]...\n"
      "       lorawan-bridge codec test DEVICE_CODEC.yaml|FOLDER [--json]\n";
  if (!args.empty() && args[0] == "test") {
    const bool json = args.size() == 3 && args[2] == "--json";
    if (args.size() != 2 && !json) {
      std::cerr << usage;
      return 2;
    }
    if (!std::filesystem::exists(args[1])) {
      std::cerr << "codec test: " << args[1] << ": no such file or folder\n";
      return 2;
    }
    return codecs::runDeviceRepositoryTest(args[1], std::cout, json) == 0 ? 0 : 1;
  }
  if (args.empty() || args[0] != "run") {
    std::cerr << usage;
    return 2;
  }
  codecs::CodecSpec spec;
  int fport = -1;
  std::string hex;
  nlohmann::json vars = nlohmann::json::object();
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto next = [&]() -> std::string { return i + 1 < args.size() ? args[++i] : ""; };
    if (a == "--type")
      spec.type = next();
    else if (a == "--variant")
      spec.variant = next();
    else if (a == "--style")
      spec.style = next();
    else if (a == "--layout")
      spec.type = "layout", spec.file = next();
    else if (a == "--codec")
      spec.type = "js", spec.file = next();
    else if (a == "--fport")
      fport = std::atoi(next().c_str());
    else if (a == "--hex")
      hex = next();
    else if (a == "--var") {
      std::string kv = next();
      auto eq = kv.find('=');
      if (eq == std::string::npos) {
        std::cerr << "codec run: --var wants k=v, got " << kv << "\n";
        return 2;
      }
      vars[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (a == "--help") {
      std::cout << usage;
      return 0;
    } else {
      std::cerr << "codec run: unknown argument " << a << "\n" << usage;
      return 2;
    }
  }
  if (fport < 1 || fport > 223) {
    std::cerr << "codec run: --fport must be 1..223\n";
    return 2;
  }
  auto bytes = lorawan::fromHex(hex);
  if (!bytes) {
    std::cerr << "codec run: --hex: " << bytes.error() << "\n";
    return 2;
  }
  auto set = codecs::CodecSet::build(spec);
  if (!set) {
    std::cerr << "codec run: " << set.error() << "\n";
    return 1;
  }
  const int64_t nowMs = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  auto r = (*set)->decode({*bytes, uint8_t(fport), nowMs, vars.dump()});
  nlohmann::json out{{"data", r.dataJson ? nlohmann::json::parse(*r.dataJson) : nlohmann::json()},
                     {"errors", r.errors},
                     {"warnings", r.warnings}};
  std::cout << out.dump(2) << "\n";
  return r.errors.empty() ? 0 : 1;
}

int deadLetters(const std::vector<std::string>& args) {
  const char* usage =
      "usage: lorawan-bridge deadletters list --api HOST:PORT [--token T]\n"
      "       lorawan-bridge deadletters retry ID --api HOST:PORT [--token T]\n";
  std::string api = "127.0.0.1:8080", token, id;
  std::string cmd = args.empty() ? "" : args[0];
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--api" && i + 1 < args.size())
      api = args[++i];
    else if (args[i] == "--token" && i + 1 < args.size())
      token = args[++i];
    else
      id = args[i];
  }
  if (const char* env = std::getenv("LORAWAN_BRIDGE_TOKEN"); token.empty() && env) token = env;
  std::expected<bridge::BlockingResponse, std::string> r;
  if (cmd == "list")
    r = bridge::callApi(api, "GET", "/deadletters", token);
  else if (cmd == "retry" && !id.empty())
    r = bridge::callApi(api, "POST", "/deadletters/" + id + "/retry", token);
  else {
    std::cerr << usage;
    return 2;
  }
  if (!r) {
    std::cerr << "deadletters: " << r.error() << "\n";
    return 1;
  }
  std::cout << r->body << "\n";
  return r->status < 300 ? 0 : 1;
}

int apiCall(const std::vector<std::string>& args) {
  std::string api = "127.0.0.1:8080", token;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--api" && i + 1 < args.size())
      api = args[++i];
    else if (args[i] == "--token" && i + 1 < args.size())
      token = args[++i];
    else
      positional.push_back(args[i]);
  }
  if (positional.size() < 2 || positional.size() > 3 || positional[1].empty() ||
      positional[1][0] != '/') {
    std::cerr << "usage: lorawan-bridge api METHOD PATH [BODY] [--api HOST:PORT] [--token T]\n"
                 "  e.g. lorawan-bridge api GET '/devices/cellar-sensor/data?perPage=5&sort=-ts'\n";
    return 2;
  }
  if (const char* env = std::getenv("LORAWAN_BRIDGE_TOKEN"); token.empty() && env) token = env;
  auto r = bridge::callApi(api, positional[0], positional[1], token,
                           positional.size() == 3 ? positional[2] : "");
  if (!r) {
    std::cerr << "api: " << r.error() << "\n";
    return 1;
  }
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  std::cout << (j.is_discarded() ? r->body : j.dump(2)) << "\n";
  return r->status < 300 ? 0 : 1;
}

int daemon(const std::vector<std::string>& args) {
  std::string configPath;
  for (size_t i = 0; i < args.size(); ++i) {
    const bool hasValue = i + 1 < args.size();
    if (args[i] == "--config" && hasValue) {
      configPath = args[++i];
    } else if (args[i] == "--log-level" && hasValue) {
      const std::string l = args[++i];
      static const std::pair<const char*, bridge::log::Level> kLevels[] = {
          {"debug", bridge::log::Level::Debug},
          {"info", bridge::log::Level::Info},
          {"warn", bridge::log::Level::Warn},
          {"error", bridge::log::Level::Error}};
      const auto* it = std::find_if(std::begin(kLevels), std::end(kLevels),
                                    [&](const auto& k) { return l == k.first; });
      if (it == std::end(kLevels)) {
        std::cerr << "lorawan-bridge: unknown log level \"" << l
                  << "\" (use debug, info, warn or error)\n";
        return 2;
      }
      bridge::log::setLevel(it->second);
    } else {
      // Name what was wrong: a typo such as --confg used to print only the usage.
      if (args[i] == "--config" || args[i] == "--log-level")
        std::cerr << "lorawan-bridge: " << args[i] << " needs a value\n";
      else
        std::cerr << "lorawan-bridge: unknown argument \"" << args[i] << "\"\n";
      std::cerr << kUsage;
      return 2;
    }
  }
  if (configPath.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  // A million interfaces parse to ~1.5 GB that is free once they are loaded: given back.
  std::optional<bridge::memory::ReturnFreedPages> returnParse(std::in_place);
  auto cfg = config::loadConfigFile(configPath);
  if (!cfg) {
    std::cerr << cfg.error() << "\n";
    return 1;
  }
  auto d = bridge::Daemon::create(std::move(*cfg));
  returnParse.reset();
  if (!d) {
    std::cerr << "lorawan-bridge: " << d.error() << "\n";
    return 1;
  }
  (*d)->run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  // The command line's boundary: whatever a tool throws (a port in use, a bad number) ends it
  // with a message and exit code 1, never an abort.
  try {
    if (cmd == "check-config" || cmd == "--check-config") return checkConfig(rest);
    if (cmd == "replay") return replay(rest);
    if (cmd == "sink") return sink(rest);
    if (cmd == "simulate") return simulate(rest);
    if (cmd == "codec") return codecRun(rest);
    if (cmd == "deadletters") return deadLetters(rest);
    if (cmd == "api") return apiCall(rest);
    return daemon(args);
  } catch (const std::exception& e) {
    std::cerr << "lorawan-bridge " << (cmd.rfind("--", 0) == 0 ? "" : cmd + ": ") << e.what()
              << "\n";
    return 1;
  }
}
