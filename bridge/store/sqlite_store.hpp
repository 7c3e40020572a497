#pragma once
// Embedded default store: one SQLite file in WAL mode, created 0600.
#include <chrono>
#include <condition_variable>
#include <expected>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "bridge/store/archive_index.hpp"
#include "bridge/store/store.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace bridge {

class SqliteStore final : public Store {
 public:
  // Creates the file (and its directory) when missing. Error text names the path. The store is
  // used by one thread at a time (in the daemon: the StoreWriter's thread).
  static std::expected<std::unique_ptr<SqliteStore>, std::string> open(
      const std::string& path, size_t uplinkRetention = 10000);
  // A second, read-only connection to an open store's file, for another thread's reads (the
  // API's): WAL lets it read committed state while the writer commits. Its writes fail.
  // `archive`: the writer's ArchiveIndex, so this connection finds a device's uplinks by key
  // (without it, by scanning the archive).
  static std::expected<std::unique_ptr<SqliteStore>, std::string> openReader(
      const std::string& path, std::shared_ptr<const ArchiveIndex> archive = nullptr);
  std::shared_ptr<const ArchiveIndex> archiveIndex() const { return archive_; }
  ~SqliteStore() override;

  std::optional<FCntState> loadFCnt(const std::string& interfaceId) override;
  std::unordered_map<std::string, FCntState> allFCnt() override;
  void saveFCnt(const std::string& interfaceId, const FCntState& s) override;
  void recordUplink(StoredUplink u) override;
  void flush() override;
  std::vector<StoredUplink> recentUplinks(const std::string& deviceIdOrSlug, size_t limit) override;
  void enqueueDownlink(const QueuedDownlink& d) override;
  std::vector<QueuedDownlink> pendingDownlinks(const std::string& interfaceId) override;
  std::vector<QueuedDownlink> allPendingDownlinks() override;
  void updateDownlink(const QueuedDownlink& d) override;
  std::vector<QueuedDownlink> listDownlinks(const std::string& interfaceId, size_t limit) override;
  UplinkPage queryUplinks(const std::string& deviceIdOrSlug, int64_t startMs, int64_t endMs,
                          size_t offset, size_t limit, bool newestFirst) override;
  bool hasPlatformDownlink(const std::string& interfaceId, const std::string& platformId) override;
  void enqueueOutbox(OutboxEntry e) override;
  std::vector<OutboxEntry> loadOutbox() override;
  std::pair<size_t, size_t> outboxSize() const override { return {outboxRows_, outboxBytes_}; }
  std::string problem() const override { return problem_; }
  // Bounds the database file (SQLite max_page_count); beyond it writes fail and are kept.
  void setMaxSizeMb(uint32_t mb);
  void completeOutbox(const std::string& id) override;
  void deadLetter(const std::string& id, unsigned status, const std::string& response,
                  int64_t atMs) override;
  std::vector<DeadLetter> deadLetters() override;
  std::optional<OutboxEntry> retryDeadLetter(const std::string& id) override;
  void saveApiInterface(const std::string& id, const std::string& json) override;
  std::vector<std::pair<std::string, std::string>> loadApiInterfaces() override;
  std::optional<SessionRecord> loadSession(const std::string& interfaceId) override;
  OtaaState loadOtaa(lorawan::Eui64 devEui) override;
  std::vector<std::pair<lorawan::Eui64, OtaaState>> allOtaa() override;
  void commitJoin(const std::string& interfaceId, lorawan::Eui64 devEui, const OtaaState& otaa,
                  const SessionRecord& session) override;

 private:
  SqliteStore(sqlite3* db, size_t retention) : db_(db), retention_(retention) {}
  void startCheckpointer(const std::string& path);
  static int onWalCommit(void* self, sqlite3* db, const char* name, int frames);
  bool exec(const char* sql);
  std::vector<QueuedDownlink> selectDownlinks(const char* where, const std::string* interfaceId,
                                              size_t limit);
  bool addColumnIfMissing(const char* table, const char* column, const char* decl);
  sqlite3_stmt* prepare(const char* sql);

  sqlite3* db_;
  size_t retention_;
  bool reader_ = false;
  sqlite3_stmt* loadFCnt_ = nullptr;
  sqlite3_stmt* saveFCnt_ = nullptr;
  sqlite3_stmt* insertUplink_ = nullptr;
  sqlite3_stmt* insertOutbox_ = nullptr;
  sqlite3_stmt* deleteOutbox_ = nullptr;
  std::unordered_map<std::string, FCntState> pendingFCnt_;
  std::vector<StoredUplink> pendingUplinks_;
  std::unordered_map<std::string, QueuedDownlink> pendingDownlinkUpdates_;
  bool migrateOutbox();
  std::vector<StoredUplink> uplinksBySeq(const std::vector<int64_t>& seqs);
  std::shared_ptr<ArchiveIndex> archive_;  // the writer's; a reader's is the writer's, read only
  int64_t lastUplinkSeq_ = 0;
  // The outbox's rows by id, exact (loaded at open, kept with every write): the totals for the
  // full policy, and the row's seq, so a delivered event is deleted by its integer key. An
  // index on the random ids cost two random b-tree leaves per uplink in every commit.
  struct OutboxRow {
    size_t bytes = 0;
    int64_t seq = 0;
  };
  std::unordered_map<std::string, OutboxRow> outbox_;
  int64_t nextOutboxSeq_ = 1;
  std::vector<std::pair<int64_t, OutboxEntry>> pendingOutbox_;  // seq, entry
  size_t outboxRows_ = 0, outboxBytes_ = 0;
  std::string problem_;                   // why the last flush failed; "" when writes work
  std::vector<int64_t> completedOutbox_;  // seqs
  std::vector<std::tuple<int64_t, unsigned, std::string, int64_t>> pendingDeadLetters_;  // by seq
  uint64_t uplinksSinceTrim_ = 0;
  // WAL checkpoints run on their own connection and thread: in the writer's commit they are the
  // millisecond stalls that set the join latency tail (bench/join_latency).
  std::thread checkpointer_;
  std::mutex checkpointMutex_;
  std::condition_variable checkpointWake_;
  bool closing_ = false;
  bool checkpointRequested_ = false;
  uint64_t checkpointRounds_ = 0;        // checkpoints run
  int64_t lastCheckpointedFrames_ = -1;  // of the last one; -1: the connection was not in WAL mode

 public:
  // Runs a checkpoint on the checkpointer's connection now and waits for it (at most `timeout`):
  // the number of WAL frames it copied into the database file, nullopt when it did not run.
  std::optional<int64_t> checkpointNow(std::chrono::milliseconds timeout);
};

}  // namespace bridge
