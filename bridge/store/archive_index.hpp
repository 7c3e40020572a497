#pragma once
// Which archived uplinks belong to which device, in memory: the rows' seqs and times per device,
// so /devices/{d}/data finds a device's uplinks by primary key. An SQLite index on (device, seq)
// did the same on disk, at the price of a random b-tree leaf written for every uplink in every
// commit, and again when the retention trim deleted it: most of the WAL under load.
//
// Written by the store's writer after each commit, read by the reader connections' threads.
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bridge {

class ArchiveIndex {
 public:
  struct Entry {
    std::string_view device;
    int64_t seq;
    int64_t receivedAtMs;
  };
  struct Page {
    std::vector<int64_t> seqs;  // in the order asked for
    size_t total = 0;           // rows of the device in the time range
  };

  // Rows committed, seqs ascending.
  void add(const std::vector<Entry>& rows);
  // The retention trim deleted every row with seq < `seq`.
  void trimBelow(int64_t seq);

  Page find(std::string_view device, int64_t startMs, int64_t endMs, size_t offset, size_t limit,
            bool newestFirst) const;
  std::vector<int64_t> recent(std::string_view device, size_t limit) const;
  size_t entries() const;

 private:
  struct Row {
    int64_t seq;
    int64_t atMs;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  // Drops a device's rows below the trim (called with the lock held for writing).
  void prune(std::vector<Row>& rows);
  void sweep();

  mutable std::shared_mutex m_;
  std::unordered_map<std::string, std::vector<Row>, Hash, std::equal_to<>> byDevice_;
  int64_t floor_ = 0;  // rows below it are trimmed
  size_t entries_ = 0;
  size_t sweepAt_ = 1 << 16;
};

}  // namespace bridge
