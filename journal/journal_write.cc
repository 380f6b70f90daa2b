// Appending and sealing. Invariant: every event lives in exactly one place, either a `tail`
// row or one position of one block, and sealing moves rows from tail to a block inside one
// write transaction, so a reader's snapshot never sees an event twice or not at all.
#include <algorithm>

#include "journal/block_codec.h"
#include "journal/journal_internal.h"

namespace glassbox::journal {
using detail::ResetGuard;
using detail::Stmt;
using detail::Transaction;

// Read-only connections prepare only reads, so they also open a journal of an older format,
// which only a read-write open migrates.
Status Journal::Impl::Prepare() {
  GLASSBOX_RETURN_IF_ERROR(min_tail_.Prepare(db_, "SELECT min(seq) FROM tail"));
  GLASSBOX_RETURN_IF_ERROR(count_level_.Prepare(
      db_, "SELECT count(*) FROM (SELECT 1 FROM blocks WHERE level = ? LIMIT ?)"));
  GLASSBOX_RETURN_IF_ERROR(
      count_tail_.Prepare(db_, "SELECT count(*) FROM (SELECT 1 FROM tail LIMIT ?)"));
  GLASSBOX_RETURN_IF_ERROR(next_seq_.Prepare(db_, detail::kNextSeqSql));
  if (options_.read_only) return Status::Ok();
  {
    Stmt vacuum;
    GLASSBOX_RETURN_IF_ERROR(vacuum.Prepare(db_, "PRAGMA auto_vacuum"));
    Status st;
    fast_moves_ = vacuum.Step(&st) && vacuum.Int(0) == 2;  // INCREMENTAL
    GLASSBOX_RETURN_IF_ERROR(st);
  }
  GLASSBOX_RETURN_IF_ERROR(insert_tail_.Prepare(
      db_, "INSERT INTO tail(seq, state, recorded_at_ms, line) VALUES (?, ?, ?, ?)"));
  GLASSBOX_RETURN_IF_ERROR(open_span_.Prepare(
      db_, "INSERT OR REPLACE INTO spans(span_id, started_ms, line) VALUES (?, ?, ?)"));
  GLASSBOX_RETURN_IF_ERROR(close_span_.Prepare(db_, "DELETE FROM spans WHERE span_id = ?"));
  GLASSBOX_RETURN_IF_ERROR(insert_ledger_.Prepare(db_, detail::kInsertLedgerSql));
  GLASSBOX_RETURN_IF_ERROR(
      keep_seq_floor_.Prepare(db_,
                              "INSERT INTO meta(key, value) VALUES ('seq_floor', ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value"));
  GLASSBOX_RETURN_IF_ERROR(begin_write_.Prepare(db_, "BEGIN IMMEDIATE"));
  GLASSBOX_RETURN_IF_ERROR(commit_.Prepare(db_, "COMMIT"));
  return add_counter_.Prepare(db_,
                              "INSERT INTO counters(name, value) VALUES (?, ?) "
                              "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value");
}

// Inside a write transaction: the seq after every seq this journal ever gave out, including
// those of events since deleted (journal/FORMAT.md, "Sequence numbers").
Status Journal::Impl::NextSeq(int64_t* next) {
  ResetGuard guard(next_seq_);
  Status st;
  if (!next_seq_.Step(&st)) return st.ok() ? Status::Corruption("journal: no next seq") : st;
  *next = next_seq_.Int(0);
  return Status::Ok();
}

// Called by a write transaction before it deletes events (not when it moves them into a
// block): the largest seq may be among them, and seqs must never be given out again.
Status Journal::Impl::KeepSeqFloor() {
  int64_t next = 0;
  GLASSBOX_RETURN_IF_ERROR(NextSeq(&next));
  ResetGuard guard(keep_seq_floor_);
  keep_seq_floor_.Bind(1, std::to_string(next - 1));
  return keep_seq_floor_.Exec();
}

Status Journal::Impl::InsertOne(const NewEvent& e, int64_t seq) {
  ResetGuard guard(insert_tail_);
  insert_tail_.Bind(1, seq);
  insert_tail_.Bind(2, static_cast<int64_t>(e.state));
  insert_tail_.Bind(3, e.recorded_at_ms);
  insert_tail_.BindBlob(4, e.line);
  GLASSBOX_RETURN_IF_ERROR(insert_tail_.Exec());
  if (holding_) held_bytes_ += static_cast<int64_t>(e.line.size()) + 1;
  return ApplySpan(e);
}

Status Journal::Impl::ApplySpan(const NewEvent& e) {
  if (e.span.kind == SpanChange::Kind::kNone) return Status::Ok();
  Stmt& s = e.span.kind == SpanChange::Kind::kOpen ? open_span_ : close_span_;
  ResetGuard guard(s);
  s.Bind(1, e.span.span_id);
  if (e.span.kind == SpanChange::Kind::kOpen) {
    s.Bind(2, e.recorded_at_ms);
    s.BindBlob(3, e.line);
  }
  return s.Exec();
}

Status Journal::Impl::Append(const std::vector<NewEvent>& events, std::vector<int64_t>* seqs,
                             const LedgerEntry* ledger) {
  if (events.empty() && !ledger) return Status::Ok();
  int64_t seq = 0;
  int64_t tail_first = -1;  // not looked up: no seal can be due
  {
    // The prepared BEGIN and COMMIT: sqlite3_exec would compile both in every record().
    Transaction txn(db_, &begin_write_, &commit_);
    GLASSBOX_RETURN_IF_ERROR(txn.Begin(true));
    int64_t next = 0;
    GLASSBOX_RETURN_IF_ERROR(NextSeq(&next));
    for (const NewEvent& e : events) {
      seq = next++;
      GLASSBOX_RETURN_IF_ERROR(InsertOne(e, seq));
      if (seqs) seqs->push_back(seq);
    }
    if (ledger) GLASSBOX_RETURN_IF_ERROR(InsertLedger(*ledger));
    // Looked up in this transaction: on its own, the lookup took a read transaction's file
    // locks in every record() while the background sealer was behind (~10% of a durable
    // record()). A failed lookup only skips sealing this time.
    if (!events.empty() && SealMayBeDue(seq) && !TailFirst(&tail_first).ok()) tail_first = -1;
    GLASSBOX_RETURN_IF_ERROR(txn.Commit());
  }
  if (events.empty() || tail_first < 0) return Status::Ok();
  // The events are durable now; sealing is housekeeping and its failure loses nothing.
  (void)SealIfDue(seq, tail_first);
  return Status::Ok();
}

Status Journal::Impl::AppendFrom(const std::function<Status(const EventSink&)>& produce,
                                 const LedgerEntry* ledger) {
  int64_t seq = 0;
  int blocks = 0, level = 0;
  {
    // Its buffers (a block's text, ~3 MB) go before the merges below, which hold their own;
    // the text's buffer is kept for the next bulk append (KeptBulkText).
    Bulk bulk;
    KeptBulkText kept(bulk, bulk_text_);
    // A held tail's rows it takes into a block live on there (bulk_append.cc).
    detail::MovingRows moving(db_, fast_moves_ && holding_);
    Transaction txn(db_);
    GLASSBOX_RETURN_IF_ERROR(txn.Begin(true));
    GLASSBOX_RETURN_IF_ERROR(StartBulk(&bulk));
    GLASSBOX_RETURN_IF_ERROR(produce([&](const NewEvent& e) { return AddBulk(&bulk, e, &seq); }));
    GLASSBOX_RETURN_IF_ERROR(SpillBulk(&bulk, &seq));  // a last, partial block goes to the tail
    if (ledger) GLASSBOX_RETURN_IF_ERROR(InsertLedger(*ledger));
    GLASSBOX_RETURN_IF_ERROR(txn.Commit());
    blocks = bulk.blocks;
    level = bulk.target.level;
  }
  if (seq == 0) return Status::Ok();
  if (blocks > 0) (void)MergeFull(/*force=*/false, level);
  // Housekeeping again: the tail rows a bulk append sealed leave their pages free, as many as
  // the events' uncompressed text (15 times the journal at rest after an import); give them
  // back now rather than keep a file-sized hole.
  if (MaybeSeal(seq).ok() && !sealer_) (void)detail::Exec(db_, "PRAGMA incremental_vacuum");
  return Status::Ok();
}

Status Journal::Impl::TailFirst(int64_t* first) {
  ResetGuard guard(min_tail_);
  Status st;
  *first = 0;
  if (min_tail_.Step(&st)) *first = min_tail_.Int(0);  // NULL, for an empty tail, reads as 0
  return st;
}

Status Journal::Impl::MaybeSeal(int64_t last_seq) {
  if (!SealMayBeDue(last_seq)) return Status::Ok();
  int64_t first = 0;
  GLASSBOX_RETURN_IF_ERROR(TailFirst(&first));
  return SealIfDue(last_seq, first);
}

Status Journal::Impl::SealIfDue(int64_t last_seq, int64_t first) {
  // An empty tail (another process sealed it): whatever comes next has a larger seq.
  tail_first_floor_ = first == 0 ? last_seq + 1 : first;
  if (first == 0 || (last_seq - first + 1 < SealDueEvents() && !HeldBytesFull())) {
    return Status::Ok();
  }
  bool background = options_.background_seal && !options_.read_only &&
                    options_.path != kInMemoryPath && options_.path != kTemporaryPath;
  if (!background) return SealFull();
  if (!sealer_) sealer_ = std::make_unique<detail::BackgroundSealer>(options_);
  sealer_->Wake();
  return Status::Ok();
}

Status Journal::Impl::SealFull() {
  if (holding_) return SealHeldTail();
  // A batch append (import, record --ndjson) may have added many blocks' worth at once.
  for (bool sealed = true; sealed;) {
    SealTarget target{};
    GLASSBOX_RETURN_IF_ERROR(NextSealTarget(&target));
    GLASSBOX_RETURN_IF_ERROR(SealOnce(target, /*force=*/false, &sealed));
    if (sealed) GLASSBOX_RETURN_IF_ERROR(MergeFull(/*force=*/false, target.level));
  }
  return Status::Ok();
}

Status Journal::Impl::ReleaseTail() {
  holding_ = false;
  return SealFull();
}

// A held tail goes into level-2 blocks directly once it holds one's worth; the rows after the
// last whole block stay in the tail. Direct level-2 blocks need levels 0 and 1 empty (journal
// order), so what they hold (left by an earlier process, or by another writer) is folded up
// first: forced merges, and a lone level-1 block relabelled (it is compressed as level 2 is).
Status Journal::Impl::SealHeldTail() {
  const SealTarget top = TargetFor(2);
  for (bool sealed = true; sealed;) {
    int64_t rows = 0;
    GLASSBOX_RETURN_IF_ERROR(CountTail(top.events, &rows));
    if (rows < top.events && !HeldBytesFull()) return Status::Ok();
    GLASSBOX_RETURN_IF_ERROR(FoldLowerLevels());
    GLASSBOX_RETURN_IF_ERROR(SealOnce(top, /*force=*/false, &sealed));
    if (sealed) held_bytes_ = 0;  // an underestimate from here: the rest is counted anew
  }
  return Status::Ok();
}

Status Journal::Impl::FoldLowerLevels() {
  const int fan_in[] = {options_.merge_blocks, options_.top_merge_blocks};
  for (int level = 0; level < 2; ++level) {
    for (bool merged = true; merged;) {
      GLASSBOX_RETURN_IF_ERROR(MergeLevel(level, fan_in[level], /*force=*/true, &merged));
    }
  }
  // Level-1 blocks are newer than every level-2 block, so a lone one keeps journal order as a
  // level-2 block. One statement: it sees the count it changes.
  return detail::Exec(db_,
                      "UPDATE blocks SET level = 2 WHERE level = 1 AND "
                      "(SELECT count(*) FROM blocks WHERE level = 1) = 1");
}

Status Journal::Impl::SealAll() {
  for (bool sealed = true; sealed;) {
    SealTarget target{};
    GLASSBOX_RETURN_IF_ERROR(NextSealTarget(&target));
    GLASSBOX_RETURN_IF_ERROR(SealOnce(target, /*force=*/true, &sealed));
  }
  return MergeFull(/*force=*/true, 0);
}

Status Journal::Impl::LevelIsEmpty(int level, bool* empty) {
  ResetGuard guard(count_level_);
  count_level_.Bind(1, level);
  count_level_.Bind(2, 1);
  Status st;
  *empty = !count_level_.Step(&st) || count_level_.Int(0) == 0;
  return st;
}

// How many events (and, for long lines, bytes) one block of `level` takes.
Journal::Impl::SealTarget Journal::Impl::TargetFor(int level) const {
  const int64_t fan_in[] = {1, options_.merge_blocks, options_.top_merge_blocks};
  int64_t events = 1, bytes = 1;
  for (int l = 0; l <= level; ++l) {
    events *= l == 0 ? options_.seal_events : fan_in[l];
    bytes = std::min<int64_t>(l == 0 ? options_.seal_bytes : bytes * fan_in[l],
                              static_cast<int64_t>(detail::kMaxBlockBytes / 2));
  }
  return {level, events, bytes};
}

Status Journal::Impl::CountTail(int64_t limit, int64_t* rows) {
  ResetGuard guard(count_tail_);
  count_tail_.Bind(1, limit);
  Status st;
  *rows = count_tail_.Step(&st) ? count_tail_.Int(0) : 0;
  return st;
}

// Level 0 unless a bulk append (import, record --ndjson, a bundle being staged) left a whole
// upper-level block's worth in the tail while every level below that one is empty: then the
// events go straight into it, compressed once instead of up to three times, and journal order
// still holds (a level's blocks stay newer than every block of the levels above it).
Status Journal::Impl::NextSealTarget(SealTarget* target) {
  const SealTarget by_level[3] = {TargetFor(0), TargetFor(1), TargetFor(2)};
  *target = by_level[0];
  int64_t tail = 0;
  GLASSBOX_RETURN_IF_ERROR(CountTail(by_level[2].events, &tail));
  for (int level = 1; level < 3 && tail >= by_level[level].events; ++level) {
    bool empty = false;
    GLASSBOX_RETURN_IF_ERROR(LevelIsEmpty(level - 1, &empty));
    if (!empty) break;
    *target = by_level[level];
  }
  return Status::Ok();
}

// Moves up to target.events rows (or target.bytes) from the tail into one new block of
// target.level (0 but for bulk appends, see NextSealTarget).
// Unless `force`, a short tail is left alone: another process may have sealed it a moment ago,
// and small blocks compress badly. Optimistic: rows are read and compressed outside any write
// transaction, so the write lock is held only for the small insert-and-delete, and the write
// transaction re-checks that the rows are still there (states are re-read: replay may have
// changed them meanwhile; lines never change).
Status Journal::Impl::SealOnce(const SealTarget& target, bool force, bool* sealed) {
  *sealed = false;
  std::string body;
  std::vector<int64_t> seqs;
  int64_t min_ms = INT64_MAX, max_ms = INT64_MIN;
  {
    Transaction snapshot(db_);
    GLASSBOX_RETURN_IF_ERROR(snapshot.Begin(false));
    Stmt rows;
    GLASSBOX_RETURN_IF_ERROR(
        rows.Prepare(db_, "SELECT seq, recorded_at_ms, line FROM tail ORDER BY seq LIMIT ?"));
    rows.Bind(1, target.events);
    Status st;
    while (static_cast<int64_t>(body.size()) < target.bytes && rows.Step(&st)) {
      seqs.push_back(rows.Int(0));
      min_ms = std::min(min_ms, rows.Int(1));
      max_ms = std::max(max_ms, rows.Int(1));
      body.append(rows.Text(2)).push_back('\n');
    }
    GLASSBOX_RETURN_IF_ERROR(st);
  }
  bool full = static_cast<int64_t>(seqs.size()) >= target.events ||
              static_cast<int64_t>(body.size()) >= target.bytes;
  if (seqs.empty() || (!force && !full)) return Status::Ok();
  auto frame = detail::CompressBlock(
      body, target.level == 0 ? options_.seal_compression_level : options_.merge_compression_level);
  if (!frame.ok()) return frame.status();

  detail::MovingRows moving(db_, fast_moves_);
  Transaction txn(db_);
  GLASSBOX_RETURN_IF_ERROR(txn.Begin(true));
  Stmt now;
  GLASSBOX_RETURN_IF_ERROR(
      now.Prepare(db_, "SELECT state FROM tail WHERE seq BETWEEN ? AND ? ORDER BY seq"));
  now.Bind(1, seqs.front());
  now.Bind(2, seqs.back());
  std::string states;
  Status st;
  while (now.Step(&st)) states.push_back(static_cast<char>(now.Int(0)));
  GLASSBOX_RETURN_IF_ERROR(st);
  // New rows always get larger seqs, so the range can only have lost rows to another sealer
  // or a deletion; then leave it for the next attempt.
  if (states.size() != seqs.size()) return Status::Ok();
  for (int below = 0; below < target.level; ++below) {  // another process sealed meanwhile
    bool empty = false;
    GLASSBOX_RETURN_IF_ERROR(LevelIsEmpty(below, &empty));
    if (!empty) return Status::Ok();
  }
  GLASSBOX_RETURN_IF_ERROR(InsertBlock(target.level, seqs, states, frame.value(),
                                       static_cast<int64_t>(body.size()), min_ms, max_ms));
  Stmt del;
  GLASSBOX_RETURN_IF_ERROR(del.Prepare(db_, "DELETE FROM tail WHERE seq BETWEEN ? AND ?"));
  del.Bind(1, seqs.front());
  del.Bind(2, seqs.back());
  GLASSBOX_RETURN_IF_ERROR(del.Exec());
  GLASSBOX_RETURN_IF_ERROR(txn.Commit());
  *sealed = true;
  return Status::Ok();
}

Status Journal::Impl::InsertBlock(int level, const std::vector<int64_t>& seqs,
                                  const std::string& states, const std::string& frame,
                                  int64_t raw_bytes, int64_t min_ms, int64_t max_ms) {
  Stmt ins;
  GLASSBOX_RETURN_IF_ERROR(ins.Prepare(
      db_,
      "INSERT INTO blocks(level, first_seq, last_seq, count, min_ms, max_ms, raw_bytes, "
      "seq_runs, state_runs, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  ins.Bind(1, level);
  ins.Bind(2, seqs.front());
  ins.Bind(3, seqs.back());
  ins.Bind(4, static_cast<int64_t>(seqs.size()));
  ins.Bind(5, min_ms);
  ins.Bind(6, max_ms);
  ins.Bind(7, raw_bytes);
  ins.BindBlob(8, detail::EncodeSeqs(seqs));
  ins.BindBlob(9, detail::EncodeStates(states));
  ins.BindBlob(10, frame);
  return ins.Exec();
}

// Merges the oldest `fan_in` blocks of `level` into one block of level + 1 once there are that
// many (or up to that many, when forced). A level's blocks are always newer than every block of
// the levels above it, and the oldest are taken, so the merged block keeps journal order.
// Optimistic like SealOnce: decompress and compress outside the write lock, then commit only
// if the same blocks (ids and seq lists) are still the oldest of their level, taking their
// states as they are at commit time.
Status Journal::Impl::MergeLevel(int level, int fan_in, bool force, bool* merged) {
  *merged = false;
  if (!force) {  // most calls find too few blocks: count before decompressing any
    ResetGuard guard(count_level_);
    count_level_.Bind(1, level);
    count_level_.Bind(2, fan_in);
    Status st;
    int64_t n = count_level_.Step(&st) ? count_level_.Int(0) : 0;
    GLASSBOX_RETURN_IF_ERROR(st);
    if (n < fan_in) return Status::Ok();
  }
  constexpr const char* kOldest =
      "SELECT id, first_seq, seq_runs, state_runs, body, min_ms, max_ms, raw_bytes FROM blocks "
      "WHERE level = ? ORDER BY first_seq LIMIT ?";
  std::vector<int64_t> ids, seqs, part;
  std::string seq_blobs, body;
  int64_t min_ms = INT64_MAX, max_ms = INT64_MIN;
  {
    Transaction snapshot(db_);
    GLASSBOX_RETURN_IF_ERROR(snapshot.Begin(false));
    Stmt rows;
    GLASSBOX_RETURN_IF_ERROR(rows.Prepare(db_, kOldest));
    rows.Bind(1, level);
    rows.Bind(2, fan_in);
    Status st;
    while (rows.Step(&st)) {
      if (!detail::DecodeSeqs(rows.Text(2), rows.Int(1), &part)) {
        return Status::Corruption("journal block: bad sequence list");
      }
      if (body.empty()) {
        // Blocks of one level are about the same size: room for all of them at once, instead
        // of growing a ~3 MB body by doubling and copying.
        int64_t room = std::min<int64_t>(rows.Int(7) * (fan_in + 1), detail::kMaxBlockBytes);
        body.reserve(static_cast<size_t>(std::max<int64_t>(room, 0)));
      }
      GLASSBOX_RETURN_IF_ERROR(
          detail::AppendBlockText(rows.Text(4), detail::kMaxBlockBytes, &body));
      ids.push_back(rows.Int(0));
      seqs.insert(seqs.end(), part.begin(), part.end());
      seq_blobs.append(rows.Text(2)).push_back('|');
      min_ms = std::min(min_ms, rows.Int(5));
      max_ms = std::max(max_ms, rows.Int(6));
    }
    GLASSBOX_RETURN_IF_ERROR(st);
  }
  // Too few to merge yet (or another process merged them meanwhile): leave them for later.
  int64_t blocks = static_cast<int64_t>(ids.size());
  if (blocks == 0 || (!force && blocks < fan_in) || (force && blocks == 1 && level > 0)) {
    return Status::Ok();
  }
  auto frame = detail::CompressBlock(body, options_.merge_compression_level);
  if (!frame.ok()) return frame.status();

  detail::MovingRows moving(db_, fast_moves_);
  Transaction txn(db_);
  GLASSBOX_RETURN_IF_ERROR(txn.Begin(true));
  Stmt rows;
  GLASSBOX_RETURN_IF_ERROR(rows.Prepare(db_, kOldest));
  rows.Bind(1, level);
  rows.Bind(2, fan_in);
  std::vector<int64_t> ids_now;
  std::string seq_blobs_now, states, part_states;
  Status st;
  while (rows.Step(&st)) {
    ids_now.push_back(rows.Int(0));
    seq_blobs_now.append(rows.Text(2)).push_back('|');
    if (!detail::DecodeStates(rows.Text(3), &part_states)) {
      return Status::Corruption("journal block: bad state list");
    }
    states.append(part_states);
  }
  GLASSBOX_RETURN_IF_ERROR(st);
  if (ids_now != ids || seq_blobs_now != seq_blobs) return Status::Ok();
  Stmt del;
  GLASSBOX_RETURN_IF_ERROR(
      del.Prepare(db_, "DELETE FROM blocks WHERE level = ? AND first_seq BETWEEN ? AND ?"));
  del.Bind(1, level);
  del.Bind(2, seqs.front());
  del.Bind(3, seqs.back());
  GLASSBOX_RETURN_IF_ERROR(del.Exec());
  if (sqlite3_changes(db_) != blocks)
    return Status::Corruption("journal blocks changed during a merge");
  GLASSBOX_RETURN_IF_ERROR(InsertBlock(level + 1, seqs, states, frame.value(),
                                       static_cast<int64_t>(body.size()), min_ms, max_ms));
  GLASSBOX_RETURN_IF_ERROR(txn.Commit());
  *merged = true;
  return Status::Ok();
}

// Merges each level from `from_level` up for as long as it has a full run of its fan-in (a
// seal adds one block, a bulk append below a non-empty level may add dozens); a level that
// merged nothing leaves nothing new for the next. Forced (Seal()), every level is
// merged in runs of up to its fan-in.
Status Journal::Impl::MergeFull(bool force, int from_level) {
  const int fan_in[] = {options_.merge_blocks, options_.top_merge_blocks};
  for (int level = from_level; level < 2; ++level) {
    bool any = false;
    for (bool merged = true; merged; any = any || merged) {
      GLASSBOX_RETURN_IF_ERROR(MergeLevel(level, fan_in[level], force, &merged));
    }
    if (!force && !any) break;
  }
  return Status::Ok();
}

}  // namespace glassbox::journal
