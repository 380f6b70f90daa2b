#pragma once
// Damaged journals: detection, moving aside, salvage and a fresh start.
//
// A journal is damaged when SQLite reports it corrupt or "not a database", when quick_check
// fails at open, when it is shorter than its header says, or (deep check) when a block's
// zstd frame fails its checksum or a row is not an event. Recovery then, under an exclusive
// lock on the journal's directory:
//   1. renames journal.db to journal.db.corrupt-YYYYMMDDTHHMMSSZ (mode 0600) and its WAL with
//      it, so nothing is destroyed;
//   2. reads what it can from the damaged file: meta (install id, secret, consent), ledger,
//      counters, open spans, and every event whose block or row still decodes;
//   3. creates a fresh journal at the original path holding all of that, plus a ledger entry
//      of kind "recovery" that `glassbox doctor` reports.
// If the damaged file's meta cannot be read, consent is unknown and the fresh journal is set
// to `local` (record, never upload) until a person decides again.
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "journal/journal.h"

namespace glassbox::journal {

struct RecoveryReport {
  std::string reason;    // what was found damaged; empty when nothing was done
  std::string moved_to;  // the damaged file's new path
  int64_t salvaged_events = 0;
  int64_t unreadable = 0;  // blocks, rows or tables that could not be read
  bool meta_salvaged = false;
  std::string Summary() const;  // one line for people (no event values)
};

// Identity of the file at a path (device + inode), to tell "the file I judged damaged" from a
// fresh journal another process created meanwhile.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  bool exists = false;
  static FileId Of(const std::string& path);
  bool operator==(const FileId& o) const {
    return exists == o.exists && dev == o.dev && ino == o.ino;
  }
};

// True for the statuses that mean the file's contents are damaged (not busy, not an I/O
// error of the moment, not a usage error).
bool IsDamage(const Status& status);

// Opens the journal; when it is damaged (and not read-only), recovers it and opens the fresh
// one. *report says what recovery did (reason empty when the journal was fine).
Result<std::unique_ptr<Journal>> OpenOrRecover(const Options& options, RecoveryReport* report);

// Recovers the journal at options.path if it is still the file `judged` (another process may
// have recovered it meanwhile: then nothing is done and the result is OK).
// REQUIRES: no Journal of this process has the file open.
Status Recover(const Options& options, const std::string& reason, const FileId& judged,
               RecoveryReport* report);

struct DeepCheckResult {
  std::string integrity;  // PRAGMA integrity_check's verdict ("ok" when intact)
  int64_t blocks = 0, events = 0;
  std::string problem;  // empty when everything decoded; otherwise the first problem found
  bool ok() const { return integrity == "ok" && problem.empty(); }
};
// Reads everything: integrity_check, every block (checksum, sequence list), every row
// (a JSON object with an event_id). Returns an error only when the check itself cannot run.
Status DeepCheck(const Journal& journal, DeepCheckResult* result);

}  // namespace glassbox::journal
