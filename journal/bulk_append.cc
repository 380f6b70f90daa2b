// Bulk appends (import, a bundle staged for `replay --bundle`) into a journal whose tail is
// empty write whole blocks straight from the events, inside the append's one transaction:
// no tail rows that sealing would read back, compress and delete. The blocks are the ones
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
  {
    ResetGuard guard(count_tail_);
    count_tail_.Bind(1, 1);
    Status st;
    bool any = count_tail_.Step(&st) && count_tail_.Int(0) > 0;
    GLASSBOX_RETURN_IF_ERROR(st);
    if (any) return Status::Ok();
  }
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
  bulk->direct = true;
  return Status::Ok();
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
  if (static_cast<int64_t>(bulk->ends.size()) < bulk->target.events &&
      static_cast<int64_t>(bulk->body.size()) < bulk->target.bytes) {
    return Status::Ok();
  }
  return WriteBulkBlock(bulk, seq);
}

Status Journal::Impl::WriteBulkBlock(Bulk* bulk, int64_t* seq) {
  const int64_t count = static_cast<int64_t>(bulk->ends.size());
  std::vector<int64_t> seqs(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) seqs[static_cast<size_t>(i)] = bulk->next_seq + i;
  auto frame =
      detail::CompressBlock(bulk->body, bulk->target.level == 0 ? options_.seal_compression_level
                                                                : options_.merge_compression_level);
  if (!frame.ok()) return frame.status();
  auto [min_ms, max_ms] = std::minmax_element(bulk->ms.begin(), bulk->ms.end());
  GLASSBOX_RETURN_IF_ERROR(InsertBlock(bulk->target.level, seqs, bulk->states, frame.value(),
                                       static_cast<int64_t>(bulk->body.size()), *min_ms, *max_ms));
  *seq = seqs.back();
  bulk->next_seq += count;
  ++bulk->blocks;
  bulk->body.clear();
  bulk->states.clear();
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
    *seq = bulk->next_seq++;
    GLASSBOX_RETURN_IF_ERROR(InsertOne(e, *seq));
  }
  return Status::Ok();
}

}  // namespace glassbox::journal
