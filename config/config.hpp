#pragma once
// The typed configuration (DESIGN.md "Configuration"), loaded from YAML. Errors name the file,
// line and key; unknown keys are errors; ${VAR} is read from the environment.
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "config/defaults.hpp"
#include "config/interface.hpp"
#include "lorawan/types.hpp"

namespace config {

struct HostPort {
  std::string host;
  uint16_t port = 0;
  std::string toString() const { return host + ":" + std::to_string(port); }
};
std::expected<HostPort, std::string> parseHostPort(const std::string& s);

struct GatewayConfig {
  lorawan::Eui64 eui;
  std::string region;
};

// Who may talk on the UDP side and what one source may cost (`gateways:` as a mapping).
struct GatewayPolicy {
  bool listedOnly = false;  // policy: listed — datagrams of unknown EUIs are dropped, counted
  uint32_t pathExpiryS = defaults::kGatewayPathExpiryS;
  uint32_t idleExpiryS = defaults::kGatewayIdleExpiryS;
  uint32_t maxGateways = defaults::kMaxGateways;
  uint32_t maxDatagramBytes = defaults::kMaxDatagramBytes;
  uint32_t ratePerSource = defaults::kDatagramRatePerSource;  // datagrams/s per source IP
};

struct PlatformConfig {
  std::string baseUrl;
  std::string token;  // network-server bearer token; never logged
  uint32_t timeoutMs = 0;
  uint32_t maxAttempts = 0;
  std::string caFile;  // extra CA bundle (PEM) for https platforms with a private CA
  // OAuth2 client credentials (seed 004): the bearer token comes from token_url instead.
  struct OAuth {
    std::string tokenUrl;
    std::string clientId;
    std::string clientSecret;  // never logged
  };
  std::optional<OAuth> oauth;
  // Path templates, appended to base_url: {device} (URL-encoded id or slug), {dev_eui},
  // {interface}, {id} (event id). Filled from `profile` unless set under `paths:`.
  // The outbox is bounded on disk; when full, new events are refused loudly (see README).
  uint32_t outboxMaxRows = 1000000;
  uint32_t outboxMaxMb = 1024;
  std::string profile = "generic";
  std::string uplinkPath = "/devices/{device}/data";
  std::string eventsPath = "/devices/{device}/events";
  // The platform's downlink queue: pending ones are read (limit/offset appended, seed 001
  // pagination) and their status is reported back ({id}: the platform's downlink id).
  std::string downlinksPath = "/devices/{device}/downlinks?status=pending";
  std::string downlinkStatusPath = "/devices/{device}/downlinks/{id}";
  struct DownlinkQueue {
    bool enabled = false;  // opt-in: a platform without such an endpoint would answer 404s
    uint32_t pollIntervalS = defaults::kDownlinkPollIntervalS;
    uint32_t pageSize = 100;  // seed 001's default limit (its maximum is 10000)
    uint32_t fetchTimeoutMs = defaults::kDownlinkFetchTimeoutMs;
  };
  DownlinkQueue downlinkQueue{};
  // Keep-alive connections with a request in flight each (one device's requests stay in order).
  uint32_t connections = defaults::kPlatformConnections;
  uint32_t maxBackoffMs = defaults::kPlatformMaxBackoffMs;
  uint32_t pipeline = defaults::kPlatformPipeline;  // HTTP/1.1 pipelining depth per connection
};

// Built-in platform profiles: generic (seed 001), deveui (seed 002: devices addressed as
// deveui:<hex>), instathings (seed 004: /device/v1/...). Returns false for an unknown name.
bool applyPlatformProfile(const std::string& name, PlatformConfig& pc);

struct ApiToken {
  std::string token;
  std::vector<std::string> roles;
};

struct Config {
  HostPort udpListen{"0.0.0.0", 1700};
  HostPort apiListen{"127.0.0.1", 8080};
  std::string region = defaults::kRegion;
  lorawan::NetId netId;
  uint32_t dedupWindowMs = defaults::kDedupWindowMs;
  uint8_t rx1DelaySeconds = 1;
  uint8_t rx1DrOffset = 0;
  std::vector<uint64_t> extraChannelsHz;  // CFList type 0 (EU-like bands)
  int subBand = 2;                        // CFList type 1 (US915/AU915)
  uint32_t lateCopyMemoryMs = defaults::kLateCopyMemoryMs;
  std::vector<GatewayConfig> gateways;
  GatewayPolicy gatewayPolicy;
  std::string storePath;
  uint32_t keepUplinks = defaults::kKeepUplinks;  // the embedded platform's retention (rows)
  uint32_t storeMaxMb = 0;  // 0: the disk is the limit; else writes beyond it fail (and are kept)
  std::optional<PlatformConfig> platform;
  std::vector<ApiToken> apiTokens;
  // Requests per second per token (token bucket); beyond it 429 with Retry-After.
  uint32_t apiRatePerS = defaults::kApiRatePerS;
  uint32_t apiRateBurst = defaults::kApiRateBurst;
  uint32_t apiMaxConnections = defaults::kApiMaxConnections;
  uint32_t apiMaxEventClients = defaults::kApiMaxEventClients;
  std::string interfacesDir;
  std::string sourcePath;  // the file it came from (reloads read it again); "" when built in code
  std::vector<Interface> interfaces;
};

// All problems found, one per line: "bridge.yaml:14: interfaces[0].opts.device_address: ...".
std::expected<Config, std::string> loadConfigFile(const std::string& path);
std::expected<Config, std::string> parseConfig(const std::string& yaml, const std::string& fileName,
                                               const std::string& baseDir);
// A JSON interface file's text (an array of interfaces, as in interfaces_dir): the same checks
// and messages as the YAML files, naming `fileName` and the path.
std::expected<std::vector<Interface>, std::string> parseInterfaceFileJson(
    const std::string& text, const std::string& fileName, const std::string& baseDir);
// One seed-000 interface from a management API body, with the same checks as the YAML files;
// errors name the field ("interface.opts.device_key: ..."). No ${VAR} expansion, no codec files.
// `allowCodecFiles`: only for what the bridge itself stored (an interface from YAML, changed).
std::expected<Interface, std::string> parseInterfaceJson(const std::string& json,
                                                         const std::string& origin,
                                                         bool allowCodecFiles = false);

}  // namespace config
