#pragma once
// Frames in the order they arrived, found by their key: the dedup windows (each closes 200 ms
// after its first copy, so they close in arrival order) and the frames remembered after their
// window for late copies (forgotten in the same order). A ring of entries plus an
// open-addressing index of key -> position: no node allocated per frame (two hash maps of
// nodes were 6% of the network thread under load, holding 2M nodes at 36k uplinks/s).
#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace bridge {

// Frame key -> sequence number, linear probing, at most half full, deletion by backward shift
// (no tombstones: the table never fills with the dead). Keys are SipHash values already.
class FrameKeyIndex {
 public:
  // The sequence number stored for `key`, or 0 when absent (numbers stored are never 0).
  uint64_t get(uint64_t key) const {
    if (slots_.empty()) return 0;
    for (size_t i = home(key);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.seq == 0) return 0;
      if (s.key == key) return s.seq;
    }
  }
  void set(uint64_t key, uint64_t seq) {
    if ((used_ + 1) * 2 > slots_.size()) grow();
    for (size_t i = home(key);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.seq == 0) {
        s = {key, seq};
        ++used_;
        return;
      }
      if (s.key == key) {
        s.seq = seq;
        return;
      }
    }
  }
  void erase(uint64_t key) {
    if (slots_.empty()) return;
    size_t i = home(key);
    for (;; i = (i + 1) & mask_) {
      if (slots_[i].seq == 0) return;
      if (slots_[i].key == key) break;
    }
    // Backward shift: later entries of the run move up unless that would put them before home.
    for (size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
      if (slots_[j].seq == 0) break;
      const size_t h = home(slots_[j].key);
      if (((j - h) & mask_) >= ((j - i) & mask_)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = {};
    --used_;
  }
  size_t size() const { return used_; }

 private:
  struct Slot {
    uint64_t key = 0;
    uint64_t seq = 0;  // 0: empty
  };
  size_t home(uint64_t key) const { return size_t((key * 0x9E3779B97F4A7C15ull) >> shift_); }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    const size_t n = old.empty() ? 1024 : old.size() * 2;
    slots_.assign(n, Slot{});
    mask_ = n - 1;
    shift_ = 64;
    for (size_t k = n; k > 1; k >>= 1) --shift_;
    used_ = 0;
    for (const Slot& s : old)
      if (s.seq != 0) set(s.key, s.seq);
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  int shift_ = 64;
  size_t used_ = 0;
};

// Values in arrival order, each under a frame key; the newest value of a key is the one found.
template <class V>
class FrameRing {
 public:
  struct Item {
    uint64_t key;
    V value;
  };

  V* find(uint64_t key) {
    const uint64_t seq = index_.get(key);
    return seq == 0 ? nullptr : &items_[size_t(seq - 1 - front_)].value;
  }
  V& push(uint64_t key, V value) {
    items_.push_back({key, std::move(value)});
    index_.set(key, front_ + items_.size());
    return items_.back().value;
  }
  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  Item& front() { return items_.front(); }
  const Item& front() const { return items_.front(); }
  // Removes the oldest item; its key is forgotten unless a newer item holds it. True when the
  // key was forgotten.
  bool pop() {
    const uint64_t key = items_.front().key;
    const bool current = index_.get(key) == front_ + 1;
    if (current) index_.erase(key);
    items_.pop_front();
    ++front_;
    return current;
  }

 private:
  std::deque<Item> items_;
  uint64_t front_ = 0;  // how many were popped: items_[i] has sequence number front_ + i + 1
  FrameKeyIndex index_;
};

}  // namespace bridge
