#include "bridge/store/sqlite_store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <deque>
#include <filesystem>

#include "bridge/core/log.hpp"
#include "bridge/core/thread_name.hpp"

namespace bridge {

namespace {
const char* const kLoadFCnt =
    "SELECT dev_addr, last_fcnt, last_hash, next_fcnt_down FROM fcnt_state WHERE interface_id=?";
}  // namespace

std::expected<std::unique_ptr<SqliteStore>, std::string> SqliteStore::open(const std::string& path,
                                                                           size_t retention) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p(path);
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  bool existed = fs::exists(p, ec);
  sqlite3* db = nullptr;
  // The write connection is used by one thread at a time (the StoreWriter's thread, after it
  // was opened here): no SQLite mutex around every call (9% of the writer's time under load).
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return std::unexpected("store " + path + ": cannot open: " + msg);
  }
  if (!existed) ::chmod(path.c_str(), 0600);  // keys live here
  std::unique_ptr<SqliteStore> s(new SqliteStore(db, retention));
  // WAL + synchronous=NORMAL: a commit survives a process crash (kill -9); only an OS crash can
  // lose the last transactions.
  const char* schema =
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=NORMAL;"
      "PRAGMA wal_autocheckpoint=0;"
      // After a checkpoint the WAL starts over from its beginning; beyond this it is cut back.
      "PRAGMA journal_size_limit=67108864;"
      "PRAGMA busy_timeout=5000;"
      // 16 MB of page cache (2 MB by default): under load the default spilled, and the writer
      // read its own index pages back from the WAL (pread was 13% of its time).
      "PRAGMA cache_size=-16384;"
      // New files: counters in one b-tree (WITHOUT ROWID), uplinks without AUTOINCREMENT's
      // extra row update per insert (the retention trim deletes from the oldest end, so a
      // rowid is never reused while a newer one exists). Older files keep their tables.
      "CREATE TABLE IF NOT EXISTS fcnt_state(interface_id TEXT PRIMARY KEY, dev_addr INTEGER NOT "
      "NULL,"
      " last_fcnt INTEGER NOT NULL, last_hash INTEGER NOT NULL, next_fcnt_down INTEGER NOT NULL)"
      " WITHOUT ROWID;"
      "CREATE TABLE IF NOT EXISTS downlinks(id TEXT PRIMARY KEY, interface_id TEXT NOT NULL,"
      " fport INTEGER NOT NULL, payload BLOB NOT NULL, confirmed INTEGER NOT NULL, status TEXT NOT "
      "NULL,"
      " attempts INTEGER NOT NULL, created_at_ms INTEGER NOT NULL, seq INTEGER NOT NULL);"
      "CREATE INDEX IF NOT EXISTS downlinks_pending ON downlinks(interface_id, status, seq);"
      "CREATE TABLE IF NOT EXISTS uplinks(seq INTEGER PRIMARY KEY, id TEXT NOT NULL,"
      " received_at_ms INTEGER NOT NULL, interface_id TEXT NOT NULL, device TEXT NOT NULL,"
      " event_json TEXT NOT NULL);"
      // A device's uplinks are found through ArchiveIndex, in memory (files from before it
      // had an index on (device, seq) here: dropped below).
      "DROP INDEX IF EXISTS uplinks_device;"
      "CREATE TABLE IF NOT EXISTS sessions(interface_id TEXT PRIMARY KEY, dev_addr INTEGER NOT "
      "NULL,"
      " lorawan11 INTEGER NOT NULL, f_nwk_s_int_key TEXT NOT NULL, s_nwk_s_int_key TEXT NOT NULL,"
      " nwk_s_enc_key TEXT NOT NULL, app_s_key TEXT NOT NULL, join_nonce INTEGER NOT NULL,"
      " dev_nonce INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS outbox(seq INTEGER PRIMARY KEY, id TEXT NOT NULL,"
      " device TEXT NOT NULL, path TEXT NOT NULL, body TEXT NOT NULL, method TEXT NOT NULL DEFAULT "
      "'POST');"
      "CREATE TABLE IF NOT EXISTS dead_letters(seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT "
      "NULL,"
      " device TEXT NOT NULL, path TEXT NOT NULL, body TEXT NOT NULL, status INTEGER NOT NULL,"
      " response TEXT NOT NULL, at_ms INTEGER NOT NULL, method TEXT NOT NULL DEFAULT 'POST');"
      "CREATE TABLE IF NOT EXISTS api_interfaces(id TEXT PRIMARY KEY, json TEXT NOT NULL, seq "
      "INTEGER NOT NULL);"
      "CREATE TABLE IF NOT EXISTS otaa_state(dev_eui INTEGER PRIMARY KEY, last_join_nonce INTEGER "
      "NOT NULL,"
      " dev_nonces TEXT NOT NULL);";
  if (!s->exec(schema)) return std::unexpected("store " + path + ": " + sqlite3_errmsg(db));
  // Files from before status reports (PATCH) went through the outbox.
  for (const char* table : {"outbox", "dead_letters"})
    if (!s->addColumnIfMissing(table, "method", "TEXT NOT NULL DEFAULT 'POST'"))
      return std::unexpected("store " + path + ": " + sqlite3_errmsg(db));
  // ... and before downlinks were fetched from the platform's queue.
  if (!s->addColumnIfMissing("downlinks", "platform_id", "TEXT NOT NULL DEFAULT ''") ||
      !s->exec(
          "CREATE INDEX IF NOT EXISTS downlinks_platform ON downlinks(interface_id, platform_id)"))
    return std::unexpected("store " + path + ": " + sqlite3_errmsg(db));
  s->loadFCnt_ = s->prepare(kLoadFCnt);
  s->saveFCnt_ = s->prepare(
      "INSERT INTO fcnt_state(interface_id, dev_addr, last_fcnt, last_hash, next_fcnt_down) "
      "VALUES(?,?,?,?,?)"
      " ON CONFLICT(interface_id) DO UPDATE SET dev_addr=excluded.dev_addr,"
      " last_fcnt=excluded.last_fcnt, last_hash=excluded.last_hash, "
      "next_fcnt_down=excluded.next_fcnt_down");
  s->insertUplink_ = s->prepare(
      "INSERT INTO uplinks(id, received_at_ms, interface_id, device, event_json) "
      "VALUES(?,?,?,?,?)");
  // Prepared once: outbox rows are written and deleted for every uplink when a platform is set.
  if (!s->migrateOutbox())
    return std::unexpected("store " + path + ": outbox migration: " + sqlite3_errmsg(db));
  s->insertOutbox_ =
      s->prepare("INSERT INTO outbox(seq, id, device, path, body, method) VALUES(?,?,?,?,?,?)");
  s->deleteOutbox_ = s->prepare("DELETE FROM outbox WHERE seq=?");
  if (!s->loadFCnt_ || !s->saveFCnt_ || !s->insertUplink_ || !s->insertOutbox_ || !s->deleteOutbox_)
    return std::unexpected("store " + path + ": " + sqlite3_errmsg(db));
  s->archive_ = std::make_shared<ArchiveIndex>();
  {
    // The archive's rows by device: seq, device and time only (the event is not read).
    sqlite3_stmt* st = s->prepare("SELECT seq, device, received_at_ms FROM uplinks ORDER BY seq");
    std::vector<ArchiveIndex::Entry> rows;
    std::deque<std::string> devices;  // the entries' views point here (a deque never moves them)
    while (st && sqlite3_step(st) == SQLITE_ROW) {
      const int64_t seq = sqlite3_column_int64(st, 0);
      devices.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
      rows.push_back({devices.back(), seq, sqlite3_column_int64(st, 2)});
      s->lastUplinkSeq_ = seq;
      if (rows.size() == 4096) {
        s->archive_->add(rows);
        rows.clear();
        devices.clear();
      }
    }
    s->archive_->add(rows);
    sqlite3_finalize(st);
  }
  {
    sqlite3_stmt* st = s->prepare("SELECT seq, id, length(body) FROM outbox ORDER BY seq");
    while (st && sqlite3_step(st) == SQLITE_ROW) {
      const int64_t seq = sqlite3_column_int64(st, 0);
      const size_t bytes = size_t(sqlite3_column_int64(st, 2));
      s->outbox_[reinterpret_cast<const char*>(sqlite3_column_text(st, 1))] = {bytes, seq};
      ++s->outboxRows_;
      s->outboxBytes_ += bytes;
      s->nextOutboxSeq_ = seq + 1;
    }
    sqlite3_finalize(st);
  }
  s->startCheckpointer(path);
  return s;
}

