#include <algorithm>
#include <string>

#include "base/digest.h"
#include "base/ids.h"
#include "journal/journal_internal.h"

namespace glassbox::journal::detail {
namespace {

// Format 3. See journal/FORMAT.md for what each table holds and why.
constexpr const char* kTailV2 = R"sql(
CREATE TABLE tail(
  seq INTEGER PRIMARY KEY,
  state INTEGER NOT NULL,
  recorded_at_ms INTEGER NOT NULL,
  line BLOB NOT NULL);
)sql";

constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE blocks(
  id INTEGER PRIMARY KEY,
  level INTEGER NOT NULL,
  first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL,
  count INTEGER NOT NULL,
  min_ms INTEGER NOT NULL,
  max_ms INTEGER NOT NULL,
  raw_bytes INTEGER NOT NULL,
  seq_runs BLOB NOT NULL,
  state_runs BLOB NOT NULL,
  body BLOB NOT NULL);
CREATE INDEX blocks_last_seq ON blocks(last_seq);
CREATE INDEX blocks_level ON blocks(level, first_seq);
CREATE TABLE spans(
  span_id TEXT PRIMARY KEY,
  started_ms INTEGER NOT NULL,
  line BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE ledger(
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  destination TEXT NOT NULL,
  events INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  result TEXT NOT NULL);
CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
)sql";

Status Create(sqlite3* db) {
  GLASSBOX_RETURN_IF_ERROR(Exec(db, kSchemaV3));
  GLASSBOX_RETURN_IF_ERROR(Exec(db, kTailV2));
  Stmt s;
  GLASSBOX_RETURN_IF_ERROR(s.Prepare(db, "INSERT INTO meta(key, value) VALUES (?, ?)"));
  std::string key_bytes = base::RandomBytes(32);
  if (key_bytes.size() != 32) return Status::IoError("no randomness for the install secret");
  for (auto [k, v] : {std::pair<std::string, std::string>{"install_id", base::NewUuidV7()},
                      {"created_at", base::Rfc3339(base::Clock::now())},
                      {"hmac_key", base::ToHex(key_bytes)}}) {
    s.Bind(1, k);
    s.Bind(2, v);
    GLASSBOX_RETURN_IF_ERROR(s.Exec());
    s.Reset();
  }
  return Exec(db, "PRAGMA user_version = 3");
}

// Format 1 numbered the tail with AUTOINCREMENT, which writes sqlite_sequence in every append:
// a second page per commit (journal/FORMAT.md, "Sequence numbers"). The high-water mark moves
// to meta `seq_floor`. The seq column keeps its place, and `recorded_ms` is renamed, so a
// format-1 writer still connected (a host process started before the upgrade) fails on its
// next insert instead of letting SQLite number the row after the tail's largest seq, which
// after a seal could be a seq already in a block.
Status MigrateV1ToV2(sqlite3* db) {
  GLASSBOX_RETURN_IF_ERROR(Exec(db,
                                "INSERT INTO meta(key, value) SELECT 'seq_floor', seq "
                                "FROM sqlite_sequence WHERE name = 'tail' "
                                "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  GLASSBOX_RETURN_IF_ERROR(Exec(db, "ALTER TABLE tail RENAME TO tail_v1"));
  GLASSBOX_RETURN_IF_ERROR(Exec(db, kTailV2));
  GLASSBOX_RETURN_IF_ERROR(Exec(db,
                                "INSERT INTO tail(seq, state, recorded_at_ms, line) "
                                "SELECT seq, state, recorded_ms, line FROM tail_v1"));
  GLASSBOX_RETURN_IF_ERROR(Exec(db, "DROP TABLE tail_v1"));
  return Exec(db, "PRAGMA user_version = 2");
}

// Format 3 stores a block's seqs and states as runs (a block of 4,096 events: 4 bytes each
// instead of 4,096). The blobs already there stay as they are: the decoders read both forms.
// The columns are renamed so a format-2 process still connected fails on its next statement
// over blocks, as an error, instead of reading a run list as a damaged list and moving the
// journal aside.
Status MigrateV2ToV3(sqlite3* db) {
  GLASSBOX_RETURN_IF_ERROR(Exec(db, "ALTER TABLE blocks RENAME COLUMN seqs TO seq_runs"));
  GLASSBOX_RETURN_IF_ERROR(Exec(db, "ALTER TABLE blocks RENAME COLUMN states TO state_runs"));
  return Exec(db, "PRAGMA user_version = 3");
}

// A new journal gets auto_vacuum = INCREMENTAL, so pages that sealing frees can be given back
// (Journal::ReleaseFreePages). The mode can only change while the database has no tables, and
// the switch to WAL has already written its first page, so it takes a VACUUM of the empty
// database; that runs through the WAL, so a failure leaves no hot rollback journal behind.
// Best effort: a journal without it only keeps its free pages for reuse.
void EnableIncrementalVacuum(sqlite3* db) {
  Stmt s;
  Status st = s.Prepare(db,
                        "SELECT (SELECT count(*) FROM sqlite_schema), "
                        "(SELECT auto_vacuum FROM pragma_auto_vacuum)");
  if (!st.ok() || !s.Step(&st) || s.Int(0) != 0 || s.Int(1) != 0) return;
  s.Reset();
  (void)Exec(db, "PRAGMA auto_vacuum = INCREMENTAL");
  (void)Exec(db, "VACUUM");
}

// Switching a new file to WAL needs its exclusive lock, and SQLite answers "locked" at once,
// without the busy handler, when several processes create the same journal together. Retry
// like the busy handler would, for as long as it would.
Status EnableWal(sqlite3* db, int busy_timeout_ms) {
  int waited_ms = 0;
  for (int pause_ms = 1;; pause_ms = std::min(pause_ms * 2, 50)) {
    Status st = Exec(db, "PRAGMA journal_mode = WAL");
    if (st.code() != StatusCode::kBusy || waited_ms >= busy_timeout_ms) return st;
    sqlite3_sleep(pause_ms);
    waited_ms += pause_ms;
  }
}

}  // namespace

Status Configure(sqlite3* db, const Options& options) {
  GLASSBOX_RETURN_IF_ERROR(options.read_only ? Exec(db, "PRAGMA query_only = 1")
                                             : EnableWal(db, options.busy_timeout_ms));
  if (!options.read_only) {
    // Deleted rows are overwritten with zeros, whatever the SQLite build's default (Debian's
    // is ON; upstream's OFF). Sealing and merging switch to FAST while they move rows
    // (MovingRows in journal_write.cc).
    GLASSBOX_RETURN_IF_ERROR(Exec(db, "PRAGMA secure_delete = ON"));
  }
  // With a background sealer, it checkpoints after each pass (journal/sealer.cc); the
  // appending connection only when the WAL grows past what those passes keep up with.
  if (options.background_seal && !options.read_only) {
    GLASSBOX_RETURN_IF_ERROR(Exec(db, "PRAGMA wal_autocheckpoint = 4000"));
  }
  return Exec(db, options.sync == Sync::kFull ? "PRAGMA synchronous = FULL"
                                              : "PRAGMA synchronous = NORMAL");
}

Result<int> FormatVersion(sqlite3* db) {
  Stmt s;
  GLASSBOX_RETURN_IF_ERROR(s.Prepare(db, "PRAGMA user_version"));
  Status st;
  int v = s.Step(&st) ? static_cast<int>(s.Int(0)) : 0;
  GLASSBOX_RETURN_IF_ERROR(st);
  return v;
}

Status Migrate(sqlite3* db, bool* created) {
  *created = false;
  auto version = FormatVersion(db);
  if (!version.ok()) return version.status();
  if (version.value() == kFormatVersion) return Status::Ok();
  if (version.value() > kFormatVersion) {
    return Status::IoError("journal format " + std::to_string(version.value()) +
                           " is newer than this glassbox understands (" +
                           std::to_string(kFormatVersion) + ")");
  }
  EnableIncrementalVacuum(db);
  Transaction txn(db);
  GLASSBOX_RETURN_IF_ERROR(txn.Begin(true));
  version = FormatVersion(db);  // another process may have migrated meanwhile
  if (!version.ok()) return version.status();
  if (version.value() == 0) GLASSBOX_RETURN_IF_ERROR(Create(db));
  if (version.value() == 1) GLASSBOX_RETURN_IF_ERROR(MigrateV1ToV2(db));
  if (version.value() == 1 || version.value() == 2) GLASSBOX_RETURN_IF_ERROR(MigrateV2ToV3(db));
  GLASSBOX_RETURN_IF_ERROR(txn.Commit());
  *created = version.value() == 0;
  return Status::Ok();
}

}  // namespace glassbox::journal::detail
