#pragma once
// Internals of journal/: the SQL layout and the statement-holding implementation.
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "journal/journal.h"
#include "journal/sealer.h"
#include "journal/sqlite_util.h"

namespace glassbox::journal {
namespace detail {

inline constexpr int kFormatVersion = 3;
// Largest decompressed block accepted on read (a sealed block holds at most seal_bytes plus
// one line, and lines are bounded by the recorder's event limit).
inline constexpr size_t kMaxBlockBytes = 64u << 20;

Status Configure(sqlite3* db, const Options& options);
// Creates or upgrades the tables; *created tells whether this call created them.
Status Migrate(sqlite3* db, bool* created);
// PRAGMA user_version: the journal's format (0 for a new file).
Result<int> FormatVersion(sqlite3* db);
// Binds a ledger row to an INSERT prepared from kInsertLedgerSql and runs it.
inline constexpr const char* kInsertLedgerSql =
    "INSERT INTO ledger(at, kind, destination, events, bytes, sha256, result) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)";
Status InsertLedgerRow(Stmt& insert, const LedgerEntry& e);
// The seq after every seq the journal ever gave out: the largest of the tail's, the blocks'
// and meta `seq_floor`, kept by deletions (journal/FORMAT.md, "Sequence numbers").
inline constexpr const char* kNextSeqSql =
    "SELECT max(coalesce((SELECT max(seq) FROM tail), 0), "
    "coalesce((SELECT max(last_seq) FROM blocks), 0), "
    "coalesce((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'seq_floor'), 0)) + 1";

}  // namespace detail

class Journal::Impl {
 public:
  Impl(sqlite3* db, const Options& options)
      : db_(db), options_(options), holding_(options.hold_tail) {}
  Status Prepare();
  // The columns of `blocks` holding its seq and state lists: format 3 named them seq_runs and
  // state_runs. A read-only open does not migrate, so it reads an older journal by the older
  // names (the decoders read either form of list).
  void UseFormat2BlockColumns() { format2_columns_ = true; }
  const char* block_lists() const {
    return format2_columns_ ? "seqs, states" : "seq_runs, state_runs";
  }
  const char* state_list() const { return format2_columns_ ? "states" : "state_runs"; }
  Status Append(const std::vector<NewEvent>& events, std::vector<int64_t>* seqs,
                const LedgerEntry* ledger);
  Status AppendFrom(const std::function<Status(const EventSink&)>& produce,
                    const LedgerEntry* ledger);
  Status Scan(const ScanOptions& options,
              const std::function<bool(const StoredEvent&)>& visit) const;
  Status SetStates(const std::vector<int64_t>& seqs, EventState state, const LedgerEntry* ledger);
  Status DeleteInState(EventState state, int64_t before_ms, std::string_view counter,
                       const LedgerEntry* ledger, int64_t* deleted);
  Status DropOldestBlock(int64_t before_ms, std::string_view counter, int64_t* dropped);
  Status SealAll();
  Status SealFull();
  Status ReleaseTail();
  // Waits for a background seal in progress and stops the thread (a journal found damaged
  // must not be written to while it is examined).
  void StopSealer() {
    if (sealer_) sealer_->Cancel();
    sealer_.reset();
  }
  Status InsertLedger(const LedgerEntry& e);
  Status AddCounter(std::string_view name, int64_t delta);