std::expected<std::unique_ptr<SqliteStore>, std::string> SqliteStore::openReader(
    const std::string& path, std::shared_ptr<const ArchiveIndex> archive) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return std::unexpected("store " + path + ": cannot open for reading: " + msg);
  }
  sqlite3_busy_timeout(db, 1000);
  std::unique_ptr<SqliteStore> s(new SqliteStore(db, 0));
  s->reader_ = true;
  s->archive_ = std::const_pointer_cast<ArchiveIndex>(std::move(archive));  // only read
  s->loadFCnt_ = s->prepare(kLoadFCnt);
  if (!s->loadFCnt_) return std::unexpected("store " + path + ": " + sqlite3_errmsg(db));
  return s;
}

namespace {
constexpr int kRestartWalFrames = 16384;  // 64 MB of 4 KB pages
// A passive checkpoint as soon as the WAL holds this much (16 MB), not only once a second: under
// load a second of commits passed 64 MB, and the RESTART checkpoint that followed held the
// writer's next commits for 60-110 ms (the uplink -> platform tail).
constexpr int kCheckpointWalFrames = 4096;
}  // namespace

// After each of the writer's commits (SQLite's WAL hook, on the store thread).
int SqliteStore::onWalCommit(void* self, sqlite3*, const char*, int frames) {
  auto* s = static_cast<SqliteStore*>(self);
  if (frames >= kCheckpointWalFrames) {
    std::lock_guard lock(s->checkpointMutex_);
    if (!s->checkpointRequested_) {
      s->checkpointRequested_ = true;
      s->checkpointWake_.notify_all();
    }
  }
  return SQLITE_OK;
}

