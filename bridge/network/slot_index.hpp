#pragma once
// A hash index over the registry's slots (numbers): open addressing with linear probing, at most
// half full, 4 bytes per bucket and no node per entry, so an index of a million devices is 8 MB.
// It keeps no keys: the caller hashes the key and checks each slot probed against the slot's own
// key. Several slots may share a key (a DevAddr, a device name).
#include <cstdint>
#include <vector>

namespace bridge {

class SlotIndex {
 public:
  static constexpr uint32_t kEmpty = 0xFFFFFFFF;
  static constexpr uint32_t kGone = 0xFFFFFFFE;  // erased: probing goes on past it

  size_t size() const { return used_; }
  void clear() {
    buckets_.clear();
    used_ = gone_ = 0;
  }
  // Room for n entries without growing.
  void reserve(size_t n, const auto& hashOf) {
    if (2 * n > buckets_.size()) rehash(capacityFor(n), hashOf);
  }
  // hashOf(slot) gives a stored slot's hash (for growing).
  void insert(uint64_t hash, uint32_t slot, const auto& hashOf) {
    if (2 * (used_ + gone_ + 1) > buckets_.size()) rehash(capacityFor(used_ + 1), hashOf);
    for (size_t i = hash & mask();; i = (i + 1) & mask()) {
      if (buckets_[i] == kEmpty || buckets_[i] == kGone) {
        if (buckets_[i] == kGone) --gone_;
        buckets_[i] = slot;
        ++used_;
        return;
      }
    }
  }
  bool erase(uint64_t hash, uint32_t slot) {
    if (buckets_.empty()) return false;
    for (size_t i = hash & mask(); buckets_[i] != kEmpty; i = (i + 1) & mask()) {
      if (buckets_[i] == slot) {
        buckets_[i] = kGone;
        --used_;
        ++gone_;
        return true;
      }
    }
    return false;
  }
  // Calls f(slot) for each slot that may have the key; stops when f returns false.
  template <typename F>
  void probe(uint64_t hash, F&& f) const {
    if (buckets_.empty()) return;
    for (size_t i = hash & mask(); buckets_[i] != kEmpty; i = (i + 1) & mask())
      if (buckets_[i] != kGone && !f(buckets_[i])) return;
  }

 private:
  size_t mask() const { return buckets_.size() - 1; }
  static size_t capacityFor(size_t n) {
    size_t c = 16;
    while (c < 2 * n) c *= 2;
    return c;
  }
  void rehash(size_t capacity, const auto& hashOf) {
    std::vector<uint32_t> old(capacity, kEmpty);
    old.swap(buckets_);
    used_ = gone_ = 0;
    for (uint32_t slot : old) {
      if (slot == kEmpty || slot == kGone) continue;
      for (size_t i = hashOf(slot) & mask();; i = (i + 1) & mask())
        if (buckets_[i] == kEmpty) {
          buckets_[i] = slot;
          ++used_;
          break;
        }
    }
  }

  std::vector<uint32_t> buckets_;
  size_t used_ = 0, gone_ = 0;
};

}  // namespace bridge
