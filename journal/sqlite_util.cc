#include "journal/sqlite_util.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

namespace glassbox::journal::detail {
namespace {

// SQLite's own busy handler sleeps 1, 2, 5, 10, ... ms between tries. The locks a journal
// waits for are held far shorter (a record() commit, the background sealer's insert and
// delete), so that first millisecond was most of a waiting record()'s time. This one sleeps
// 20 µs, doubling to at most 1 ms, until `timeout_ms` has passed since the first try.
int BusyWait(void* timeout_ms, int count) {
  using Clock = std::chrono::steady_clock;
  thread_local Clock::time_point first_try;  // one lock is waited for at a time per thread
  const Clock::time_point now = Clock::now();
  if (count == 0) first_try = now;
  if (now - first_try >= std::chrono::milliseconds(*static_cast<const int*>(timeout_ms))) {
    return 0;
  }
  std::this_thread::sleep_for(std::chrono::microseconds(std::min(20 << std::min(count, 6), 1000)));
  return 1;
}

}  // namespace

void SetBusyWait(sqlite3* db, const int* timeout_ms) {
  sqlite3_busy_handler(db, BusyWait, const_cast<int*>(timeout_ms));
}

Status SqlError(sqlite3* db, int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  int primary = rc & 0xFF;
  // "disk I/O error" says little; the operating system's reason says what to fix.
  int sys_errno = db ? sqlite3_system_errno(db) : 0;
  if (sys_errno != 0 && (primary == SQLITE_IOERR || primary == SQLITE_FULL ||
                         primary == SQLITE_CANTOPEN || primary == SQLITE_READONLY)) {
    msg += std::string(" (") + std::strerror(sys_errno) + ")";
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Busy(msg);
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) return Status::Corruption(msg);
  return Status::IoError(msg);
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

Status Stmt::Prepare(sqlite3* db, std::string_view sql) {
  db_ = db;
  sqlite3_finalize(stmt_);
  stmt_ = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  return rc == SQLITE_OK ? Status::Ok() : SqlError(db, rc, "prepare");
}

bool Stmt::Step(Status* status) {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) *status = SqlError(db_, rc, "step");
  return false;
}

Status Stmt::Exec() {
  Status status;
  while (Step(&status)) {
  }
  return status;
}

std::string_view Stmt::Text(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  int n = sqlite3_column_bytes(stmt_, col);
  // NULL (or an empty blob) is an empty view that still points somewhere: callers hand views
  // to C functions (simdjson copies with memcpy) that must not be given a null pointer.
  return p ? std::string_view(static_cast<const char*>(p), static_cast<size_t>(n))
           : std::string_view("", 0);
}

Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc == SQLITE_OK) return Status::Ok();
  // Name the statement (its first line: every caller passes a constant, never data), so a
  // "database is locked" says which step met the lock.
  std::string_view statement(sql);
  statement.remove_prefix(std::min(statement.size(), statement.find_first_not_of(" \n")));
  return SqlError(db, rc, statement.substr(0, statement.find('\n')));
}

namespace {

// Runs a prepared statement that returns no rows; errors are named like Exec's.
Status ExecPrepared(sqlite3* db, Stmt& s, const char* sql) {
  int rc = sqlite3_step(s.get());
  Status st = rc == SQLITE_DONE ? Status::Ok() : SqlError(db, rc, sql);
  sqlite3_reset(s.get());
  return st;
}

}  // namespace

Transaction::~Transaction() {
  if (open_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Status Transaction::Begin(bool write) {
  GLASSBOX_RETURN_IF_ERROR(write && begin_write_ && begin_write_->get()
                               ? ExecPrepared(db_, *begin_write_, "BEGIN IMMEDIATE")
                               : Exec(db_, write ? "BEGIN IMMEDIATE" : "BEGIN"));
  open_ = true;
  return Status::Ok();
}

Status Transaction::Commit() {
  GLASSBOX_RETURN_IF_ERROR(commit_ && commit_->get() ? ExecPrepared(db_, *commit_, "COMMIT")
                                                     : Exec(db_, "COMMIT"));
  open_ = false;
  return Status::Ok();
}

}  // namespace glassbox::journal::detail
