#pragma once
// The store as the network thread sees it: every write returns at once and goes to a writer
// thread that owns the backend's write connection and commits whatever has accumulated in one
// transaction (group commit). What the network thread reads answers without touching the disk
// where it matters per frame (the downlink queue and join state are kept in memory), and sees
// its own writes
// before they are committed (an overlay of the writes still in flight). commit(durable) posts
// `durable` back to the owner thread once the writer has committed everything before it.
//
// Used from one owner thread (the network thread); the backend only from the writer thread.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <variant>

#include "bridge/store/store.hpp"

namespace bridge {

class StoreWriter final : public Store {
 public:
  using Post = std::function<void(std::function<void()>)>;  // onto the owner thread

  // `backend` is written on the writer thread only; `reader` (a read connection to the same
  // state) answers the owner's reads of committed state.
  StoreWriter(std::unique_ptr<Store> backend, std::unique_ptr<Store> reader, Post post);
  ~StoreWriter() override;  // commits what is left, then stops the writer thread

  std::optional<FCntState> loadFCnt(const std::string& interfaceId) override;
  std::unordered_map<std::string, FCntState> allFCnt() override;
  void saveFCnt(const std::string& interfaceId, const FCntState& s) override;
  std::optional<SessionRecord> loadSession(const std::string& interfaceId) override;
  OtaaState loadOtaa(lorawan::Eui64 devEui) override;
  std::vector<std::pair<lorawan::Eui64, OtaaState>> allOtaa() override;
  void commitJoin(const std::string& interfaceId, lorawan::Eui64 devEui, const OtaaState& otaa,
                  const SessionRecord& session) override;

  void recordUplink(StoredUplink u) override;
  std::vector<StoredUplink> recentUplinks(const std::string& deviceIdOrSlug, size_t limit) override;
  UplinkPage queryUplinks(const std::string& deviceIdOrSlug, int64_t startMs, int64_t endMs,
                          size_t offset, size_t limit, bool newestFirst) override;

  void enqueueDownlink(const QueuedDownlink& d) override;
  std::vector<QueuedDownlink> pendingDownlinks(const std::string& interfaceId) override;
  std::vector<QueuedDownlink> allPendingDownlinks() override;
  void updateDownlink(const QueuedDownlink& d) override;
  std::vector<QueuedDownlink> listDownlinks(const std::string& interfaceId, size_t limit) override;
  bool hasPlatformDownlink(const std::string& interfaceId, const std::string& platformId) override;

  void enqueueOutbox(OutboxEntry e) override;
  std::vector<OutboxEntry> loadOutbox() override;
  std::pair<size_t, size_t> outboxSize() const override {
    return {outboxSizes_.size(), outboxBytes_};
  }
  void completeOutbox(const std::string& id) override;
  void deadLetter(const std::string& id, unsigned status, const std::string& response,
                  int64_t atMs) override;
  std::vector<DeadLetter> deadLetters() override;
  std::optional<OutboxEntry> retryDeadLetter(const std::string& id) override;

  void saveApiInterface(const std::string& id, const std::string& json) override;
  std::vector<std::pair<std::string, std::string>> loadApiInterfaces() override;

  void flush() override;
  void commit(std::function<void()> durable) override;
  std::string problem() const override;

  // Commits asked for and transactions the writer ran for them (fewer: group commit).
  struct Stats {
    uint64_t commits = 0, transactions = 0;
    size_t queued = 0;     // commits handed over, not yet committed
    size_t queuedOps = 0;  // the writes they carry (an uplink is 2-3: counter, archive, outbox)
  };
  Stats stats() const;

 private:
  // What the network thread writes for every uplink has its own kind (no closure allocated
  // per write); the rest are closures. All applied in the order written.
  struct FCntWrite {
    std::string interfaceId;
    FCntState state;
  };
  struct OutboxDone {
    std::string id;
  };
  using Op =
      std::variant<FCntWrite, StoredUplink, OutboxEntry, OutboxDone, std::function<void(Store&)>>;
  static void apply(Op& op, Store& backend);
  static constexpr std::chrono::microseconds kCommitInterval{1000};
  struct Batch {
    uint64_t seq = 0;
    std::vector<Op> ops;
    std::function<void()> durable;
  };
  // An overlay entry: the value written, and the commit that will carry it.
  template <class T>
  struct Pending {
    T value;
    uint64_t seq = 0;
  };
  // The in-memory downlink queue: pending entries in queue order (the key).
  struct QueueEntry {
    uint64_t order = 0;
    QueuedDownlink d;
  };

  void write(Op op) { current_.push_back(std::move(op)); }
  template <class F>
    requires std::is_invocable_v<F&, Store&>
  void write(F f) {
    current_.emplace_back(std::in_place_type<std::function<void(Store&)>>, std::move(f));
  }
  uint64_t submit(std::function<void()> durable);
  void run();                             // the writer thread
  void committed(uint64_t seq, bool ok);  // on the owner thread
  template <class Map>
  static void prune(Map& m, uint64_t seq);
  void indexDownlink(const QueuedDownlink& d);  // keeps queue_ in step with a write
  void countOutbox(const std::string& id, size_t bytes);
  void uncountOutbox(const std::string& id);

  std::unique_ptr<Store> backend_;
  std::unique_ptr<Store> reader_;
  Post post_;

  // Owner thread.
  std::vector<Op> current_;  // written since the last commit
  size_t lastBatchOps_ = 0;  // current_ starts with room for as many
  uint64_t nextSeq_ = 1;     // the commit current_ will go out with
  std::unordered_map<std::string, Pending<std::optional<FCntState>>> fcnt_;
  static constexpr size_t kFCntOverlayKeep = 65536;
  std::unordered_map<std::string, Pending<SessionRecord>> sessions_;
  // Join state of every DevEUI, in memory: a read connection racing the writer's commits
  // retries with sleeps (SQLite's WAL read lock), which showed as a 15 ms join latency tail.
  std::unordered_map<uint64_t, OtaaState> otaa_;
  std::map<std::pair<std::string, std::string>, Pending<bool>> platformIds_;
  std::map<std::string, Pending<std::string>> apiInterfaces_;
  std::unordered_map<std::string, std::vector<QueueEntry>> queue_;  // by interface
  std::unordered_map<std::string, QueueEntry> lastSent_;            // by interface: may be put back
  uint64_t nextOrder_ = 1;
  std::unordered_map<std::string, size_t> outboxSizes_;  // id -> body bytes
  size_t outboxBytes_ = 0;

  // Shared with the writer thread.
  mutable std::mutex m_;
  std::condition_variable wake_, done_;
  std::deque<Batch> batches_;
  uint64_t committedSeq_ = 0;
  bool stopping_ = false;
  std::string problem_;
  Stats stats_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // posted callbacks outlive us unrun
  std::thread writer_;
};

}  // namespace bridge