void SqliteStore::startCheckpointer(const std::string& path) {
  sqlite3_wal_hook(db_, &SqliteStore::onWalCommit, this);
  checkpointer_ = std::thread([this, path] {
    nameThisThread("lb-checkpoint");
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      sqlite3_close(db);
      return;
    }
    sqlite3_busy_timeout(db, 1000);
    // A connection that has read nothing yet is not in WAL mode, and a checkpoint on it does
    // nothing (it answers -1 frames): every checkpoint did nothing, and under load the WAL grew
    // without bound (900 MB in 12 s) until the bridge stopped.
    sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
    std::unique_lock lock(checkpointMutex_);
    while (!closing_) {
      checkpointWake_.wait_for(lock, std::chrono::seconds(1),
                               [this] { return closing_ || checkpointRequested_; });
      checkpointRequested_ = false;
      lock.unlock();
      int nLog = -1, nCkpt = -1;
      sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &nLog, &nCkpt);
      // Under steady writes a passive checkpoint never reaches the WAL's end, and the WAL only
      // starts over from its beginning after one that does: past 64 MB a RESTART checkpoint
      // waits for the writer (the store thread, never the network thread) and catches up.
      if (nLog > kRestartWalFrames)
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_RESTART, &nLog, &nCkpt);
      lock.lock();
      lastCheckpointedFrames_ = nLog < 0 ? -1 : nCkpt;
      ++checkpointRounds_;
      checkpointWake_.notify_all();
    }
    sqlite3_close(db);
  });
}

std::optional<int64_t> SqliteStore::checkpointNow(std::chrono::milliseconds timeout) {
  std::unique_lock lock(checkpointMutex_);
  if (!checkpointer_.joinable()) return std::nullopt;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Two rounds: the first may have begun before this call.
  for (int round = 0; round < 2; ++round) {
    const uint64_t target = checkpointRounds_ + 1;
    checkpointRequested_ = true;
    checkpointWake_.notify_all();
    if (!checkpointWake_.wait_until(lock, deadline,
                                    [&] { return checkpointRounds_ >= target || closing_; }))
      return std::nullopt;
  }
  return lastCheckpointedFrames_;
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(checkpointMutex_);
    closing_ = true;
  }
  checkpointWake_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  if (reader_) {
    sqlite3_finalize(loadFCnt_);  // a statement left open keeps the connection (and file) open
    sqlite3_close(db_);
    return;
  }
  flush();
  sqlite3_finalize(loadFCnt_);
  sqlite3_finalize(saveFCnt_);
  sqlite3_finalize(insertUplink_);
  sqlite3_finalize(insertOutbox_);
  sqlite3_finalize(deleteOutbox_);
  sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
  sqlite3_close(db_);
}

void SqliteStore::setMaxSizeMb(uint32_t mb) {
  sqlite3_stmt* st = prepare("PRAGMA page_size");
  int64_t pageSize = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 4096;
  sqlite3_finalize(st);
  const std::string sql =
      "PRAGMA max_page_count=" + std::to_string(int64_t(mb) * 1024 * 1024 / pageSize);
  st = prepare(sql.c_str());
  sqlite3_step(st);
  sqlite3_finalize(st);
}

// Files from before the outbox was keyed by seq alone: `id TEXT UNIQUE` kept an index on the
// random ids. The table is small (undelivered events), so it is copied once, in order.
bool SqliteStore::migrateOutbox() {
  sqlite3_stmt* st = prepare("SELECT sql FROM sqlite_master WHERE type='table' AND name='outbox'");
  bool old = false;
  if (st && sqlite3_step(st) == SQLITE_ROW) {
    const char* sql = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    old = sql && std::string_view(sql).find("UNIQUE") != std::string_view::npos;
  }
  sqlite3_finalize(st);
  if (!old) return true;
  const bool ok =
      exec("BEGIN") &&
      exec(
          "CREATE TABLE outbox_new(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, device TEXT NOT "
          "NULL, path TEXT NOT NULL, body TEXT NOT NULL, method TEXT NOT NULL DEFAULT 'POST');"
          "INSERT INTO outbox_new(seq, id, device, path, body, method)"
          " SELECT seq, id, device, path, body, method FROM outbox ORDER BY seq;"
          "DROP TABLE outbox;"
          "ALTER TABLE outbox_new RENAME TO outbox;") &&
      exec("COMMIT");
  if (!ok && !sqlite3_get_autocommit(db_)) exec("ROLLBACK");
  if (ok) log::info("store_migrated", {{"table", "outbox"}, {"change", "keyed by seq alone"}});
  return ok;
}

bool SqliteStore::addColumnIfMissing(const char* table, const char* column, const char* decl) {
  sqlite3_stmt* st = prepare(
      (std::string("SELECT 1 FROM pragma_table_info('") + table + "') WHERE name=?").c_str());
  if (!st) return false;
  sqlite3_bind_text(st, 1, column, -1, SQLITE_STATIC);
  const bool present = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  return present ||
         exec((std::string("ALTER TABLE ") + table + " ADD COLUMN " + column + " " + decl).c_str());
}

