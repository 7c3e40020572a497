#pragma once
// The bridge's durable state behind a small interface, so the embedded SQLite store can later be
// swapped for a shared one (Redis) without touching the pipeline.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bridge {

// Uplink frame-counter state of one interface's session.
struct FCntState {
  uint32_t devAddr = 0;       // the session it belongs to: a new DevAddr starts a new session
  uint32_t lastFCnt = 0;      // last accepted 32-bit FCntUp
  uint64_t lastHash = 0;      // hash of that frame's bytes: tells a retransmission from a replay
  uint32_t nextFCntDown = 0;  // next downlink counter (NFCntDown/AFCntDown share it in 1.0.x)
};

// A downlink waiting in the device's queue (Class A: sent after its next uplink).
struct QueuedDownlink {
  std::string id;
  std::string interfaceId;
  uint8_t fport = 1;
  std::vector<uint8_t> payload;
  bool confirmed = false;
  // queued -> sent (unconfirmed, final) or awaiting_ack -> acked or failed
  std::string status = "queued";
  uint32_t attempts = 0;
  int64_t createdAtMs = 0;
  std::string
      platformId;  // fetched from the platform's queue: its id there (status reports go back)
};

// An OTAA session's keys (LoRaWAN 1.0.x uses nwkSKey for all three network keys).
struct SessionRecord {
  uint32_t devAddr = 0;
  bool lorawan11 = false;
  std::string fNwkSIntKey, sNwkSIntKey, nwkSEncKey, appSKey;  // hex; this store file is 0600
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

class Store {
 public:
  virtual ~Store() = default;
  virtual std::optional<FCntState> loadFCnt(const std::string& interfaceId) = 0;
  // Buffered; durable after flush(). Group commit: many updates, one transaction.
  virtual void saveFCnt(const std::string& interfaceId, const FCntState& s) = 0;
  virtual void recordUplink(StoredUplink u) = 0;
  // Commits what is buffered, all or nothing. When that fails (disk full) everything stays
  // buffered for the next flush and problem() says why.
  virtual void flush() = 0;
  virtual std::string problem() const { return ""; }
  virtual std::vector<StoredUplink> recentUplinks(const std::string& deviceIdOrSlug,
                                                  size_t limit) = 0;
  // Stored uplinks of a device received in [startMs, endMs], oldest first unless `newestFirst`,
  // a page of them and how many match in all.
  struct UplinkPage {
    std::vector<StoredUplink> items;
    size_t total = 0;
  };
  virtual UplinkPage queryUplinks(const std::string& deviceIdOrSlug, int64_t startMs, int64_t endMs,
                                  size_t offset, size_t limit, bool newestFirst) = 0;

  // Downlink queue. enqueue commits at once (the API answers 201 only when it is durable).
  virtual void enqueueDownlink(const QueuedDownlink& d) = 0;
  // "queued" and "awaiting_ack" entries, oldest first.
  virtual std::vector<QueuedDownlink> pendingDownlinks(const std::string& interfaceId) = 0;
  virtual void updateDownlink(const QueuedDownlink& d) = 0;  // buffered; durable after flush()
  // Every downlink of the interface, any status, newest first, at most `limit`.
  virtual std::vector<QueuedDownlink> listDownlinks(const std::string& interfaceId,
                                                    size_t limit) = 0;
  // Whether the platform's downlink `platformId` was ever queued for this interface (any status).
  virtual bool hasPlatformDownlink(const std::string& interfaceId,
                                   const std::string& platformId) = 0;

  // Outbox: enqueue is buffered and durable after flush(), like the counters it travels with.
  virtual void enqueueOutbox(const OutboxEntry& e) = 0;
  virtual std::vector<OutboxEntry> loadOutbox() = 0;
  // Size of the outbox (rows, body bytes), kept current without a query.
  virtual std::pair<size_t, size_t> outboxSize() const = 0;
  virtual void completeOutbox(const std::string& id) = 0;  // buffered
  virtual void deadLetter(const std::string& id, unsigned status, const std::string& response,
                          int64_t atMs) = 0;
  virtual std::vector<DeadLetter> deadLetters() = 0;
  // Moves a dead letter back into the outbox (committed); nullopt for an unknown id.
  virtual std::optional<OutboxEntry> retryDeadLetter(const std::string& id) = 0;

  // Interfaces created or changed through the management API (full JSON, keys included; "" marks
  // one deleted there). Committed at once: the API answers only when the change is durable.
  virtual void saveApiInterface(const std::string& id, const std::string& json) = 0;
  virtual std::vector<std::pair<std::string, std::string>> loadApiInterfaces() = 0;

  virtual std::optional<SessionRecord> loadSession(const std::string& interfaceId) = 0;
  virtual OtaaState loadOtaa(uint64_t devEui) = 0;
  // A join, durable when this returns: nonces and the new session in one commit, before the
  // JoinAccept is sent. Also resets the interface's uplink counters (a new session).
  virtual void commitJoin(const std::string& interfaceId, uint64_t devEui, const OtaaState& otaa,
                          const SessionRecord& session) = 0;
};

}  // namespace bridge
