#pragma once
// RAII over the SQLite C API, private to journal/.
#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "glassbox/status.h"

namespace glassbox::journal::detail {

Status SqlError(sqlite3* db, int rc, std::string_view what);

// Waits for a lock held by another connection for up to `timeout_ms` (sqlite_util.cc). The
// pointed-to value must outlive the connection.
void SetBusyWait(sqlite3* db, const int* timeout_ms);

// A prepared statement that is reset (bindings cleared) whenever a Reset guard leaves scope.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt(Stmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  ~Stmt() { sqlite3_finalize(stmt_); }

  Status Prepare(sqlite3* db, std::string_view sql);
  sqlite3_stmt* get() const { return stmt_; }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, std::string_view v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void BindBlob(int i, std::string_view v) {
    sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  // SQLITE_ROW -> true, SQLITE_DONE -> false; anything else is an error in *status.
  bool Step(Status* status);
  Status Exec();  // steps to completion
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string_view Text(int col) const;
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

Status Exec(sqlite3* db, const char* sql);

// Declared before the Transaction of a seal or merge: rows it moves live on in the new block,
// so zeroing the pages they leave (secure_delete = ON, which Configure sets) is only I/O,
// half of a seal's commit. Deletions keep ON and then release the free pages
// (Journal::ReleaseFreePagesAfterDeletion), so no free page keeps a copy of a deleted event.
// A journal without incremental auto-vacuum (created before 2026-11-26) cannot release its
// free pages, so there `fast` is false and moves zero what they leave too.
class MovingRows {
 public:
  MovingRows(sqlite3* db, bool fast) : db_(fast ? db : nullptr) {
    if (db_) (void)Exec(db_, "PRAGMA secure_delete = FAST");
  }
  ~MovingRows() {
    if (db_) (void)Exec(db_, "PRAGMA secure_delete = ON");
  }
  MovingRows(const MovingRows&) = delete;
  MovingRows& operator=(const MovingRows&) = delete;

 private:
  sqlite3* db_;
};

// Resets a statement on every path out of a scope.
class ResetGuard {
 public:
  explicit ResetGuard(Stmt& s) : s_(s) {}
  ~ResetGuard() { s_.Reset(); }
  ResetGuard(const ResetGuard&) = delete;
  ResetGuard& operator=(const ResetGuard&) = delete;

 private:
  Stmt& s_;
};

// BEGIN (IMMEDIATE for writers) ... COMMIT, rolled back unless Commit() succeeded.
// A hot path passes its prepared "BEGIN IMMEDIATE" and "COMMIT" (both compiled once per
// connection instead of per transaction).
class Transaction {
 public:
  Transaction(sqlite3* db) : db_(db) {}  // NOLINT
  Transaction(sqlite3* db, Stmt* begin_write, Stmt* commit)
      : db_(db), begin_write_(begin_write), commit_(commit) {}
  ~Transaction();
  Status Begin(bool write);
  Status Commit();

 private:
  sqlite3* db_;
  Stmt* begin_write_ = nullptr;
  Stmt* commit_ = nullptr;
  bool open_ = false;
};

}  // namespace glassbox::journal::detail
