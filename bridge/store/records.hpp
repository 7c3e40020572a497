#pragma once
// What the bridge keeps durably, as the store's seams pass it: strong protocol types, no
// encodings (the backend decides how a key or a DevAddr is written down).
#include <cstdint>
#include <string>
#include <vector>

#include "lorawan/types.hpp"

namespace bridge {

// Uplink frame-counter state of one interface's session.
struct FCntState {
  lorawan::DevAddr devAddr;   // the session it belongs to: a new DevAddr starts a new session
  uint32_t lastFCnt = 0;      // last accepted 32-bit FCntUp
  uint64_t lastHash = 0;      // hash of that frame's bytes: tells a retransmission from a replay
  uint32_t nextFCntDown = 0;  // next downlink counter (NFCntDown/AFCntDown share it in 1.0.x)
};

// A downlink waiting in the device's queue (Class A: sent after its next uplink).
struct QueuedDownlink {
  std::string id;
  std::string interfaceId;
  uint8_t fport = 1;
  lorawan::Bytes payload;
  bool confirmed = false;
  // queued -> sent (unconfirmed, final) or awaiting_ack -> acked or failed
  std::string status = "queued";
  uint32_t attempts = 0;
  int64_t createdAtMs = 0;
  std::string
      platformId;  // fetched from the platform's queue: its id there (status reports go back)
};

// An OTAA session's keys (LoRaWAN 1.0.x uses its NwkSKey for all three network keys).
struct SessionRecord {
  lorawan::DevAddr devAddr;
  bool lorawan11 = false;
  lorawan::Aes128Key fNwkSIntKey, sNwkSIntKey, nwkSEncKey, appSKey;
  uint32_t joinNonce = 0;
  uint16_t devNonce = 0;
};

// Join-server state of one DevEUI: JoinNonce only grows; recent DevNonces are remembered.
struct OtaaState {
  uint32_t lastJoinNonce = 0;
  std::vector<uint16_t> devNonces;  // most recent last, bounded
};

// An event waiting for the platform's 2xx (the durable outbox): oldest first, per device order.
struct OutboxEntry {
  std::string id;  // the event id, also the Idempotency-Key
  std::string device;
  std::string path;
  std::string body;
  std::string method = "POST";  // PATCH for downlink status reports
};

struct DeadLetter {
  OutboxEntry entry;
  unsigned status = 0;
  std::string response;  // excerpt
  int64_t atMs = 0;
};

struct StoredUplink {
  std::string id;
  int64_t receivedAtMs = 0;
  std::string interfaceId;
  std::string deviceIdOrSlug;
  std::string eventJson;
};

// Stored uplinks of a device in a time range: one page and how many match in all.
struct UplinkPage {
  std::vector<StoredUplink> items;
  size_t total = 0;
};

}  // namespace bridge