bool SqliteStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    log::error("store_error", {{"error", err ? err : "?"}});
    sqlite3_free(err);
    return false;
  }
  return true;
}

sqlite3_stmt* SqliteStore::prepare(const char* sql) {
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db_, sql, -1, &st, nullptr);
  return st;
}

std::optional<FCntState> SqliteStore::loadFCnt(const std::string& interfaceId) {
  if (auto it = pendingFCnt_.find(interfaceId); it != pendingFCnt_.end()) return it->second;
  sqlite3_reset(loadFCnt_);
  sqlite3_bind_text(loadFCnt_, 1, interfaceId.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(loadFCnt_) != SQLITE_ROW) {
    sqlite3_reset(loadFCnt_);
    return std::nullopt;
  }
  FCntState s;
  s.devAddr = lorawan::DevAddr(uint32_t(sqlite3_column_int64(loadFCnt_, 0)));
  s.lastFCnt = uint32_t(sqlite3_column_int64(loadFCnt_, 1));
  s.lastHash = uint64_t(sqlite3_column_int64(loadFCnt_, 2));
  s.nextFCntDown = uint32_t(sqlite3_column_int64(loadFCnt_, 3));
  // Reset now: a statement left on a row keeps a read transaction open, which blocks WAL
  // checkpoints (the WAL would grow without bound) and other connections' writers.
  sqlite3_reset(loadFCnt_);
  return s;
}

std::unordered_map<std::string, FCntState> SqliteStore::allFCnt() {
  std::unordered_map<std::string, FCntState> out;
  sqlite3_stmt* st = prepare(
      "SELECT interface_id, dev_addr, last_fcnt, last_hash, next_fcnt_down FROM fcnt_state");
  if (!st) return out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    FCntState s;
    s.devAddr = lorawan::DevAddr(uint32_t(sqlite3_column_int64(st, 1)));
    s.lastFCnt = uint32_t(sqlite3_column_int64(st, 2));
    s.lastHash = uint64_t(sqlite3_column_int64(st, 3));
    s.nextFCntDown = uint32_t(sqlite3_column_int64(st, 4));
    out.emplace(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), s);
  }
  sqlite3_finalize(st);
  for (const auto& [id, s] : pendingFCnt_) out[id] = s;
  return out;
}

void SqliteStore::saveFCnt(const std::string& interfaceId, const FCntState& s) {
  pendingFCnt_[interfaceId] = s;
}

void SqliteStore::recordUplink(StoredUplink u) {
  pendingUplinks_.push_back(std::move(u));
}

