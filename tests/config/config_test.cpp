#include "config/config.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "support/temp_dir.hpp"

using config::parseConfig;

namespace {

const char* kValidInterface = R"(
interfaces:
  - id: "68e8e794-1abe-45d6-a63e-158ed5d611ef"
    device_id_or_slug: "cellar-sensor"
    driver_instance_id: "9cf80c6a-1669-4cbf-96d0-9eefb707d294"
    opts:
      device_type: abp
      device_address: "26011BDA"
      network_session_key: "2B7E151628AED2A6ABF7158809CF4F3C"
      app_session_key: "3C4FCF098815F7ABA6D2AE2816157E2B"
)";

std::string errorOf(const std::string& yaml) {
  auto c = parseConfig(yaml, "bridge.yaml", ".");
  return c ? "" : c.error();
}

TEST(Config, DefaultsWhenEmpty) {
  auto c = parseConfig("", "bridge.yaml", ".");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->udpListen.toString(), "0.0.0.0:1700");
  EXPECT_EQ(c->apiListen.toString(), "127.0.0.1:8080");
  EXPECT_EQ(c->region, "EU868");
  EXPECT_EQ(c->dedupWindowMs, 200u);
  EXPECT_FALSE(c->platform.has_value());
}

TEST(Config, ReadsTheDesignExample) {
  setenv("LB_TEST_TOKEN", "s3cret-token", 1);
  auto c = parseConfig(std::string(R"(
listen: { udp: "127.0.0.1:0", api: "127.0.0.1:0" }
network: { region: US915, net_id: "000013", dedup_window_ms: 150 }
gateways:
  - { eui: "AA555A0000000000", region: US915 }
store: { path: "x.db" }
platform: { base_url: "http://127.0.0.1:9000/api", token: "${LB_TEST_TOKEN}" }
api:
  tokens:
    - { token: "admin", roles: [org-admin] }
)") + kValidInterface,
                       "bridge.yaml", ".");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->udpListen.port, 0);
  EXPECT_EQ(c->region, "US915");
  EXPECT_EQ(c->netId.value(), 0x13u);
  EXPECT_EQ(c->dedupWindowMs, 150u);
  ASSERT_EQ(c->gateways.size(), 1u);
  EXPECT_EQ(c->platform->token, "s3cret-token");
  EXPECT_EQ(c->platform->maxAttempts, 0u);  // 0: retry until delivered (the outbox keeps it)
  ASSERT_EQ(c->interfaces.size(), 1u);
  const auto& itf = c->interfaces[0];
  EXPECT_EQ(itf.deviceIdOrSlug, "cellar-sensor");
  EXPECT_EQ(itf.opts.deviceAddress->value(), 0x26011BDAu);
  EXPECT_TRUE(itf.opts.enabled);
  EXPECT_FALSE(itf.opts.duplicateFramecounterAllowed);
  EXPECT_EQ(itf.origin, "bridge.yaml:13");
}

struct BadCase {
  const char* name;
  const char* yaml;
  const char* expected;  // substring, with file:line
};

const BadCase kBad[] = {
    {"unknown top-level key", "listne: {}\n", "bridge.yaml:1: listne: unknown key"},
    {"unknown nested key", "network:\n  regoin: EU868\n",
     "bridge.yaml:2: network.regoin: unknown key"},
    {"bad port", "listen:\n  udp: \"0.0.0.0:99999\"\n",
     "bridge.yaml:2: listen.udp: \"0.0.0.0:99999\" has no valid port"},
    {"dedup out of range", "network:\n  dedup_window_ms: 0\n",
     "network.dedup_window_ms: 0 out of range"},
    {"bad net id", "network:\n  net_id: \"zz\"\n", "network.net_id: NetID must be 6 hex digits"},
    {"platform without url", "platform:\n  token: x\n", "platform.base_url: missing"},
    {"platform ftp", "platform:\n  base_url: ftp://x\n", "want http:// or https://"},
    {"unknown profile", "platform:\n  base_url: http://x\n  profile: nope\n",
     "bridge.yaml:3: platform.profile: \"nope\", want generic, deveui or instathings"},
    {"relative path template", "platform:\n  base_url: http://x\n  paths: { uplink: \"data\" }\n",
     "platform.paths: \"data\" must start with /"},
    {"platform credentials", "platform:\n  base_url: http://user:pw@x/api\n",
     "credentials in the URL are not supported"},
    {"platform no host", "platform:\n  base_url: http:///api\n", "has no host"},
    {"unset env", "platform:\n  base_url: http://x\n  token: \"${LB_SURELY_UNSET_VAR}\"\n",
     "bridge.yaml:3: platform.token: environment variable LB_SURELY_UNSET_VAR is not set"},
    {"bad role", "api:\n  tokens:\n    - { token: a, roles: [root] }\n",
     "api.tokens[0].roles: \"root\""},
    {"invalid yaml", "listen: [\n", "bridge.yaml:2: invalid YAML"},
    {"unknown region", "network:\n  region: EU999\n",
     "bridge.yaml:2: network.region: \"EU999\", want one of EU868, US915"},
    {"unknown gateway region", "gateways:\n  - { eui: \"AA555A0000000000\", region: Mars }\n",
     "gateways[0].region: \"Mars\""},
};

