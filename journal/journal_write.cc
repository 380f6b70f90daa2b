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

Status Journal::Impl::Prepare() {
  GLASSBOX_RETURN_IF_ERROR(insert_tail_.Prepare(
      db_, "INSERT INTO tail(state, recorded_ms, line) VALUES (?, ?, ?)"));
  GLASSBOX_RETURN_IF_ERROR(open_span_.Prepare(
      db_, "INSERT OR REPLACE INTO spans(span_id, started_ms, line) VALUES (?, ?, ?)"));
  GLASSBOX_RETURN_IF_ERROR(close_span_.Prepare(db_, "DELETE FROM spans WHERE span_id = ?"));
  GLASSBOX_RETURN_IF_ERROR(min_tail_.Prepare(db_, "SELECT min(seq) FROM tail"));
  GLASSBOX_RETURN_IF_ERROR(insert_ledger_.Prepare(
      db_,
      "INSERT INTO ledger(at, kind, destination, events, bytes, sha256, result) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  return add_counter_.Prepare(
      db_,
      "INSERT INTO counters(name, value) VALUES (?, ?) "
      "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value");
}

Status Journal::Impl::InsertOne(const NewEvent& e, int64_t* seq) {
  ResetGuard guard(insert_tail_);
  insert_tail_.Bind(1, static_cast<int64_t>(e.state));
  insert_tail_.Bind(2, e.recorded_at_ms);
  insert_tail_.BindBlob(3, e.line);
  GLASSBOX_RETURN_IF_ERROR(insert_tail_.Exec());
  *seq = sqlite3_last_insert_rowid(db_);
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

Status Journal::Impl::Append(const std::vector<NewEvent>& events, std::vector<int64_t>* seqs) {
  if (events.empty()) return Status::Ok();
  int64_t seq = 0;
  {
    Transaction txn(db_);
    GLASSBOX_RETURN_IF_ERROR(txn.Begin(true));
    for (const NewEvent& e : events) {
      GLASSBOX_RETURN_IF_ERROR(InsertOne(e, &seq));
      if (seqs) seqs->push_back(seq);
    }
    GLASSBOX_RETURN_IF_ERROR(txn.Commit());
  }
  // The events are durable now; sealing is housekeeping and its failure loses nothing.
  (void)MaybeSeal(seq);
  return Status::Ok();
}

Status Journal::Impl::MaybeSeal(int64_t last_seq) {
  Status st;
  int64_t first = 0;
  {
    ResetGuard guard(min_tail_);
    if (min_tail_.Step(&st)) first = min_tail_.Int(0);
    GLASSBOX_RETURN_IF_ERROR(st);
  }
  if (first == 0 || last_seq - first + 1 < options_.seal_events) return Status::Ok();
  bool sealed = false;
  return SealOnce(/*force=*/false, &sealed);
}

Status Journal::Impl::SealAll() {
  for (bool sealed = true; sealed;) GLASSBOX_RETURN_IF_ERROR(SealOnce(/*force=*/true, &sealed));
  return Status::Ok();
}

// Moves up to seal_events rows (or seal_bytes) from the tail into one new block. Unless
// `force`, a short tail is left alone: another process may have sealed it a moment ago, and
// small blocks compress badly.
Status Journal::Impl::SealOnce(bool force, bool* sealed) {
  *sealed = false;
  Transaction txn(db_);
  GLASSBOX_RETURN_IF_ERROR(txn.Begin(true));
  Stmt rows;
  GLASSBOX_RETURN_IF_ERROR(
      rows.Prepare(db_, "SELECT seq, state, recorded_ms, line FROM tail ORDER BY seq LIMIT ?"));
  rows.Bind(1, options_.seal_events);
  std::string body, states;
  std::vector<int64_t> seqs;
  int64_t min_ms = INT64_MAX, max_ms = INT64_MIN;
  Status st;
  while (static_cast<int64_t>(body.size()) < options_.seal_bytes && rows.Step(&st)) {
    seqs.push_back(rows.Int(0));
    states.push_back(static_cast<char>(rows.Int(1)));
    min_ms = std::min(min_ms, rows.Int(2));
    max_ms = std::max(max_ms, rows.Int(2));
    body.append(rows.Text(3)).push_back('\n');
  }
  GLASSBOX_RETURN_IF_ERROR(st);
  bool full = static_cast<int64_t>(seqs.size()) >= options_.seal_events ||
              static_cast<int64_t>(body.size()) >= options_.seal_bytes;
  if (seqs.empty() || (!force && !full)) return Status::Ok();
  auto frame = detail::CompressBlock(body, options_.compression_level);
  if (!frame.ok()) return frame.status();
  Stmt ins;
  GLASSBOX_RETURN_IF_ERROR(ins.Prepare(
      db_,
      "INSERT INTO blocks(first_seq, last_seq, count, min_ms, max_ms, raw_bytes, seqs, states, "
      "body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  ins.Bind(1, seqs.front());
  ins.Bind(2, seqs.back());
  ins.Bind(3, static_cast<int64_t>(seqs.size()));
  ins.Bind(4, min_ms);
  ins.Bind(5, max_ms);
  ins.Bind(6, static_cast<int64_t>(body.size()));
  ins.BindBlob(7, detail::EncodeSeqs(seqs));
  ins.BindBlob(8, states);
  ins.BindBlob(9, frame.value());
  GLASSBOX_RETURN_IF_ERROR(ins.Exec());
  Stmt del;
  GLASSBOX_RETURN_IF_ERROR(del.Prepare(db_, "DELETE FROM tail WHERE seq <= ?"));
  del.Bind(1, seqs.back());
  GLASSBOX_RETURN_IF_ERROR(del.Exec());
  GLASSBOX_RETURN_IF_ERROR(txn.Commit());
  *sealed = true;
  return Status::Ok();
}

}  // namespace glassbox::journal
