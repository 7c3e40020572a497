#pragma once
// Another process's write transaction on a SQLite file (BEGIN IMMEDIATE on its own connection):
// the bridge's commits wait behind it, as behind a stalled disk, until release().
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

namespace testsupport {

class SqliteWriteLock {
 public:
  explicit SqliteWriteLock(const std::string& path) {
    sqlite3_open(path.c_str(), &db_);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db_);
  }
  void release() {
    if (!db_) return;
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db_);
    db_ = nullptr;
  }
  ~SqliteWriteLock() { release(); }
  SqliteWriteLock(const SqliteWriteLock&) = delete;
  SqliteWriteLock& operator=(const SqliteWriteLock&) = delete;

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace testsupport