void SqliteStore::flush() {
  if (pendingFCnt_.empty() && pendingUplinks_.empty() && pendingDownlinkUpdates_.empty() &&
      pendingOutbox_.empty() && completedOutbox_.empty() && pendingDeadLetters_.empty())
    return;
  // All or nothing: a failed write (disk full) rolls back and keeps every buffer, so accepted
  // data is retried at the next flush instead of dropped; problem() says why meanwhile.
  std::string failed;
  // After a failure nothing more runs: SQLite may have rolled the transaction back already, and
  // further statements would commit one by one.
  auto step = [&](sqlite3_stmt* st, const char* op) {
    if (!failed.empty()) return;
    const int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
      failed = std::string(op) + ": " + sqlite3_errmsg(db_);
  };
  exec("BEGIN");
  for (const auto& [seq, e] : pendingOutbox_) {
    sqlite3_stmt* st = insertOutbox_;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, seq);
    sqlite3_bind_text(st, 2, e.id.data(), int(e.id.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 3, e.device.data(), int(e.device.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 4, e.path.data(), int(e.path.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 5, e.body.data(), int(e.body.size()), SQLITE_STATIC);
    sqlite3_bind_text(st, 6, e.method.data(), int(e.method.size()), SQLITE_STATIC);
    step(st, "outbox");
  }
  for (const auto& [seq, status, response, at] : pendingDeadLetters_) {
    sqlite3_stmt* st = prepare(
        "INSERT INTO dead_letters(id, device, path, body, status, response, at_ms, method)"
        " SELECT id, device, path, body, ?, ?, ?, method FROM outbox WHERE seq=?");
    sqlite3_bind_int(st, 1, int(status));
    sqlite3_bind_text(st, 2, response.data(), int(response.size()), SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, at);
    sqlite3_bind_int64(st, 4, seq);
    step(st, "dead_letter");
    sqlite3_finalize(st);
  }
  auto removeFromOutbox = [&](int64_t seq) {
    sqlite3_reset(deleteOutbox_);
    sqlite3_bind_int64(deleteOutbox_, 1, seq);
    step(deleteOutbox_, "outbox_delete");
  };
  for (int64_t seq : completedOutbox_) removeFromOutbox(seq);
  for (const auto& d : pendingDeadLetters_) removeFromOutbox(std::get<0>(d));
  for (const auto& [id, d] : pendingDownlinkUpdates_) {
    sqlite3_stmt* st = prepare("UPDATE downlinks SET status=?, attempts=? WHERE id=?");
    sqlite3_bind_text(st, 1, d.status.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, d.attempts);
    sqlite3_bind_text(st, 3, id.c_str(), -1, SQLITE_TRANSIENT);
    step(st, "update_downlink");
    sqlite3_finalize(st);
  }
  for (const auto& [id, s] : pendingFCnt_) {
    sqlite3_reset(saveFCnt_);
    sqlite3_bind_text(saveFCnt_, 1, id.data(), int(id.size()), SQLITE_STATIC);
    sqlite3_bind_int64(saveFCnt_, 2, s.devAddr.value());
    sqlite3_bind_int64(saveFCnt_, 3, s.lastFCnt);
    sqlite3_bind_int64(saveFCnt_, 4, int64_t(s.lastHash));
    sqlite3_bind_int64(saveFCnt_, 5, s.nextFCntDown);
    step(saveFCnt_, "save_fcnt");
  }
  std::vector<ArchiveIndex::Entry> archived;
  archived.reserve(pendingUplinks_.size());
  int64_t lastSeq = lastUplinkSeq_;
  for (const auto& u : pendingUplinks_) {
    sqlite3_reset(insertUplink_);
    sqlite3_bind_text(insertUplink_, 1, u.id.data(), int(u.id.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insertUplink_, 2, u.receivedAtMs);
    sqlite3_bind_text(insertUplink_, 3, u.interfaceId.data(), int(u.interfaceId.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(insertUplink_, 4, u.deviceIdOrSlug.data(), int(u.deviceIdOrSlug.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(insertUplink_, 5, u.eventJson.data(), int(u.eventJson.size()), SQLITE_STATIC);
    step(insertUplink_, "record_uplink");
    lastSeq = sqlite3_last_insert_rowid(db_);
    archived.push_back({u.deviceIdOrSlug, lastSeq, u.receivedAtMs});
  }
  if (failed.empty() && !exec("COMMIT")) failed = std::string("commit: ") + sqlite3_errmsg(db_);
  if (!failed.empty()) {
    if (!sqlite3_get_autocommit(db_)) exec("ROLLBACK");  // unless SQLite rolled back already
    if (problem_.empty())
      log::error("store_write_failed", {{"error", failed}, {"kept", "in memory, retried"}});
    problem_ = failed;
    return;
  }
  if (!problem_.empty()) log::info("store_write_recovered", {{"after", problem_}});
  problem_.clear();
  uplinksSinceTrim_ += pendingUplinks_.size();
  lastUplinkSeq_ = lastSeq;
  if (archive_) archive_->add(archived);  // views into pendingUplinks_: before it is cleared
  pendingOutbox_.clear();
  pendingDeadLetters_.clear();
  completedOutbox_.clear();
  pendingDownlinkUpdates_.clear();
  pendingFCnt_.clear();
  pendingUplinks_.clear();
  // Bounded retention of the embedded platform's data: trim now and then, not per insert.
  if (uplinksSinceTrim_ >= 1000) {
    uplinksSinceTrim_ = 0;
    const int64_t below = lastUplinkSeq_ - int64_t(retention_) + 1;
    if (archive_)
      archive_->trimBelow(below);  // first: a reader never looks for a row being deleted
    std::string sql = "DELETE FROM uplinks WHERE seq < " + std::to_string(below);
    exec(sql.c_str());
  }
}

void SqliteStore::enqueueDownlink(const QueuedDownlink& d) {
  flush();
  sqlite3_stmt* st = prepare(
      "INSERT INTO downlinks(id, interface_id, fport, payload, confirmed, status, attempts, "
      "created_at_ms,"
      " platform_id, seq) VALUES(?,?,?,?,?,?,?,?,?,(SELECT IFNULL(MAX(seq),0)+1 FROM downlinks))");
  sqlite3_bind_text(st, 1, d.id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, d.interfaceId.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(st, 3, d.fport);
  sqlite3_bind_blob(st, 4, d.payload.data(), int(d.payload.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int(st, 5, d.confirmed ? 1 : 0);
  sqlite3_bind_text(st, 6, d.status.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 7, d.attempts);
  sqlite3_bind_int64(st, 8, d.createdAtMs);
  sqlite3_bind_text(st, 9, d.platformId.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) != SQLITE_DONE)
    log::error("store_error", {{"op", "enqueue_downlink"}, {"error", sqlite3_errmsg(db_)}});
  sqlite3_finalize(st);
}

// `where` binds the interface id as its first parameter unless `interfaceId` is null.
std::vector<QueuedDownlink> SqliteStore::selectDownlinks(const char* where,
                                                         const std::string* interfaceId,
                                                         size_t limit) {
  flush();
  std::vector<QueuedDownlink> out;
  sqlite3_stmt* st =
      prepare((std::string("SELECT id, interface_id, fport, payload, confirmed, status, attempts,"
                           " created_at_ms, platform_id FROM downlinks WHERE ") +
               where + " LIMIT ?")
                  .c_str());
  int param = 1;
  if (interfaceId) sqlite3_bind_text(st, param++, interfaceId->c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, param, int64_t(limit));
  while (sqlite3_step(st) == SQLITE_ROW) {
    QueuedDownlink d;
    d.id = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    d.interfaceId = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    d.fport = uint8_t(sqlite3_column_int(st, 2));
    const auto* blob = static_cast<const uint8_t*>(sqlite3_column_blob(st, 3));
    d.payload.assign(blob, blob + sqlite3_column_bytes(st, 3));
    d.confirmed = sqlite3_column_int(st, 4) != 0;
    d.status = reinterpret_cast<const char*>(sqlite3_column_text(st, 5));
    d.attempts = uint32_t(sqlite3_column_int64(st, 6));
    d.createdAtMs = sqlite3_column_int64(st, 7);
    d.platformId = reinterpret_cast<const char*>(sqlite3_column_text(st, 8));
    out.push_back(std::move(d));
  }
  sqlite3_finalize(st);
  return out;
}

std::vector<QueuedDownlink> SqliteStore::pendingDownlinks(const std::string& interfaceId) {
  return selectDownlinks("interface_id=? AND status IN ('queued','awaiting_ack') ORDER BY seq",
                         &interfaceId, 1000000);
}

std::vector<QueuedDownlink> SqliteStore::allPendingDownlinks() {
  return selectDownlinks("status IN ('queued','awaiting_ack') ORDER BY seq", nullptr,
                         size_t(INT64_MAX));
}

std::vector<QueuedDownlink> SqliteStore::listDownlinks(const std::string& interfaceId,
                                                       size_t limit) {
  return selectDownlinks("interface_id=? ORDER BY seq DESC", &interfaceId, limit);
}

void SqliteStore::updateDownlink(const QueuedDownlink& d) {
  pendingDownlinkUpdates_[d.id] = d;
}

bool SqliteStore::hasPlatformDownlink(const std::string& interfaceId,
                                      const std::string& platformId) {
  sqlite3_stmt* st = prepare("SELECT 1 FROM downlinks WHERE interface_id=? AND platform_id=?");
  sqlite3_bind_text(st, 1, interfaceId.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, platformId.c_str(), -1, SQLITE_TRANSIENT);
  const bool found = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  return found;
}

// An id already in the outbox is not written twice (a repeated status report is the same
// request).
void SqliteStore::enqueueOutbox(OutboxEntry e) {
  auto [it, added] = outbox_.try_emplace(e.id, OutboxRow{e.body.size(), nextOutboxSeq_});
  if (!added) return;
  ++nextOutboxSeq_;
  ++outboxRows_;
  outboxBytes_ += e.body.size();
  pendingOutbox_.emplace_back(it->second.seq, std::move(e));
}

std::vector<OutboxEntry> SqliteStore::loadOutbox() {
  flush();
  std::vector<OutboxEntry> out;
  sqlite3_stmt* st = prepare("SELECT id, device, path, body, method FROM outbox ORDER BY seq");
  auto text = [&](int c) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, c)));
  };
  while (sqlite3_step(st) == SQLITE_ROW)
    out.push_back({text(0), text(1), text(2), text(3), text(4)});
  sqlite3_finalize(st);
  return out;
}

void SqliteStore::completeOutbox(const std::string& id) {
  auto it = outbox_.find(id);
  if (it == outbox_.end()) return;  // not in the outbox: nothing to delete
  --outboxRows_;
  outboxBytes_ -= it->second.bytes;
  completedOutbox_.push_back(it->second.seq);
  outbox_.erase(it);
}

void SqliteStore::deadLetter(const std::string& id, unsigned status, const std::string& response,
                             int64_t atMs) {
  auto it = outbox_.find(id);
  if (it == outbox_.end()) return;  // not in the outbox: nothing to move
  --outboxRows_;
  outboxBytes_ -= it->second.bytes;
  pendingDeadLetters_.emplace_back(it->second.seq, status, response, atMs);
  outbox_.erase(it);
}

std::vector<DeadLetter> SqliteStore::deadLetters() {
  flush();
  std::vector<DeadLetter> out;
  sqlite3_stmt* st = prepare(
      "SELECT id, device, path, body, status, response, at_ms, method FROM dead_letters ORDER BY "
      "seq");
  auto text = [&](int c) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, c)));
  };
  while (sqlite3_step(st) == SQLITE_ROW)
    out.push_back({{text(0), text(1), text(2), text(3), text(7)},
                   unsigned(sqlite3_column_int(st, 4)),
                   text(5),
                   sqlite3_column_int64(st, 6)});
  sqlite3_finalize(st);
  return out;
}

std::optional<OutboxEntry> SqliteStore::retryDeadLetter(const std::string& id) {
  flush();
  std::optional<OutboxEntry> found;
  for (const auto& d : deadLetters())
    if (d.entry.id == id) found = d.entry;
  if (!found) return std::nullopt;
  exec("BEGIN");
  sqlite3_stmt* st = prepare("DELETE FROM dead_letters WHERE id=?");
  sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_step(st);
  sqlite3_finalize(st);
  exec("COMMIT");
  enqueueOutbox(*found);
  flush();
  return found;
}

void SqliteStore::saveApiInterface(const std::string& id, const std::string& json) {
  flush();
  sqlite3_stmt* st = prepare(
      "INSERT INTO api_interfaces(id, json, seq) VALUES(?, ?, (SELECT IFNULL(MAX(seq),0)+1 FROM "
      "api_interfaces))"
      " ON CONFLICT(id) DO UPDATE SET json=excluded.json");
  sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, json.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(st) != SQLITE_DONE)
    log::error("store_error", {{"op", "save_interface"}, {"error", sqlite3_errmsg(db_)}});
  sqlite3_finalize(st);
}

