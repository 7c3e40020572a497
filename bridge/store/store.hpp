#pragma once
// The bridge's durable state behind narrow seams, one per part that needs it: the network side
// takes SessionStore, UplinkArchive and DownlinkQueue; the platform side OutboxStore; the API
// InterfaceStore and the read halves. A backend implements Store (all of them); SqliteStore is
// the embedded default, and a second backend slots in without touching the pipeline.
//
// Writes marked "buffered" become durable together at the next commit (group commit: many
// updates, one transaction). The others are durable when they return on a backend used
// directly (SqliteStore), and at the next commit behind a StoreWriter (the writer thread).
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bridge/store/records.hpp"

namespace bridge {

// The commit every seam shares (virtual base: one per backend).
class GroupCommit {
 public:
  virtual ~GroupCommit() = default;
  // Commits what is buffered, all or nothing. When that fails (disk full) everything stays
  // buffered for the next flush and problem() says why.
  // Waits until it is done: for shutdown, tools and tests, never on the network thread.
  virtual void flush() = 0;
  // The same without waiting: everything written so far becomes durable, then `durable` runs
  // on the caller's thread (behind a StoreWriter, posted back once the writer thread committed;
  // here, at once). What must not happen before a commit (a frame sent, an event forwarded, an
  // API answer) goes into `durable`.
  virtual void commit(std::function<void()> durable) {
    flush();
    if (durable) durable();
  }
  virtual std::string problem() const { return ""; }
};

// Frame counters, OTAA sessions and join nonces, per interface.
class SessionStore : public virtual GroupCommit {
 public:
  virtual std::optional<FCntState> loadFCnt(const std::string& interfaceId) = 0;
  // Every interface's counters (one read at start, for a million devices at once).
  virtual std::unordered_map<std::string, FCntState> allFCnt() = 0;
  virtual void saveFCnt(const std::string& interfaceId, const FCntState& s) = 0;  // buffered
  virtual std::optional<SessionRecord> loadSession(const std::string& interfaceId) = 0;
  virtual OtaaState loadOtaa(lorawan::Eui64 devEui) = 0;
  // Every DevEUI's join state (one read at start: kept in memory beside the sessions).
  virtual std::vector<std::pair<lorawan::Eui64, OtaaState>> allOtaa() = 0;
  // A join, durable when this returns: nonces and the new session in one commit, before the
  // JoinAccept is sent. Also resets the interface's uplink counters (a new session).
  virtual void commitJoin(const std::string& interfaceId, lorawan::Eui64 devEui,
                          const OtaaState& otaa, const SessionRecord& session) = 0;
};

// Accepted uplinks, kept for the API's data routes (bounded by store.keep_uplinks).
class UplinkArchive : public virtual GroupCommit {
 public:
  virtual void recordUplink(StoredUplink u) = 0;  // buffered
  virtual std::vector<StoredUplink> recentUplinks(const std::string& deviceIdOrSlug,
                                                  size_t limit) = 0;
  // Uplinks received in [startMs, endMs], oldest first unless `newestFirst`.
  virtual UplinkPage queryUplinks(const std::string& deviceIdOrSlug, int64_t startMs, int64_t endMs,
                                  size_t offset, size_t limit, bool newestFirst) = 0;
};

// Each interface's Class A downlink queue.
class DownlinkQueue : public virtual GroupCommit {
 public:
  // Commits at once (the API answers 201 only when it is durable).
  virtual void enqueueDownlink(const QueuedDownlink& d) = 0;
  // "queued" and "awaiting_ack" entries, oldest first.
  virtual std::vector<QueuedDownlink> pendingDownlinks(const std::string& interfaceId) = 0;
  // Every interface's pending entries, oldest first (one read at start: the queue kept in memory).
  virtual std::vector<QueuedDownlink> allPendingDownlinks() = 0;
  virtual void updateDownlink(const QueuedDownlink& d) = 0;  // buffered
  // Every downlink of the interface, any status, newest first, at most `limit`.
  virtual std::vector<QueuedDownlink> listDownlinks(const std::string& interfaceId,
                                                    size_t limit) = 0;
  // Whether the platform's downlink `platformId` was ever queued for this interface.
  virtual bool hasPlatformDownlink(const std::string& interfaceId,
                                   const std::string& platformId) = 0;
};

// Events on their way to the platform, and the ones it refused.
class OutboxStore : public virtual GroupCommit {
 public:
  virtual void enqueueOutbox(OutboxEntry e) = 0;  // buffered
  virtual std::vector<OutboxEntry> loadOutbox() = 0;
  // Size of the outbox (rows, body bytes), kept current without a query.
  virtual std::pair<size_t, size_t> outboxSize() const = 0;
  virtual void completeOutbox(const std::string& id) = 0;  // buffered
  virtual void deadLetter(const std::string& id, unsigned status, const std::string& response,
                          int64_t atMs) = 0;  // buffered
  virtual std::vector<DeadLetter> deadLetters() = 0;
  // Moves a dead letter back into the outbox (committed); nullopt for an unknown id.
  virtual std::optional<OutboxEntry> retryDeadLetter(const std::string& id) = 0;
};

// Interfaces created or changed through the management API (full JSON, keys included; ""
// marks one deleted there). Committed at once: the API answers only when it is durable.
class InterfaceStore : public virtual GroupCommit {
 public:
  virtual void saveApiInterface(const std::string& id, const std::string& json) = 0;
  virtual std::vector<std::pair<std::string, std::string>> loadApiInterfaces() = 0;
};

// A whole backend.
class Store : public SessionStore,
              public UplinkArchive,
              public DownlinkQueue,
              public OutboxStore,
              public InterfaceStore {};

}  // namespace bridge
