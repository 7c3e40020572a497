#include "bridge/store/store_writer.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "bridge/core/log.hpp"
#include "bridge/core/thread_name.hpp"

namespace bridge {

namespace {
bool isPending(const std::string& status) {
  return status == "queued" || status == "awaiting_ack";
}
}  // namespace

StoreWriter::StoreWriter(std::unique_ptr<Store> backend, std::unique_ptr<Store> reader, Post post)
    : backend_(std::move(backend)), reader_(std::move(reader)), post_(std::move(post)) {
  for (auto& d : reader_->allPendingDownlinks()) {
    std::string itf = d.interfaceId;
    queue_[itf].push_back({nextOrder_++, std::move(d)});
  }
  for (const auto& e : reader_->loadOutbox()) countOutbox(e.id, e.body.size());
  for (auto& [eui, st] : reader_->allOtaa()) otaa_[eui.value()] = std::move(st);
  writer_ = std::thread([this] {
    nameThisThread("lb-store");
    run();
  });
}

StoreWriter::~StoreWriter() {
  if (!current_.empty()) submit(nullptr);
  {
    std::lock_guard lock(m_);
    stopping_ = true;
  }
  wake_.notify_all();
  writer_.join();  // it commits every batch handed over before it stops
}

// --- the writer thread ---

void StoreWriter::run() {
  // Below the network thread: on a small machine both compete for a core, and a time slice
  // lost to the writer delays PUSH_ACKs by milliseconds, while a commit that waits a little
  // longer only groups more writes (nice 5: a third of the network thread's weight).
  ::setpriority(PRIO_PROCESS, pid_t(::syscall(SYS_gettid)), 5);
  std::chrono::steady_clock::time_point lastCommit{};
  for (;;) {
    std::deque<Batch> work;
    {
      std::unique_lock lock(m_);
      wake_.wait(lock, [&] { return !batches_.empty() || stopping_; });
      // At most one commit per kCommitInterval: at a few thousand uplinks/s a commit per
      // uplink or two wrote the same index pages to the WAL again and again (pwrite was a
      // sixth of this thread), and a waiting write costs at most this much latency.
      wake_.wait_until(lock, lastCommit + kCommitInterval, [&] { return stopping_; });
      lastCommit = std::chrono::steady_clock::now();
      if (batches_.empty()) return;  // stopping, and nothing left
      work.swap(batches_);
    }
    // Every batch waiting is one transaction: the longer a commit takes, the more the next
    // one carries, so the rate of commits adapts to the disk.
    for (auto& b : work)
      for (auto& op : b.ops) {
        try {
          apply(op, *backend_);
        } catch (const std::exception& e) {  // a backend bug must not end the writer
          log::error("store_writer_error", {{"error", e.what()}});
        }
      }
    std::string problem;
    try {
      backend_->flush();
      problem = backend_->problem();
    } catch (const std::exception& e) {
      problem = e.what();
    }
    const uint64_t last = work.back().seq;
    {
      // Counted before the callbacks can run: who sees them ran sees the commit counted.
      std::lock_guard lock(m_);
      ++stats_.transactions;
      stats_.queued -= work.size();
      for (const auto& b : work) stats_.queuedOps -= b.ops.size();
    }
    std::vector<std::function<void()>> durable;
    for (auto& b : work)
      if (b.durable) durable.push_back(std::move(b.durable));
    // Posted before the commit is reported: a flush() that returns has its callbacks queued.
    post_([this, alive = std::weak_ptr<int>(alive_), last, ok = problem.empty(),
           durable = std::move(durable)] {
      if (!alive.lock()) return;
      committed(last, ok);
      for (const auto& f : durable) f();
    });
    {
      std::lock_guard lock(m_);
      committedSeq_ = last;
      problem_ = std::move(problem);
    }
    done_.notify_all();
  }
}

void StoreWriter::apply(Op& op, Store& backend) {
  struct Visitor {
    Store& b;
    void operator()(FCntWrite& w) { b.saveFCnt(w.interfaceId, w.state); }
    void operator()(StoredUplink& u) { b.recordUplink(std::move(u)); }
    void operator()(OutboxEntry& e) { b.enqueueOutbox(std::move(e)); }
    void operator()(OutboxDone& d) { b.completeOutbox(d.id); }
    void operator()(std::function<void(Store&)>& f) { f(b); }
  };
  std::visit(Visitor{backend}, op);
}

uint64_t StoreWriter::submit(std::function<void()> durable) {
  lastBatchOps_ = current_.size();
  Batch b{nextSeq_++, std::move(current_), std::move(durable)};
  current_ = {};
  current_.reserve(lastBatchOps_);
  const uint64_t seq = b.seq;
  {
    std::lock_guard lock(m_);
    stats_.queuedOps += b.ops.size();
    batches_.push_back(std::move(b));
    ++stats_.commits;
    ++stats_.queued;
  }
  wake_.notify_one();
  return seq;
}

void StoreWriter::commit(std::function<void()> durable) {
  submit(std::move(durable));
}

void StoreWriter::flush() {
  const uint64_t seq = submit(nullptr);
  std::unique_lock lock(m_);
  done_.wait(lock, [&] { return committedSeq_ >= seq; });
}

std::string StoreWriter::problem() const {
  std::lock_guard lock(m_);
  return problem_;
}

StoreWriter::Stats StoreWriter::stats() const {
  std::lock_guard lock(m_);
  return stats_;
}

// A failed commit keeps its writes buffered in the backend for the next one, so the overlay
// keeps them too until a commit succeeds (which carries everything before it).
template <class Map>
void StoreWriter::prune(Map& m, uint64_t seq) {
  for (auto it = m.begin(); it != m.end();) it = it->second.seq <= seq ? m.erase(it) : ++it;
}

void StoreWriter::committed(uint64_t seq, bool ok) {
  if (!ok) return;
  // A counter's entry is its latest write, committed or not, so it may stay: kept until there
  // are many (a node and a key allocated per uplink otherwise; 1M devices bound it).
  if (fcnt_.size() > kFCntOverlayKeep) prune(fcnt_, seq);
  prune(sessions_, seq);
  prune(platformIds_, seq);
  prune(apiInterfaces_, seq);
}

// --- sessions and counters ---

std::optional<FCntState> StoreWriter::loadFCnt(const std::string& interfaceId) {
  if (auto it = fcnt_.find(interfaceId); it != fcnt_.end()) return it->second.value;
  return reader_->loadFCnt(interfaceId);
}

std::unordered_map<std::string, FCntState> StoreWriter::allFCnt() {
  auto out = reader_->allFCnt();
  for (const auto& [id, v] : fcnt_) {
    if (v.value)
      out[id] = *v.value;
    else
      out.erase(id);  // a join in flight starts the counters over
  }
  return out;
}

void StoreWriter::saveFCnt(const std::string& interfaceId, const FCntState& s) {
  fcnt_[interfaceId] = {s, nextSeq_};
  write(Op(std::in_place_type<FCntWrite>, interfaceId, s));
}

std::optional<SessionRecord> StoreWriter::loadSession(const std::string& interfaceId) {
  if (auto it = sessions_.find(interfaceId); it != sessions_.end()) return it->second.value;
  return reader_->loadSession(interfaceId);
}

OtaaState StoreWriter::loadOtaa(lorawan::Eui64 devEui) {
  if (auto it = otaa_.find(devEui.value()); it != otaa_.end()) return it->second;
  return {};
}

std::vector<std::pair<lorawan::Eui64, OtaaState>> StoreWriter::allOtaa() {
  std::vector<std::pair<lorawan::Eui64, OtaaState>> out;
  for (const auto& [eui, st] : otaa_) out.emplace_back(lorawan::Eui64(eui), st);
  return out;
}

void StoreWriter::commitJoin(const std::string& interfaceId, lorawan::Eui64 devEui,
                             const OtaaState& otaa, const SessionRecord& session) {
  otaa_[devEui.value()] = otaa;
  sessions_[interfaceId] = {session, nextSeq_};
  fcnt_[interfaceId] = {std::nullopt, nextSeq_};  // a new session: its counters start over
  write([=](Store& b) { b.commitJoin(interfaceId, devEui, otaa, session); });
}

// --- uplinks (read by the API from its own connection; these are for the owner's reads) ---

void StoreWriter::recordUplink(StoredUplink u) {
  write(Op(std::move(u)));
}

std::vector<StoredUplink> StoreWriter::recentUplinks(const std::string& device, size_t limit) {
  return reader_->recentUplinks(device, limit);
}

UplinkPage StoreWriter::queryUplinks(const std::string& device, int64_t startMs, int64_t endMs,
                                     size_t offset, size_t limit, bool newestFirst) {
  return reader_->queryUplinks(device, startMs, endMs, offset, limit, newestFirst);
}

// --- the downlink queue, in memory ---

void StoreWriter::enqueueDownlink(const QueuedDownlink& d) {
  if (isPending(d.status)) queue_[d.interfaceId].push_back({nextOrder_++, d});
  if (!d.platformId.empty()) platformIds_[{d.interfaceId, d.platformId}] = {true, nextSeq_};
  write([d](Store& b) { b.enqueueDownlink(d); });
}

std::vector<QueuedDownlink> StoreWriter::pendingDownlinks(const std::string& interfaceId) {
  std::vector<QueuedDownlink> out;
  if (auto it = queue_.find(interfaceId); it != queue_.end())
    for (const auto& e : it->second) out.push_back(e.d);
  return out;
}

std::vector<QueuedDownlink> StoreWriter::allPendingDownlinks() {
  std::vector<QueueEntry> all;
  for (const auto& [itf, q] : queue_) all.insert(all.end(), q.begin(), q.end());
  std::sort(all.begin(), all.end(), [](auto& a, auto& b) { return a.order < b.order; });
  std::vector<QueuedDownlink> out;
  for (auto& e : all) out.push_back(std::move(e.d));
  return out;
}

// An update names the entry by id and sets its status and attempts (as the backend does). A
// "sent" entry leaves the queue but is remembered: a gateway that fails to transmit it puts
// it back (Class A names only its id then), in its old place.
void StoreWriter::updateDownlink(const QueuedDownlink& d) {
  QueuedDownlink effective = d;
  auto& q = queue_[d.interfaceId];
  auto it = std::find_if(q.begin(), q.end(), [&](const QueueEntry& e) { return e.d.id == d.id; });
  auto sent = lastSent_.find(d.interfaceId);
  if (it != q.end()) {
    effective = it->d;
    effective.status = d.status;
    effective.attempts = d.attempts;
    if (isPending(d.status)) {
      it->d = effective;
    } else {
      if (d.status == "sent") lastSent_[d.interfaceId] = {it->order, effective};
      q.erase(it);
    }
  } else if (sent != lastSent_.end() && sent->second.d.id == d.id) {
    effective = sent->second.d;  // its attempts stay what they were
    effective.status = d.status;
    if (isPending(d.status)) {
      const uint64_t order = sent->second.order;
      auto at =
          std::find_if(q.begin(), q.end(), [&](const QueueEntry& e) { return e.order > order; });
      q.insert(at, {order, effective});
      lastSent_.erase(sent);
    }
  }
  if (q.empty()) queue_.erase(d.interfaceId);
  write([effective](Store& b) { b.updateDownlink(effective); });
}

std::vector<QueuedDownlink> StoreWriter::listDownlinks(const std::string& interfaceId,
                                                       size_t limit) {
  return reader_->listDownlinks(interfaceId, limit);
}

bool StoreWriter::hasPlatformDownlink(const std::string& interfaceId,
                                      const std::string& platformId) {
  if (platformIds_.count({interfaceId, platformId})) return true;
  return reader_->hasPlatformDownlink(interfaceId, platformId);
}

// --- the outbox: its size kept here, exact, for the full policy ---

void StoreWriter::countOutbox(const std::string& id, size_t bytes) {
  auto [it, added] = outboxSizes_.emplace(id, bytes);
  if (added) outboxBytes_ += bytes;
}

void StoreWriter::uncountOutbox(const std::string& id) {
  if (auto it = outboxSizes_.find(id); it != outboxSizes_.end()) {
    outboxBytes_ -= it->second;
    outboxSizes_.erase(it);
  }
}

void StoreWriter::enqueueOutbox(OutboxEntry e) {
  countOutbox(e.id, e.body.size());
  write(Op(std::move(e)));
}

// Committed entries only: read at start, before anything is written.
std::vector<OutboxEntry> StoreWriter::loadOutbox() {
  return reader_->loadOutbox();
}

void StoreWriter::completeOutbox(const std::string& id) {
  uncountOutbox(id);
  write(Op(std::in_place_type<OutboxDone>, id));
}

void StoreWriter::deadLetter(const std::string& id, unsigned status, const std::string& response,
                             int64_t atMs) {
  uncountOutbox(id);
  write([=](Store& b) { b.deadLetter(id, status, response, atMs); });
}

std::vector<DeadLetter> StoreWriter::deadLetters() {
  return reader_->deadLetters();
}

std::optional<OutboxEntry> StoreWriter::retryDeadLetter(const std::string& id) {
  std::optional<OutboxEntry> found;
  for (const auto& d : reader_->deadLetters())
    if (d.entry.id == id) found = d.entry;
  if (!found || outboxSizes_.count(id)) return std::nullopt;  // unknown, or being retried
  countOutbox(id, found->body.size());
  write([id](Store& b) { b.retryDeadLetter(id); });
  return found;
}

// --- interfaces changed through the API ---

void StoreWriter::saveApiInterface(const std::string& id, const std::string& json) {
  apiInterfaces_[id] = {json, nextSeq_};
  write([id, json](Store& b) { b.saveApiInterface(id, json); });
}

std::vector<std::pair<std::string, std::string>> StoreWriter::loadApiInterfaces() {
  auto out = reader_->loadApiInterfaces();
  for (const auto& [id, p] : apiInterfaces_) {
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& e) { return e.first == id; });
    if (it != out.end())
      it->second = p.value;
    else
      out.emplace_back(id, p.value);
  }
  return out;
}

}  // namespace bridge