std::vector<std::pair<std::string, std::string>> SqliteStore::loadApiInterfaces() {
  std::vector<std::pair<std::string, std::string>> out;
  sqlite3_stmt* st = prepare("SELECT id, json FROM api_interfaces ORDER BY seq");
  while (sqlite3_step(st) == SQLITE_ROW)
    out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                     reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
  sqlite3_finalize(st);
  return out;
}

std::optional<SessionRecord> SqliteStore::loadSession(const std::string& interfaceId) {
  sqlite3_stmt* st = prepare(
      "SELECT dev_addr, lorawan11, f_nwk_s_int_key, s_nwk_s_int_key, nwk_s_enc_key, app_s_key, "
      "join_nonce,"
      " dev_nonce FROM sessions WHERE interface_id=?");
  sqlite3_bind_text(st, 1, interfaceId.c_str(), -1, SQLITE_TRANSIENT);
  std::optional<SessionRecord> out;
  if (sqlite3_step(st) == SQLITE_ROW) {
    // Keys are hex in the file (this store file is 0600); one that does not parse reads as zero.
    auto key = [&](int c) {
      const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
      return lorawan::Aes128Key::parse(t ? t : "").value_or(lorawan::Aes128Key{});
    };
    out = SessionRecord{lorawan::DevAddr(uint32_t(sqlite3_column_int64(st, 0))),
                        sqlite3_column_int(st, 1) != 0,
                        key(2),
                        key(3),
                        key(4),
                        key(5),
                        uint32_t(sqlite3_column_int64(st, 6)),
                        uint16_t(sqlite3_column_int(st, 7))};
  }
  sqlite3_finalize(st);
  return out;
}