TEST(Config, ErrorsNameFileLineAndKey) {
  for (const auto& c : kBad) {
    SCOPED_TRACE(c.name);
    std::string e = errorOf(c.yaml);
    EXPECT_NE(e.find(c.expected), std::string::npos) << e;
  }
}

std::string withOpts(const std::string& optsLines) {
  return std::string(R"(
interfaces:
  - id: "68e8e794-1abe-45d6-a63e-158ed5d611ef"
    device_id_or_slug: "d"
    opts:
)") + optsLines;
}

TEST(Config, InterfaceErrors) {
  const std::string keys =
      "      network_session_key: \"2B7E151628AED2A6ABF7158809CF4F3C\"\n"
      "      app_session_key: \"3C4FCF098815F7ABA6D2AE2816157E2B\"\n";
  EXPECT_NE(errorOf(withOpts("      device_type: abp\n      device_address: \"26011BDX\"\n" + keys))
                .find("bridge.yaml:7: interfaces[0].opts.device_address: DevAddr has a non-hex "
                      "character at position 7"),
            std::string::npos);
  EXPECT_NE(errorOf(withOpts("      device_type: abp\n      device_address: \"26011BDA\"\n"
                             "      network_session_key: \"2B7E\"\n      app_session_key: "
                             "\"3C4FCF098815F7ABA6D2AE2816157E2B\"\n"))
                .find("bridge.yaml:8: interfaces[0].opts.network_session_key: AES-128 key must be "
                      "32 hex digits, got 4"),
            std::string::npos);
  EXPECT_NE(errorOf(withOpts("      device_type: abp\n" + keys))
                .find("interfaces[0].opts.device_address: missing"),
            std::string::npos);
  EXPECT_NE(errorOf(withOpts("      device_type: lorawan\n")).find("\"lorawan\", want abp or otaa"),
            std::string::npos);
  EXPECT_NE(errorOf(withOpts("      device_type: abp\n      enabled: maybe\n"))
                .find("opts.enabled: want true or false"),
            std::string::npos);
  EXPECT_NE(errorOf(withOpts("      device_type: abp\n      devaddr: x\n"))
                .find("bridge.yaml:7: interfaces[0].opts.devaddr: unknown key"),
            std::string::npos);
  EXPECT_NE(
      errorOf(withOpts("      device_type: otaa\n")).find("interfaces[0].opts.device_key: missing"),
      std::string::npos);
  EXPECT_NE(
      errorOf("interfaces:\n  - id: nope\n    device_id_or_slug: d\n    opts: {device_type: abp}\n")
          .find("interfaces[0].id: \"nope\" is not a UUID"),
      std::string::npos);
}

TEST(Config, SameDevAddrAndKeysTwiceIsAnError) {
  std::string twice = std::string(kValidInterface) + R"(
  - id: "78e8e794-1abe-45d6-a63e-158ed5d611ef"
    device_id_or_slug: "other"
    opts:
      device_type: abp
      device_address: "26011BDA"
      network_session_key: "2B7E151628AED2A6ABF7158809CF4F3C"
      app_session_key: "3C4FCF098815F7ABA6D2AE2816157E2B"
)";
  std::string e = errorOf(twice);
  EXPECT_NE(e.find("same DevAddr 26011bda and network_session_key"), std::string::npos) << e;
  // Same DevAddr with another key is allowed: the MIC tells them apart.
  std::string shared = twice;
  shared.replace(shared.rfind("2B7E1516"), 8, "AAAAAAAA");
  EXPECT_EQ(errorOf(shared), "");
}

