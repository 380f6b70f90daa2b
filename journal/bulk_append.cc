// Bulk appends (import, a bundle staged for `replay --bundle`, a buffered recorder's writer)
// into a journal whose tail is empty write whole blocks straight from the events, inside the
// append's one transaction: no tail rows that sealing would read back, compress and delete.
// A held tail (Options::hold_tail) need not be empty: its rows, older than every event of the
// append, go first into the first block once the append fills it. The blocks are the ones
// sealing would have made (NextSealTarget): the highest level whose lower levels are all
// empty, so journal order holds (a level's blocks stay newer than every block above it).
// Seqs continue the journal's (NextSeq); a block's last_seq is what the next append counts
// from. Events with a span change, and the last partial block, go to
// the tail as before; after the first event in the tail, every later one goes there too.
#include <algorithm>

#include "base/memory.h"
#include "journal/block_codec.h"
#include "journal/journal_internal.h"

namespace glassbox::journal {
using detail::ResetGuard;
using detail::Stmt;

Status Journal::Impl::StartBulk(Bulk* bulk) {
  bulk->direct = false;
  GLASSBOX_RETURN_IF_ERROR(NextSeq(&bulk->next_seq));
  bool any = false;
  {
    ResetGuard guard(count_tail_);
    count_tail_.Bind(1, 1);
    Status st;
    any = count_tail_.Step(&st) && count_tail_.Int(0) > 0;
    GLASSBOX_RETURN_IF_ERROR(st);
  }
  if (any && !holding_) return Status::Ok();
  if (any) GLASSBOX_RETURN_IF_ERROR(HeldTailSize(bulk));  // an empty tail has nothing to count
  int level = 0;
  for (int above = 1; above < 3; ++above) {
    bool empty = false;
    GLASSBOX_RETURN_IF_ERROR(LevelIsEmpty(above - 1, &empty));
    if (!empty) break;
    level = above;
  }
  bulk->target = TargetFor(level);
  // The text of a block being filled is held, with its compressed copy, while the caller holds
  // its own input (an import: the bundle's file); sealing's 32 MiB for a level-2 block of big
  // lines would put that over the 64 MiB the commands stay under. 4,096 typical events are
  // 2.7 MB, so only streams of very long lines get smaller blocks.
  constexpr int64_t kMaxHeldBytes = 8 << 20;
  bulk->target.bytes = std::min(bulk->target.bytes, kMaxHeldBytes);
  // A tail of a block's worth already is sealed from the tail, as before.
  if (bulk->tail_rows >= bulk->target.events || bulk->tail_bytes >= bulk->target.bytes) {
    return Status::Ok();
  }
  bulk->direct = true;
  return Status::Ok();
}

Status Journal::Impl::HeldTailSize(Bulk* bulk) {
  Stmt size;
  // length() of a blob is read from the record header, not from the row's overflow pages.
  GLASSBOX_RETURN_IF_ERROR(
      size.Prepare(db_, "SELECT count(*), coalesce(sum(length(line) + 1), 0) FROM tail"));
  Status st;
  if (size.Step(&st)) {
    bulk->tail_rows = size.Int(0);
    bulk->tail_bytes = size.Int(1);
  }
  return st;
}

Status Journal::Impl::AddBulk(Bulk* bulk, const NewEvent& e, int64_t* seq) {
  if (!bulk->direct || e.span.kind != SpanChange::Kind::kNone) {
    GLASSBOX_RETURN_IF_ERROR(SpillBulk(bulk, seq));
    *seq = bulk->next_seq++;
    return InsertOne(e, *seq);
  }
  base::AppendGrowing(bulk->body, e.line);
  bulk->body.push_back('\n');
  bulk->ends.push_back(bulk->body.size());
  bulk->states.push_back(static_cast<char>(e.state));
  bulk->ms.push_back(e.recorded_at_ms);
  bulk->seqs.push_back(bulk->next_seq++);
  if (static_cast<int64_t>(bulk->ends.size()) + bulk->tail_rows < bulk->target.events &&
      static_cast<int64_t>(bulk->body.size()) + bulk->tail_bytes < bulk->target.bytes) {
    return Status::Ok();
  }
  return WriteBulkBlock(bulk, seq);
}

// Puts the held tail's rows before the block being filled, and deletes them from the tail.
Status Journal::Impl::TakeHeldTail(Bulk* bulk) {
  Bulk taken;
  taken.body.reserve(static_cast<size_t>(bulk->tail_bytes) + bulk->body.size());
  Stmt rows;
  GLASSBOX_RETURN_IF_ERROR(
      rows.Prepare(db_, "SELECT seq, state, recorded_at_ms, line FROM tail ORDER BY seq"));
  Status st;
  while (rows.Step(&st)) {
    taken.seqs.push_back(rows.Int(0));
    taken.states.push_back(static_cast<char>(rows.Int(1)));
    taken.ms.push_back(rows.Int(2));
    taken.body.append(rows.Text(3)).push_back('\n');
    taken.ends.push_back(taken.body.size());
  }
  GLASSBOX_RETURN_IF_ERROR(st);
  if (!taken.seqs.empty()) {
    Stmt del;
    GLASSBOX_RETURN_IF_ERROR(del.Prepare(db_, "DELETE FROM tail WHERE seq <= ?"));
    del.Bind(1, taken.seqs.back());
    GLASSBOX_RETURN_IF_ERROR(del.Exec());
  }
  const size_t offset = taken.body.size();
  taken.body.append(bulk->body);
  for (size_t end : bulk->ends) taken.ends.push_back(offset + end);
  taken.states.append(bulk->states);
  taken.seqs.insert(taken.seqs.end(), bulk->seqs.begin(), bulk->seqs.end());
  taken.ms.insert(taken.ms.end(), bulk->ms.begin(), bulk->ms.end());
  bulk->body.swap(taken.body);
  bulk->ends.swap(taken.ends);
  bulk->states.swap(taken.states);
  bulk->seqs.swap(taken.seqs);
  bulk->ms.swap(taken.ms);
  bulk->tail_rows = bulk->tail_bytes = 0;
  held_bytes_ = 0;
  return Status::Ok();
}

Status Journal::Impl::WriteBulkBlock(Bulk* bulk, int64_t* seq) {
  if (bulk->tail_rows > 0) GLASSBOX_RETURN_IF_ERROR(TakeHeldTail(bulk));
  auto frame =
      detail::CompressBlock(bulk->body, bulk->target.level == 0 ? options_.seal_compression_level
                                                                : options_.merge_compression_level);
  if (!frame.ok()) return frame.status();
  auto [min_ms, max_ms] = std::minmax_element(bulk->ms.begin(), bulk->ms.end());
  GLASSBOX_RETURN_IF_ERROR(InsertBlock(bulk->target.level, bulk->seqs, bulk->states, frame.value(),
                                       static_cast<int64_t>(bulk->body.size()), *min_ms, *max_ms));
  *seq = std::max(*seq, bulk->seqs.back());
  ++bulk->blocks;
  bulk->body.clear();
  bulk->states.clear();
  bulk->seqs.clear();
  bulk->ms.clear();
  bulk->ends.clear();
  return Status::Ok();
}

Status Journal::Impl::SpillBulk(Bulk* bulk, int64_t* seq) {
  if (!bulk->direct) return Status::Ok();
  bulk->direct = false;
  size_t begin = 0;
  for (size_t i = 0; i < bulk->ends.size(); ++i) {
    std::string_view line(bulk->body.data() + begin, bulk->ends[i] - begin - 1);
    begin = bulk->ends[i];
    NewEvent e{line, static_cast<EventState>(bulk->states[i]), bulk->ms[i], {}};
    *seq = bulk->seqs[i];
    GLASSBOX_RETURN_IF_ERROR(InsertOne(e, *seq));
  }
  return Status::Ok();
}

}  // namespace glassbox::journal