namespace {
// Columns (last_join_nonce, dev_nonces "1,2,3") of an otaa_state row.
OtaaState otaaRow(sqlite3_stmt* st, int col) {
  OtaaState out;
  out.lastJoinNonce = uint32_t(sqlite3_column_int64(st, col));
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, col + 1));
  std::string list = text ? text : "";
  size_t pos = 0;
  while (pos < list.size()) {
    size_t comma = list.find(',', pos);
    if (comma == std::string::npos) comma = list.size();
    out.devNonces.push_back(
        uint16_t(std::strtoul(list.substr(pos, comma - pos).c_str(), nullptr, 10)));
    pos = comma + 1;
  }
  return out;
}
}  // namespace

OtaaState SqliteStore::loadOtaa(lorawan::Eui64 devEui) {
  sqlite3_stmt* st = prepare("SELECT last_join_nonce, dev_nonces FROM otaa_state WHERE dev_eui=?");
  sqlite3_bind_int64(st, 1, int64_t(devEui.value()));
  OtaaState out;
  if (sqlite3_step(st) == SQLITE_ROW) out = otaaRow(st, 0);
  sqlite3_finalize(st);
  return out;
}

std::vector<std::pair<lorawan::Eui64, OtaaState>> SqliteStore::allOtaa() {
  std::vector<std::pair<lorawan::Eui64, OtaaState>> out;
  sqlite3_stmt* st = prepare("SELECT dev_eui, last_join_nonce, dev_nonces FROM otaa_state");
  while (sqlite3_step(st) == SQLITE_ROW)
    out.emplace_back(lorawan::Eui64(uint64_t(sqlite3_column_int64(st, 0))), otaaRow(st, 1));
  sqlite3_finalize(st);
  return out;
}