TEST(Config, InterfacesDirIsReadRelativeToTheFile) {
  testsupport::TempDir dir;
  std::filesystem::create_directories(dir.path() / "itfs");
  // The file holds a list: strip the leading "interfaces:" key.
  const std::string list =
      std::string(kValidInterface).substr(std::string(kValidInterface).find("  -"));
  std::ofstream(dir.file("itfs/a.yaml")) << list;
  std::ofstream(dir.file("itfs/bad.yaml")) << "- id: \"x\"\n";
  std::ofstream(dir.file("bridge.yaml")) << "interfaces_dir: itfs\n";
  auto c = config::loadConfigFile(dir.file("bridge.yaml"));
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().find("bad.yaml:1: interfaces[0].id: \"x\" is not a UUID"), std::string::npos)
      << c.error();
  std::filesystem::remove(dir.file("itfs/bad.yaml"));
  c = config::loadConfigFile(dir.file("bridge.yaml"));
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->interfaces.size(), 1u);
}

// JSON interface files (for large fleets): the same fields, checks and messages as YAML ones;
// messages name the file and the path (JSON has no lines here).
TEST(Config, JsonInterfaceFilesReadLikeYamlOnes) {
  testsupport::TempDir dir;
  std::filesystem::create_directories(dir.path() / "itfs");
  std::ofstream(dir.file("itfs/fleet.json")) << R"([
    {"id": "9c1a2f4e-3b5d-4c6e-8f70-1a2b3c4d5e6f", "device_id_or_slug": "cellar",
     "tags": ["north", "wine"],
     "codec": {"type": "cayenne_lpp", "fports": {"7": {"type": "raw"}}},
     "opts": {"device_type": "abp", "device_address": "26011BDA", "enabled": false, "adr": true,
              "network_session_key": "2B7E151628AED2A6ABF7158809CF4F3C",
              "app_session_key": "3C4FCF098815F7ABA6D2AE2816157E2B"}},
    {"id": "0d6f2c3a-1b2c-4d3e-9f4a-5b6c7d8e9f00", "device_id_or_slug": "barn",
     "opts": {"device_type": "otaa", "device_eui": "70b3d57ed0000001",
              "eui": "70b3d57ed0000000", "device_key": "2B7E151628AED2A6ABF7158809CF4F3C"}}
  ])";
  std::ofstream(dir.file("bridge.yaml")) << "interfaces_dir: itfs\n";
  auto c = config::loadConfigFile(dir.file("bridge.yaml"));
  ASSERT_TRUE(c.has_value()) << c.error();
  ASSERT_EQ(c->interfaces.size(), 2u);
  const auto& a = c->interfaces[0];
  EXPECT_EQ(a.deviceIdOrSlug, "cellar");
  EXPECT_EQ(a.tags, (std::vector<std::string>{"north", "wine"}));
  EXPECT_FALSE(a.opts.enabled);
  EXPECT_TRUE(a.opts.adr);
  EXPECT_EQ(a.opts.deviceAddress->value(), 0x26011BDAu);
  EXPECT_EQ(a.codecs->forPort(7).name(), "raw");
  EXPECT_EQ(a.codecs->forPort(1).name(), "cayenne_lpp");
  EXPECT_EQ(c->interfaces[1].opts.deviceType, config::DeviceType::Otaa);
  EXPECT_EQ(c->interfaces[1].opts.deviceEui->value(), 0x70b3d57ed0000001ull);

  std::ofstream(dir.file("itfs/bad.json")) << R"([{"id": "x", "device_id_or_slug": "d",
    "opts": {"device_type": "abp", "enabled": "yes", "device_address": "zz", "colour": 1}}])";
  c = config::loadConfigFile(dir.file("bridge.yaml"));
  ASSERT_FALSE(c.has_value());
  for (const char* want : {"bad.json: interfaces[0].id: \"x\" is not a UUID",
                           "bad.json: interfaces[0].opts.enabled: want true or false",
                           "bad.json: interfaces[0].opts.device_address:",
                           "bad.json: interfaces[0].opts.colour: unknown key",
                           "bad.json: interfaces[0].opts.network_session_key: missing"})
    EXPECT_NE(c.error().find(want), std::string::npos) << want << "\n" << c.error();
  std::ofstream(dir.file("itfs/bad.json")) << "[{\"id\": ";
  c = config::loadConfigFile(dir.file("bridge.yaml"));
  ASSERT_FALSE(c.has_value());
  EXPECT_NE(c.error().find("bad.json: invalid JSON"), std::string::npos) << c.error();
}

