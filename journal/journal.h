#pragma once
// The local journal: one SQLite database (WAL) holding anonymized events as NDJSON lines,
// sealed into zstd-compressed blocks, plus per-event state, open spans, the ledger and
// counters. The layout is specified in journal/FORMAT.md.
//
// Thread safety: a Journal is used by one thread at a time; several processes (and several
// Journal objects) may share one file.
#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "glassbox/status.h"

namespace glassbox::journal {

enum class EventState : uint8_t { kPending = 0, kSent = 1, kExported = 2, kLocal = 3 };
const char* StateName(EventState s);
std::optional<EventState> ParseState(std::string_view name);

enum class Sync { kNormal, kFull };

inline constexpr const char* kInMemoryPath = ":memory:";
// SQLite's private temporary database: a file in the temporary directory, unlinked as soon
// as it is opened, so it holds more than memory would at the cost of a 2 MiB page cache and
// leaves nothing behind (inspect FILE.gbx stages a bundle into one).
inline constexpr const char* kTemporaryPath = ":temporary:";

struct Options {
  // Empty: DefaultJournalPath(). kInMemoryPath, kTemporaryPath: private to this Journal.
  std::string path;
  Sync sync = Sync::kNormal;  // kNormal survives kill -9; kFull also survives power loss
  int busy_timeout_ms = 30000;
  bool read_only = false;
  // Three-level layout (journal/FORMAT.md): every `seal_events` tail rows become a level-0
  // block compressed fast; the oldest `merge_blocks` level-0 blocks are merged into one
  // level-1 block and the oldest `top_merge_blocks` level-1 blocks into one level-2 block, both
  // compressed hard, which is what brings the journal near zstd -19 of its content.
  int seal_events = 128;
  int64_t seal_bytes = 1 << 20;
  int seal_compression_level = 3;
  int merge_blocks = 8;      // 1,024 events per level-1 block
  int top_merge_blocks = 4;  // 4,096 events per level-2 block
  // With block_codec's minimum match of 6 bytes, as small as level 8 with zstd's defaults on
  // event streams, and ~1.3x faster (bench/README.md).
  int merge_compression_level = 6;
  // Seal and merge in a background thread with its own connection instead of inside
  // Append(), so an append costs its commit and no compression. The thread starts the first
  // time a seal is due and finishes what was asked of it when the Journal closes.
  bool background_seal = false;
  // Buffered writers (one writer thread, many events per append): let the tail grow to a
  // level-2 block's worth and seal it straight into level-2 blocks, so each event is
  // compressed once instead of three times (journal/FORMAT.md, "Held tails"). What the
  // levels below hold is folded up first. ReleaseTail() ends it; the tail is sealed as usual.
  bool hold_tail = false;
  // Run quick_check at open (found damage is then recovered before any write). The
  // background sealer's own connection skips it: the same process checked the file a moment
  // ago, and on a large journal the check reads every page.
  bool check_on_open = true;
  // A file up to `whole_check_bytes` is checked whole at every open (about a millisecond).
  // A larger one is checked whole when its last whole check (meta `checked_at`) is older than
  // `whole_check_interval_ms`, and otherwise only in the tables a write goes through, so a
  // process's start-up does not grow with the journal (journal/check.cc).
  int64_t whole_check_bytes = 8 << 20;
  int64_t whole_check_interval_ms = 24 * 3600 * 1000;
};

struct SpanChange {
  enum class Kind { kNone, kOpen, kClose } kind = Kind::kNone;
  std::string_view span_id;
};

struct NewEvent {
  std::string_view line;  // one NDJSON event, no newline
  EventState state = EventState::kPending;
  int64_t recorded_at_ms = 0;
  SpanChange span;
};

// A sealed block as a scan passes through it (journal/FORMAT.md, "Events and blocks").
struct SealedBlock {
  int level = 0;
  int64_t first_seq = 0, last_seq = 0;
  int64_t count = 0;       // events in the block, whatever their state
  int64_t text_bytes = 0;  // its text, decompressed: `count` lines, each ending "\n"
  std::string_view frame;  // the stored zstd frame of that text
};

struct StoredEvent {
  int64_t seq;
  EventState state;
  std::string_view line;  // valid only during the callback
  // The block the event is sealed in, or null for a tail row; valid only during the callback.
  // Replay sends a batch that is exactly one block as the block's own frame (replay/WIRE.md).
  const SealedBlock* block = nullptr;
};

struct ScanOptions {
  std::optional<EventState> state;  // only events in this state
  int64_t after_seq = 0;            // only seq > after_seq
};

struct LedgerEntry {
  int64_t id = 0;
  std::string at;           // RFC 3339
  std::string kind;         // upload | export | import | delete | retention
  std::string destination;  // endpoint, file, or reason
  int64_t events = 0;
  int64_t bytes = 0;
  std::string sha256;  // of the body, when there is one
  std::string result;  // "ok", "http 503", ...
};

struct OpenSpan {
  std::string span_id;
  int64_t started_at_ms;
  std::string line;  // the started event
};

struct StateCounts {
  int64_t pending = 0, sent = 0, exported = 0, local = 0;
  int64_t total() const { return pending + sent + exported + local; }
};

class Journal {
 public:
  static Result<std::unique_ptr<Journal>> Open(const Options& options);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Appends events in one transaction; each survives kill -9 once this returns OK.
  // `span` (when set) opens a span with this event as its `started` line, or closes it.
  // `ledger` (when set) is appended in the same transaction (import).
  Status Append(const std::vector<NewEvent>& events, std::vector<int64_t>* seqs = nullptr,
                const LedgerEntry* ledger = nullptr);
  // Append for more events than should be held at once (import, a staged bundle): `produce`
  // hands each event to `add` (its line need live only during the call), all in one
  // transaction; an error from either rolls everything back. `ledger` is read after
  // `produce` returns, so it may count what was added. Afterwards the tail is sealed and the
  // pages it took are given back, so a bulk append leaves no file-sized hole behind.
  using EventSink = std::function<Status(const NewEvent& add)>;
  Status AppendFrom(const std::function<Status(const EventSink& add)>& produce,
                    const LedgerEntry* ledger = nullptr);