void SqliteStore::commitJoin(const std::string& interfaceId, lorawan::Eui64 devEui,
                             const OtaaState& otaa, const SessionRecord& s) {
  flush();  // earlier buffered counters first: one ordered history
  exec("BEGIN");
  std::string nonces;
  for (uint16_t n : otaa.devNonces) nonces += (nonces.empty() ? "" : ",") + std::to_string(n);
  sqlite3_stmt* st = prepare(
      "INSERT INTO otaa_state(dev_eui, last_join_nonce, dev_nonces) VALUES(?,?,?) ON "
      "CONFLICT(dev_eui)"
      " DO UPDATE SET last_join_nonce=excluded.last_join_nonce, dev_nonces=excluded.dev_nonces");
  sqlite3_bind_int64(st, 1, int64_t(devEui.value()));
  sqlite3_bind_int64(st, 2, otaa.lastJoinNonce);
  sqlite3_bind_text(st, 3, nonces.c_str(), -1, SQLITE_TRANSIENT);
  bool ok = sqlite3_step(st) == SQLITE_DONE;
  sqlite3_finalize(st);
  st = prepare(
      "INSERT OR REPLACE INTO sessions(interface_id, dev_addr, lorawan11, f_nwk_s_int_key, "
      "s_nwk_s_int_key,"
      " nwk_s_enc_key, app_s_key, join_nonce, dev_nonce) VALUES(?,?,?,?,?,?,?,?,?)");
  sqlite3_bind_text(st, 1, interfaceId.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, s.devAddr.value());
  sqlite3_bind_int(st, 3, s.lorawan11 ? 1 : 0);
  sqlite3_bind_text(st, 4, s.fNwkSIntKey.hex().c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 5, s.sNwkSIntKey.hex().c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 6, s.nwkSEncKey.hex().c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 7, s.appSKey.hex().c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 8, s.joinNonce);
  sqlite3_bind_int(st, 9, s.devNonce);
  ok = sqlite3_step(st) == SQLITE_DONE && ok;
  sqlite3_finalize(st);
  st = prepare("DELETE FROM fcnt_state WHERE interface_id=?");
  sqlite3_bind_text(st, 1, interfaceId.c_str(), -1, SQLITE_TRANSIENT);
  ok = sqlite3_step(st) == SQLITE_DONE && ok;
  sqlite3_finalize(st);
  if (!ok) log::error("store_error", {{"op", "commit_join"}, {"error", sqlite3_errmsg(db_)}});
  exec("COMMIT");
}

// Rows of "SELECT id, received_at_ms, interface_id, device, event_json FROM uplinks ...".
static std::vector<StoredUplink> readUplinkRows(sqlite3_stmt* st) {
  std::vector<StoredUplink> out;
  auto text = [&](int c) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, c)));
  };
  while (sqlite3_step(st) == SQLITE_ROW)
    out.push_back({text(0), sqlite3_column_int64(st, 1), text(2), text(3), text(4)});
  return out;
}

// The rows of `seqs` in that order (one trimmed meanwhile is left out).
std::vector<StoredUplink> SqliteStore::uplinksBySeq(const std::vector<int64_t>& seqs) {
  std::vector<StoredUplink> out;
  sqlite3_stmt* st = prepare(
      "SELECT id, received_at_ms, interface_id, device, event_json FROM uplinks WHERE seq=?");
  for (int64_t seq : seqs) {
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, seq);
    auto row = readUplinkRows(st);
    for (auto& r : row) out.push_back(std::move(r));
  }
  sqlite3_finalize(st);
  return out;
}

UplinkPage SqliteStore::queryUplinks(const std::string& device, int64_t startMs, int64_t endMs,
                                     size_t offset, size_t limit, bool newestFirst) {
  flush();
  UplinkPage page;
  if (archive_) {
    auto found = archive_->find(device, startMs, endMs, offset, limit, newestFirst);
    page.total = found.total;
    page.items = uplinksBySeq(found.seqs);
    return page;
  }
  // A reader opened without the writer's index: the same answer by a scan.
  sqlite3_stmt* count =
      prepare("SELECT COUNT(*) FROM uplinks WHERE device=? AND received_at_ms BETWEEN ? AND ?");
  sqlite3_bind_text(count, 1, device.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(count, 2, startMs);
  sqlite3_bind_int64(count, 3, endMs);
  if (sqlite3_step(count) == SQLITE_ROW) page.total = size_t(sqlite3_column_int64(count, 0));
  sqlite3_finalize(count);
  sqlite3_stmt* st = prepare(
      newestFirst
          ? "SELECT id, received_at_ms, interface_id, device, event_json FROM uplinks"
            " WHERE device=? AND received_at_ms BETWEEN ? AND ? ORDER BY seq DESC LIMIT ? OFFSET ?"
          : "SELECT id, received_at_ms, interface_id, device, event_json FROM uplinks"
            " WHERE device=? AND received_at_ms BETWEEN ? AND ? ORDER BY seq LIMIT ? OFFSET ?");
  sqlite3_bind_text(st, 1, device.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, startMs);
  sqlite3_bind_int64(st, 3, endMs);
  sqlite3_bind_int64(st, 4, int64_t(limit));
  sqlite3_bind_int64(st, 5, int64_t(offset));
  page.items = readUplinkRows(st);
  sqlite3_finalize(st);
  return page;
}

std::vector<StoredUplink> SqliteStore::recentUplinks(const std::string& device, size_t limit) {
  flush();
  if (archive_) return uplinksBySeq(archive_->recent(device, limit));
  std::vector<StoredUplink> out;
  sqlite3_stmt* st = prepare(
      "SELECT id, received_at_ms, interface_id, device, event_json FROM uplinks WHERE device=?"
      " ORDER BY seq DESC LIMIT ?");
  sqlite3_bind_text(st, 1, device.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, int64_t(limit));
  out = readUplinkRows(st);
  sqlite3_finalize(st);
  return out;
}

}  // namespace bridge