TEST(Config, CodecsAreBuiltAtLoadAndBadOnesNamed) {
  auto withCodec = [](const std::string& codec) {
    std::string y = kValidInterface;
    y.replace(y.find("    opts:"), 0, "    codec: " + codec + "\n");
    return y;
  };
  auto ok = parseConfig(
      withCodec("{ type: cayenne_lpp, style: chirpstack, fports: { 2: { type: layout, file: " +
                std::string(LB_FIXTURES_DIR) + "/codecs/door_layout.yaml } } }"),
      "bridge.yaml", ".");
  ASSERT_TRUE(ok.has_value()) << ok.error();
  ASSERT_TRUE(ok->interfaces[0].codecs != nullptr);
  EXPECT_EQ(ok->interfaces[0].codecs->forPort(2).name(), "layout");
  EXPECT_NE(
      errorOf(withCodec("{ type: layout, file: missing.yaml }"))
          .find("bridge.yaml:6: interfaces[0].codec: ./missing.yaml: cannot open layout file"),
      std::string::npos)
      << errorOf(withCodec("{ type: layout, file: missing.yaml }"));
  EXPECT_NE(errorOf(withCodec("{ type: lua }")).find("codec type \"lua\""), std::string::npos);
  EXPECT_NE(errorOf(withCodec("{ type: cayenne_lpp, variant: x }")).find("variant \"x\""),
            std::string::npos);
  EXPECT_NE(
      errorOf(withCodec("{ type: raw, fports: { 999: { type: raw } } }")).find("is not an FPort"),
      std::string::npos);
  EXPECT_NE(
      errorOf(withCodec("{ type: raw, bogus: 1 }")).find("interfaces[0].codec.bogus: unknown key"),
      std::string::npos);
}

TEST(Config, ADeviceRepositoryCodecIsNamedByVendorAndModel) {
  auto withCodec = [](const std::string& codec) {
    std::string y = kValidInterface;
    y.replace(y.find("    opts:"), 0, "    codec: " + codec + "\n");
    return y;
  };
  const std::string repo = std::string(LB_FIXTURES_DIR) + "/codecs/device_repo";
  auto ok = parseConfig(
      withCodec("{ type: device_repository, path: " + repo + ", vendor: acme, model: widget }"),
      "bridge.yaml", ".");
  ASSERT_TRUE(ok.has_value()) << ok.error();
  EXPECT_EQ(ok->interfaces[0].codecs->forPort(1).name(), "js");
  const std::string missing =
      errorOf(withCodec("{ type: device_repository, path: " + repo + ", vendor: acme, model: x }"));
  EXPECT_NE(
      missing.find("interfaces[0].codec: device_repository acme/x: no x-codec.yaml or x.yaml"),
      std::string::npos)
      << missing;
  EXPECT_NE(errorOf(withCodec("{ type: device_repository, vendor: acme, model: x }"))
                .find("interfaces[0].codec.path: missing"),
            std::string::npos);
}

TEST(Config, CodecRunCommand) {
  std::string bin = LB_BINARY;
  EXPECT_EQ(std::system((bin + " codec run --type cayenne_lpp --fport 1 --hex 03670110056700ff | "
                               "grep -q '\"temperature_3\": 27.2'")
                            .c_str()),
            0);
  EXPECT_NE(
      std::system((bin + " codec run --type cayenne_lpp --fport 1 --hex 03ff >/dev/null").c_str()),
      0);
  EXPECT_NE(std::system((bin + " codec run --type raw --fport 0 --hex 00 2>/dev/null").c_str()), 0);
}

