#include "bridge/store/archive_index.hpp"

#include <algorithm>
#include <mutex>

namespace bridge {

void ArchiveIndex::prune(std::vector<Row>& rows) {
  auto keep = std::find_if(rows.begin(), rows.end(), [&](const Row& r) { return r.seq >= floor_; });
  entries_ -= size_t(keep - rows.begin());
  rows.erase(rows.begin(), keep);
}

// A device that stopped sending keeps its trimmed rows until a sweep: one now and then, when
// the index holds twice what it held after the last one.
void ArchiveIndex::sweep() {
  for (auto it = byDevice_.begin(); it != byDevice_.end();) {
    prune(it->second);
    it = it->second.empty() ? byDevice_.erase(it) : std::next(it);
  }
  sweepAt_ = std::max<size_t>(1 << 16, 2 * entries_);
}

void ArchiveIndex::add(const std::vector<Entry>& rows) {
  if (rows.empty()) return;
  std::unique_lock lock(m_);
  for (const Entry& e : rows) {
    auto it = byDevice_.find(e.device);
    if (it == byDevice_.end())
      it = byDevice_.emplace(std::string(e.device), std::vector<Row>{}).first;
    if (!it->second.empty() && it->second.front().seq < floor_) prune(it->second);
    it->second.push_back({e.seq, e.receivedAtMs});
    ++entries_;
  }
  if (entries_ >= sweepAt_) sweep();
}

void ArchiveIndex::trimBelow(int64_t seq) {
  std::unique_lock lock(m_);
  floor_ = std::max(floor_, seq);
}

ArchiveIndex::Page ArchiveIndex::find(std::string_view device, int64_t startMs, int64_t endMs,
                                      size_t offset, size_t limit, bool newestFirst) const {
  Page page;
  std::shared_lock lock(m_);
  auto it = byDevice_.find(device);
  if (it == byDevice_.end()) return page;
  std::vector<int64_t> match;
  for (const Row& r : it->second)
    if (r.seq >= floor_ && r.atMs >= startMs && r.atMs <= endMs) match.push_back(r.seq);
  lock.unlock();
  page.total = match.size();
  if (newestFirst) std::reverse(match.begin(), match.end());
  if (offset < match.size())
    page.seqs.assign(match.begin() + ptrdiff_t(offset),
                     match.begin() + ptrdiff_t(std::min(match.size(), offset + limit)));
  return page;
}

std::vector<int64_t> ArchiveIndex::recent(std::string_view device, size_t limit) const {
  std::vector<int64_t> out;
  std::shared_lock lock(m_);
  auto it = byDevice_.find(device);
  if (it == byDevice_.end()) return out;
  for (auto r = it->second.rbegin(); r != it->second.rend() && out.size() < limit; ++r)
    if (r->seq >= floor_) out.push_back(r->seq);
  return out;
}

size_t ArchiveIndex::entries() const {
  std::shared_lock lock(m_);
  return entries_;
}

}  // namespace bridge
