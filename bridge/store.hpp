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
  uint32_t devAddr = 0;    // the session it belongs to: a new DevAddr starts a new session
  uint32_t lastFCnt = 0;   // last accepted 32-bit FCntUp
  uint64_t lastHash = 0;   // hash of that frame's bytes: tells a retransmission from a replay
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
  virtual void flush() = 0;
  virtual std::vector<StoredUplink> recentUplinks(const std::string& deviceIdOrSlug, size_t limit) = 0;
};

}  // namespace bridge