  // Streams events in journal order from one consistent snapshot. Return false to stop.
  Status Scan(const ScanOptions& options,
              const std::function<bool(const StoredEvent&)>& visit) const;

  // Moves events to `state` and appends `ledger` (if any) in one transaction.
  Status SetStates(const std::vector<int64_t>& seqs, EventState state, const LedgerEntry* ledger);
  // Deletes every event in `state` and appends `ledger` (if any, its `events` set to the
  // count), in one transaction.
  Status DeleteInState(EventState state, const LedgerEntry* ledger, int64_t* deleted);
  // Deletes events in `state` recorded before `before_ms` (a sealed block counts by its newest
  // event, so events can outlive the bound by one block's span), adds the count to counter
  // `counter` (unless empty) and appends `ledger` (if any), in one transaction.
  Status DeleteInStateBefore(EventState state, int64_t before_ms, std::string_view counter,
                             const LedgerEntry* ledger, int64_t* deleted);
  // Deletes whole blocks, oldest first, whose events are all older than `before_ms`, then
  // more while the journal's used bytes exceed `max_bytes` (0 = no limit). Dropped events are
  // added to counter `counter`.
  Status DropOldBlocks(int64_t before_ms, int64_t max_bytes, std::string_view counter,
                       int64_t* dropped);
  // Bytes in use by the database (pages not on the free list) plus the WAL.
  int64_t UsedBytes() const;

  Status AppendLedger(const LedgerEntry& entry);
  Status ListLedger(const std::function<bool(const LedgerEntry&)>& visit) const;

  Result<OpenSpan> FindSpan(std::string_view span_id) const;
  Status ListSpans(const std::function<bool(const OpenSpan&)>& visit) const;

  Result<StateCounts> CountStates() const;
  // The largest sequence number ever assigned (0 for a new journal); later appends get more.
  Result<int64_t> LastSeq() const;
  Result<std::string> GetMeta(std::string_view key) const;  // NotFound when absent
  Status SetMeta(std::string_view key, std::string_view value);
  Status AddCounter(std::string_view name, int64_t delta);
  Result<int64_t> Counter(std::string_view name) const;
  Status ListCounters(const std::function<bool(std::string_view, int64_t)>& visit) const;

  std::string install_id() const { return install_id_; }
  const std::string& path() const { return path_; }
  // Opened with path ":memory:": SQLite's private in-memory database; no file is touched.
  bool in_memory() const { return path_ == kInMemoryPath; }
  // In memory or temporary: no path of ours, so no sidecar, no lock, no sealer thread.
  bool is_private() const { return in_memory() || path_ == kTemporaryPath; }
  // Bytes of the database file and its WAL.
  int64_t FileBytes() const;
  // Seals the tail into blocks and merges level-0 blocks now (normally done as they fill).
  Status Seal();
  // Seals only full runs of tail rows and merges only a full run of level-0 blocks: what an
  // append does after its commit (or has done in the background).
  Status SealFull();
  // Ends Options::hold_tail for this Journal and seals the tail it held as any append would
  // (a held tail is raw text; a journal at rest keeps at most a level-0 block's worth).
  Status ReleaseTail();
  // Gives the pages on the free list back to the file system. Journals created with
  // auto_vacuum = INCREMENTAL (all since 2026-11-26) shrink; in older ones the pages stay
  // free for reuse.
  Status ReleaseFreePages();
  Status IntegrityCheck(std::string* report) const;
  // True when the file at path() is no longer the one this object opened (moved aside by a
  // recovery in another process, or deleted): reopen to write where others read.
  bool Replaced() const;
  // Closing will not checkpoint the WAL into the database file: call it before closing a
  // journal found damaged, so a foreign or damaged WAL is not written into the evidence.
  void Abandon();
  sqlite3* db() const { return db_; }  // for journal/ internals and tests

  class Impl;

 private:
  Journal() = default;
  Status Init(const Options& options);
  void ReleaseFreePagesAfterDeletion(int64_t deleted);
  sqlite3* db_ = nullptr;
  uint64_t file_dev_ = 0, file_ino_ = 0;  // identity of the file opened (see Replaced())
  std::unique_ptr<Impl> impl_;
  std::string path_;
  std::string install_id_;
  Options options_;
};

std::string DefaultJournalPath();

// Deletes a closed journal and every file kept beside it (SQLite's -wal, -shm, -journal and our
// .id), e.g. a temporary staging journal. Missing files are fine.
void RemoveJournalFiles(const std::string& path);

}  // namespace glassbox::journal