 private:
  Status NextSeq(int64_t* next);
  Status KeepSeqFloor();
  Status InsertOne(const NewEvent& e, int64_t seq);
  Status ApplySpan(const NewEvent& e);
  // Whether a seal may be due once the tail ends at last_seq (see tail_first_floor_).
  bool SealMayBeDue(int64_t last_seq) const {
    return tail_first_floor_ <= 0 || last_seq - tail_first_floor_ + 1 >= SealDueEvents() ||
           HeldBytesFull();
  }
  // Tail rows that make a seal due: a level-0 block's worth, or a level-2 block's while the
  // tail is held (Options::hold_tail).
  int64_t SealDueEvents() const {
    return holding_ ? TargetFor(2).events : static_cast<int64_t>(options_.seal_events);
  }
  // A held tail of long lines is due by its bytes too (a level-2 block holds at most 32 MiB
  // of text): counted as this connection appends them, since the last seal.
  bool HeldBytesFull() const { return holding_ && held_bytes_ >= TargetFor(2).bytes; }
  Status TailFirst(int64_t* first);  // the tail's smallest seq, 0 when it is empty
  Status MaybeSeal(int64_t last_seq);
  Status SealIfDue(int64_t last_seq, int64_t tail_first);
  struct SealTarget {
    int level;
    int64_t events, bytes;
  };
  SealTarget TargetFor(int level) const;
  Status NextSealTarget(SealTarget* target);
  Status CountTail(int64_t limit, int64_t* rows);  // up to `limit`
  Status SealHeldTail();
  Status FoldLowerLevels();
  // A bulk append into an empty tail (or a held one) writes whole blocks straight from the
  // events instead of tail rows that sealing reads back (bulk_append.cc).
  struct Bulk {
    bool direct = false;  // every event so far went into blocks (none into the tail)
    SealTarget target{};
    int64_t next_seq = 0;
    std::string body, states;   // the block being filled: lines, one state byte each
    std::vector<int64_t> seqs;  // each line's seq
    std::vector<int64_t> ms;    // each line's recorded_at
    std::vector<size_t> ends;   // where each line ends in body
    int blocks = 0;             // written so far
    // A held tail's rows, which go first into the first block (and stay if none fills).
    int64_t tail_rows = 0, tail_bytes = 0;
  };
  // A buffered recorder's writer appends a block's worth at a time: a fresh ~3 MB buffer for
  // each was mapped page by page (or in one MADV_POPULATE_WRITE, which holds the process's
  // mmap lock while the host's own malloc waited for it), so the text's buffer is kept, with
  // its capacity, from one bulk append to the next.
  struct KeptBulkText {
    KeptBulkText(Bulk& bulk, std::string& kept) : bulk_(bulk), kept_(kept) {
      bulk_.body.swap(kept_);
    }
    ~KeptBulkText() {
      bulk_.body.clear();
      kept_.swap(bulk_.body);
    }
    Bulk& bulk_;
    std::string& kept_;
  };
  Status StartBulk(Bulk* bulk);
  Status AddBulk(Bulk* bulk, const NewEvent& e, int64_t* seq);
  Status WriteBulkBlock(Bulk* bulk, int64_t* seq);
  Status SpillBulk(Bulk* bulk, int64_t* seq);
  Status HeldTailSize(Bulk* bulk);
  Status TakeHeldTail(Bulk* bulk);
  Status LevelIsEmpty(int level, bool* empty);
  Status SealOnce(const SealTarget& target, bool force, bool* sealed);
  Status MergeLevel(int level, int fan_in, bool force, bool* merged);
  Status MergeFull(bool force, int from_level);
  // Inserts a block whose body is the already compressed `frame`.
  Status InsertBlock(int level, const std::vector<int64_t>& seqs, const std::string& states,
                     const std::string& frame, int64_t raw_bytes, int64_t min_ms, int64_t max_ms);
  Status ScanBlocks(const ScanOptions& options,
                    const std::function<bool(const StoredEvent&)>& visit, bool* stop) const;
  Status ScanTail(const ScanOptions& options,
                  const std::function<bool(const StoredEvent&)>& visit) const;
  Status SetBlockStates(const std::vector<int64_t>& seqs, EventState state);
  Status RewriteBlock(int64_t id, EventState drop_state, int64_t* deleted);

  // The text of the block a scan last stopped inside, by its compressed bytes: replay reads a
  // level-2 block (4,096 events) one batch at a time and would otherwise decompress it once
  // per batch. Kept only after a scan stopped early; the next miss drops it.
  std::shared_ptr<const std::string> StoppedText(std::string_view frame) const;
  void KeepStopped(std::string_view frame, std::shared_ptr<const std::string> text) const;
  // A buffer for a block's text, kept from one scan to the next (replay scans once per batch):
  // a fresh ~3 MB buffer is faulted in page by page. Given back only when nothing else holds it.
  std::shared_ptr<std::string> TakeSpareText() const;
  void GiveSpareText(std::shared_ptr<std::string> text) const;
  mutable std::mutex stopped_mu_;
  mutable std::string stopped_frame_;
  mutable std::shared_ptr<const std::string> stopped_text_;
  mutable std::shared_ptr<std::string> spare_text_;

  sqlite3* db_;
  bool format2_columns_ = false;
  Options options_;
  detail::Stmt insert_tail_, open_span_, close_span_, min_tail_, insert_ledger_, add_counter_,
      count_level_, count_tail_, next_seq_, keep_seq_floor_, begin_write_, commit_;
  // A lower bound of the tail's smallest seq: seqs only grow and sealing only removes the
  // oldest rows, so the tail never starts before it. The tail is looked up only when this
  // bound says a seal may be due (a read transaction per record() was ~7% of its time).
  int64_t tail_first_floor_ = 0;
  // Seals and merges may leave their pages unzeroed: the file can release free pages
  // (auto_vacuum = INCREMENTAL), which deletions do (detail::MovingRows).
  bool fast_moves_ = false;
  bool holding_ = false;                              // Options::hold_tail until ReleaseTail()
  int64_t held_bytes_ = 0;                            // see HeldBytesFull()
  std::string bulk_text_;                             // see KeptBulkText
  std::unique_ptr<detail::BackgroundSealer> sealer_;  // last: its thread stops first
};

}  // namespace glassbox::journal
