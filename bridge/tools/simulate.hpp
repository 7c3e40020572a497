#pragma once
// `lorawan-bridge simulate`: plays N packet forwarders for M devices against a bridge over UDP.
// The load generator of the end-to-end benchmark, and what an operator runs to check a new
// install before pointing a real gateway at it. ABP devices come from the bridge's config (the
// keys match) or are generated (with the interface file the bridge needs); OTAA devices really
// join (JoinRequest, the JoinAccept decrypted, keys derived) before sending data. Datagrams go
// out with sendmmsg, answers come in with recvmmsg; PULL_RESPs are answered with TX_ACK.
#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "lorawan/device_frames.hpp"

namespace bridge {

struct SimDevice {
  std::string name;  // device_id_or_slug
  bool otaa = false;
  lorawan::AbpSession session;  // ABP: configured; OTAA: from the join
  lorawan::Eui64 devEui, joinEui;
  lorawan::Aes128Key appKey;
  bool joined = false;
  uint32_t fcnt = 0;  // the next uplink's
};

struct SimulateOptions {
  std::string target = "127.0.0.1:1700";
  std::vector<SimDevice> devices;
  unsigned gateways = 1;
  unsigned copies = 1;  // gateways that hear each uplink (at most `gateways`)
  unsigned rxpkPerDatagram = 1;
  size_t payloadBytes = 8;
  uint8_t fport = 1;
  double rate = 0;       // uplinks/s in all; 0: closed loop (at most `window` unanswered)
  unsigned window = 64;  // closed loop: PUSH_DATA without PUSH_ACK, per gateway
  double durationS = 10;
  uint64_t count = 0;  // uplinks; 0: until the duration ends
  uint32_t fcntStart = 1;
  bool spreadSources = false;  // gateway i sends from 127.0.0.(2+i): one rate limit each
  std::chrono::milliseconds ackTimeout{1000};
  std::chrono::milliseconds joinTimeout{6000};
  double progressEveryS = 1;  // 0: no progress lines
};

struct SimulateReport {
  double seconds = 0;
  uint64_t uplinks = 0;     // frames sent (a copy heard by two gateways counts once)
  uint64_t datagrams = 0;   // PUSH_DATA sent, all gateways
  uint64_t pushAcks = 0;    // PUSH_ACKs received for them
  uint64_t pullResps = 0;   // PULL_RESPs (downlinks) received, each answered with TX_ACK
  uint64_t joinsSent = 0;   // JoinRequests
  uint64_t joined = 0;      // devices that joined
  uint64_t sendErrors = 0;  // sendmmsg refused
  // PUSH_ACK latency, us (of those that came back).
  double ackP50 = 0, ackP99 = 0, ackMax = 0;
  std::vector<std::string> problems;  // for the operator: what did not work
};

// ABP interfaces with DevAddr and session keys, OTAA 1.0.x ones with DevEUI and AppKey.
std::vector<SimDevice> devicesFromConfig(const config::Config& cfg);
// `n` ABP devices with keys derived from `seed`: the same n and seed give the same devices.
std::vector<SimDevice> generateDevices(size_t n, uint32_t seed);
// The interface file (for the bridge's interfaces_dir) that provisions `devices`.
std::string interfacesYaml(const std::vector<SimDevice>& devices);
// The same as a JSON interface file (what large fleets load fast).
std::string interfacesJson(const std::vector<SimDevice>& devices);

SimulateReport runSimulation(SimulateOptions opts, std::ostream& progress);
std::string formatReport(const SimulateReport& r);

}  // namespace bridge