TEST(Config, PlatformProfileAndPathTemplates) {
  auto c = parseConfig(
      "platform:\n  base_url: http://x\n  profile: deveui\n  paths: { events: "
      "\"/hooks/{interface}/{id}\" }\n",
      "bridge.yaml", ".");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->platform->uplinkPath, "/devices/deveui:{dev_eui}/data");
  EXPECT_EQ(c->platform->eventsPath, "/hooks/{interface}/{id}");
}

TEST(Config, PlatformDeliveryAndDownlinkQueue) {
  auto c = parseConfig(
      "platform:\n  base_url: http://x\n  profile: instathings\n  connections: 4\n  pipeline: 1\n"
      "  max_backoff_ms: 1000\n  downlink_queue: { page_size: 500, poll_interval_s: 0 }\n",
      "bridge.yaml", ".");
  ASSERT_TRUE(c.has_value()) << c.error();
  EXPECT_EQ(c->platform->connections, 4u);
  EXPECT_EQ(c->platform->pipeline, 1u);
  EXPECT_EQ(c->platform->maxBackoffMs, 1000u);
  EXPECT_TRUE(c->platform->downlinkQueue.enabled);  // the section present turns it on
  EXPECT_EQ(c->platform->downlinkQueue.pageSize, 500u);
  EXPECT_EQ(c->platform->downlinkQueue.pollIntervalS, 0u);
  EXPECT_EQ(c->platform->downlinksPath, "/device/v1/devices/{device}/downlinks?status=pending");
  auto off = parseConfig("platform:\n  base_url: http://x\n", "bridge.yaml", ".");
  ASSERT_TRUE(off.has_value());
  EXPECT_FALSE(off->platform->downlinkQueue.enabled);
  auto bad = parseConfig(
      "platform:\n  base_url: http://x\n  downlink_queue: { page_size: 20000, every: 3 }\n",
      "bridge.yaml", ".");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().find("platform.downlink_queue"), std::string::npos) << bad.error();
  EXPECT_NE(bad.error().find("every"), std::string::npos) << bad.error();
  EXPECT_NE(bad.error().find("page_size"), std::string::npos) << bad.error();
}

TEST(Config, ShippedPlatformProfilesAreValid) {
  setenv("PLATFORM_TOKEN", "t", 1);
  setenv("INSTATHINGS_CLIENT_ID", "id", 1);
  setenv("INSTATHINGS_CLIENT_SECRET", "secret", 1);
  for (const char* f : {"generic.yaml", "deveui.yaml", "instathings.yaml"}) {
    auto c = config::loadConfigFile(std::string(LB_FIXTURES_DIR) + "/../config/platforms/" + f);
    ASSERT_TRUE(c.has_value()) << f << ": " << c.error();
    EXPECT_TRUE(c->platform.has_value());
  }
}

TEST(Config, PlatformOAuth) {
  setenv("LB_TEST_SECRET", "s3cret", 1);
  auto c = parseConfig(
      "platform:\n  base_url: https://x.example/device/v1\n  oauth:\n    token_url: "
      "https://x.example/authentication/v1/oauth/token\n"
      "    client_id: cid\n    client_secret: \"${LB_TEST_SECRET}\"\n",
      "bridge.yaml", ".");
  ASSERT_TRUE(c.has_value()) << c.error();
  ASSERT_TRUE(c->platform->oauth.has_value());
  EXPECT_EQ(c->platform->oauth->clientSecret, "s3cret");
  EXPECT_NE(errorOf("platform:\n  base_url: http://x\n  oauth:\n    token_url: http://x/t\n    "
                    "client_secret: s\n")
                .find("platform.oauth.client_id: missing"),
            std::string::npos);
}

TEST(Config, CheckConfigCommandExitCodes) {
  testsupport::TempDir dir;
  std::ofstream(dir.file("good.yaml")) << kValidInterface;
  std::ofstream(dir.file("bad.yaml")) << "listne: {}\n";
  std::string bin = LB_BINARY;
  EXPECT_EQ(std::system((bin + " check-config " + dir.file("good.yaml") + " >/dev/null").c_str()),
            0);
  EXPECT_NE(std::system((bin + " check-config " + dir.file("bad.yaml") + " 2>/dev/null").c_str()),
            0);
  EXPECT_EQ(std::system((bin + " check-config " + std::string(LB_FIXTURES_DIR) +
                         "/../config/bridge.example.yaml >/dev/null")
                            .c_str()),
            0);
}

}  // namespace
