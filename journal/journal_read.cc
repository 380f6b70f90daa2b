// Reading and state changes. Scans run inside one read transaction (a WAL snapshot), so a
// concurrent seal or append never makes an event appear twice or vanish mid-scan.
#include <algorithm>
#include <map>

#include "journal/block_codec.h"
#include "journal/journal_internal.h"

namespace glassbox::journal {
using detail::ResetGuard;
using detail::Stmt;
using detail::Transaction;

namespace {

// A level-2 block of typical events is ~3 MB; a buffer for one of very long lines (up to
// 32 MiB) is not worth keeping for the life of the journal.
constexpr size_t kMaxSpareBytes = 8 << 20;

bool Wanted(const ScanOptions& o, int64_t seq, EventState state) {
  return seq > o.after_seq && (!o.state || *o.state == state);
}

}  // namespace

Status Journal::Impl::ScanBlocks(const ScanOptions& options,
                                 const std::function<bool(const StoredEvent&)>& visit,
                                 bool* stop) const {
  // Blocks never overlap (journal/FORMAT.md), so last_seq order is journal order, and the
  // index on last_seq gives it without a sort: ordering by first_seq made SQLite copy every
  // later block, bodies included, into a temporary b-tree on each call (each replay batch).
  Stmt blocks;
  GLASSBOX_RETURN_IF_ERROR(blocks.Prepare(db_, std::string("SELECT first_seq, ") + block_lists() +
                                                   ", body, level FROM blocks WHERE last_seq > ? "
                                                   "ORDER BY last_seq"));
  blocks.Bind(1, options.after_seq);
  Status st;
  std::vector<int64_t> seqs;
  std::string states;
  // Each block's text is decompressed into one buffer, unless a stopped scan kept it.
  struct Buffer {
    const Impl* impl;
    std::shared_ptr<std::string> text;
    ~Buffer() { impl->GiveSpareText(std::move(text)); }
  } buffer{this, nullptr};
  while (!*stop && blocks.Step(&st)) {
    if (!detail::DecodeBlockLists(blocks.Text(1), blocks.Int(0), blocks.Text(2), &seqs, &states)) {
      return Status::Corruption("journal block: sequence list does not match its states");
    }
    bool any = false;
    for (size_t i = 0; i < seqs.size() && !any; ++i) {
      any = Wanted(options, seqs[i], static_cast<EventState>(states[i]));
    }
    if (!any) continue;  // skip decompression of blocks with nothing wanted
    std::string_view frame = blocks.Text(3);
    std::shared_ptr<const std::string> text = StoppedText(frame);
    if (!text) {
      if (buffer.text.use_count() != 1) buffer.text = TakeSpareText();
      GLASSBOX_RETURN_IF_ERROR(
          detail::DecompressBlockInto(frame, detail::kMaxBlockBytes, buffer.text.get()));
      text = buffer.text;
    }
    SealedBlock block{static_cast<int>(blocks.Int(4)),
                      seqs.front(),
                      seqs.back(),
                      static_cast<int64_t>(seqs.size()),
                      static_cast<int64_t>(text->size()),
                      frame};
    std::string_view rest = *text;
    for (size_t i = 0; i < seqs.size(); ++i) {
      size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) return Status::Corruption("journal block: short body");
      auto state = static_cast<EventState>(states[i]);
      if (Wanted(options, seqs[i], state) && !visit({seqs[i], state, rest.substr(0, nl), &block})) {
        *stop = true;
        break;
      }
      rest.remove_prefix(nl + 1);
    }
    if (*stop) KeepStopped(frame, std::move(text));
  }
  return st;
}

std::shared_ptr<const std::string> Journal::Impl::StoppedText(std::string_view frame) const {
  std::lock_guard<std::mutex> lock(stopped_mu_);
  if (stopped_text_ && stopped_frame_ == frame) return stopped_text_;
  // Scans decompress into buffers of their own (TakeSpareText), so the text may be written
  // again once nothing else holds it.
  if (stopped_text_.use_count() == 1 && stopped_text_->capacity() <= kMaxSpareBytes) {
    spare_text_ = std::const_pointer_cast<std::string>(std::move(stopped_text_));
  }
  stopped_text_.reset();
  stopped_frame_.clear();
  stopped_frame_.shrink_to_fit();
  return nullptr;
}

std::shared_ptr<std::string> Journal::Impl::TakeSpareText() const {
  std::lock_guard<std::mutex> lock(stopped_mu_);
  if (spare_text_) return std::move(spare_text_);
  return std::make_shared<std::string>();
}

void Journal::Impl::GiveSpareText(std::shared_ptr<std::string> text) const {
  if (!text || text.use_count() != 1 || text->capacity() > kMaxSpareBytes) return;
  std::lock_guard<std::mutex> lock(stopped_mu_);
  spare_text_ = std::move(text);
}

void Journal::Impl::KeepStopped(std::string_view frame,
                                std::shared_ptr<const std::string> text) const {
  std::lock_guard<std::mutex> lock(stopped_mu_);
  stopped_frame_.assign(frame);
  stopped_text_ = std::move(text);
}

Status Journal::Impl::ScanTail(const ScanOptions& options,
                               const std::function<bool(const StoredEvent&)>& visit) const {
  Stmt rows;
  GLASSBOX_RETURN_IF_ERROR(
      rows.Prepare(db_, "SELECT seq, state, line FROM tail WHERE seq > ? ORDER BY seq"));
  rows.Bind(1, options.after_seq);
  Status st;
  while (rows.Step(&st)) {
    auto state = static_cast<EventState>(rows.Int(1));
    if (Wanted(options, rows.Int(0), state) && !visit({rows.Int(0), state, rows.Text(2)})) break;
  }
  return st;
}

Status Journal::Impl::Scan(const ScanOptions& options,
                           const std::function<bool(const StoredEvent&)>& visit) const {
  Transaction txn(db_);
  GLASSBOX_RETURN_IF_ERROR(txn.Begin(false));
  bool stop = false;
  GLASSBOX_RETURN_IF_ERROR(ScanBlocks(options, visit, &stop));
  if (!stop) GLASSBOX_RETURN_IF_ERROR(ScanTail(options, visit));
  return txn.Commit();
}

Status Journal::Impl::SetBlockStates(const std::vector<int64_t>& seqs, EventState state) {
  Stmt find, update;
  GLASSBOX_RETURN_IF_ERROR(
      find.Prepare(db_,
                   "SELECT id, first_seq, seq_runs, state_runs FROM blocks WHERE last_seq >= ? "
                   "ORDER BY last_seq LIMIT 1"));
  GLASSBOX_RETURN_IF_ERROR(update.Prepare(db_, "UPDATE blocks SET state_runs = ? WHERE id = ?"));
  std::vector<int64_t> sorted = seqs, block_seqs;
  std::string states;
  std::sort(sorted.begin(), sorted.end());
  size_t i = 0;
  while (i < sorted.size()) {
    ResetGuard guard(find);
    find.Bind(1, sorted[i]);
    Status st;
    if (!find.Step(&st)) {
      GLASSBOX_RETURN_IF_ERROR(st);
      break;  // the rest live in the tail
    }
    if (!detail::DecodeBlockLists(find.Text(2), find.Int(1), find.Text(3), &block_seqs, &states)) {
      return Status::Corruption("journal block: sequence list does not match its states");
    }
    for (; i < sorted.size() && sorted[i] <= block_seqs.back(); ++i) {
      auto pos = std::lower_bound(block_seqs.begin(), block_seqs.end(), sorted[i]);
      if (pos != block_seqs.end() && *pos == sorted[i]) {
        states[pos - block_seqs.begin()] = static_cast<char>(state);
      }
    }
    ResetGuard uguard(update);
    update.BindBlob(1, detail::EncodeStates(states));
    update.Bind(2, find.Int(0));
    GLASSBOX_RETURN_IF_ERROR(update.Exec());
  }
  return Status::Ok();
}

Status Journal::Impl::SetStates(const std::vector<int64_t>& seqs, EventState state,
                                const LedgerEntry* ledger) {
  Transaction txn(db_);
  GLASSBOX_RETURN_IF_ERROR(txn.Begin(true));
  GLASSBOX_RETURN_IF_ERROR(SetBlockStates(seqs, state));
  // Only seqs from the tail's first on can be tail rows: an export or a replay batch is mostly
  // sealed events, and looking each of them up in the tail was 15% of an export's time.
  int64_t tail_first = 0;
  {
    ResetGuard guard(min_tail_);
    Status st;
    if (min_tail_.Step(&st) && !min_tail_.IsNull(0)) tail_first = min_tail_.Int(0);
    GLASSBOX_RETURN_IF_ERROR(st);
  }
  Stmt tail;
  GLASSBOX_RETURN_IF_ERROR(tail.Prepare(db_, "UPDATE tail SET state = ? WHERE seq = ?"));
  for (int64_t seq : seqs) {
    if (tail_first == 0 || seq < tail_first) continue;
    ResetGuard guard(tail);
    tail.Bind(1, static_cast<int64_t>(state));
    tail.Bind(2, seq);
    GLASSBOX_RETURN_IF_ERROR(tail.Exec());
  }
  if (ledger) GLASSBOX_RETURN_IF_ERROR(InsertLedger(*ledger));
  return txn.Commit();
}

// Re-encodes block `id` without its events in `drop_state`; deletes it when none remain.
Status Journal::Impl::RewriteBlock(int64_t id, EventState drop_state, int64_t* deleted) {
  Stmt get;
  GLASSBOX_RETURN_IF_ERROR(get.Prepare(
      db_,
      "SELECT first_seq, seq_runs, state_runs, body, min_ms, max_ms FROM blocks WHERE id = ?"));
  get.Bind(1, id);
  Status st;
  if (!get.Step(&st)) return st;
  std::vector<int64_t> seqs, kept_seqs;
  std::string states;
  if (!detail::DecodeBlockLists(get.Text(1), get.Int(0), get.Text(2), &seqs, &states)) {
    return Status::Corruption("journal block: sequence list does not match its states");
  }
  if (states.find(static_cast<char>(drop_state)) == std::string::npos) return Status::Ok();
  auto body = detail::DecompressBlock(get.Text(3), detail::kMaxBlockBytes);
  if (!body.ok()) return body.status();
  std::string kept_body, kept_states;
  std::string_view rest = body.value();
  for (size_t i = 0; i < seqs.size(); ++i) {
    size_t nl = rest.find('\n');
    if (nl == std::string_view::npos) return Status::Corruption("journal block: short body");
    if (static_cast<EventState>(states[i]) == drop_state) {
      ++*deleted;
    } else {
      kept_seqs.push_back(seqs[i]);
      kept_states.push_back(states[i]);
      kept_body.append(rest.substr(0, nl + 1));
    }
    rest.remove_prefix(nl + 1);
  }
  if (kept_seqs.size() == seqs.size()) return Status::Ok();
  Stmt w;
  if (kept_seqs.empty()) {
    GLASSBOX_RETURN_IF_ERROR(w.Prepare(db_, "DELETE FROM blocks WHERE id = ?"));
    w.Bind(1, id);
    return w.Exec();
  }
  auto frame = detail::CompressBlock(kept_body, options_.merge_compression_level);
  if (!frame.ok()) return frame.status();
  GLASSBOX_RETURN_IF_ERROR(w.Prepare(
      db_,
      "UPDATE blocks SET first_seq = ?, last_seq = ?, count = ?, raw_bytes = ?, seq_runs = ?, "
      "state_runs = ?, body = ? WHERE id = ?"));
  w.Bind(1, kept_seqs.front());
  w.Bind(2, kept_seqs.back());
  w.Bind(3, static_cast<int64_t>(kept_seqs.size()));
  w.Bind(4, static_cast<int64_t>(kept_body.size()));
  w.BindBlob(5, detail::EncodeSeqs(kept_seqs));
  w.BindBlob(6, detail::EncodeStates(kept_states));
  w.BindBlob(7, frame.value());
  w.Bind(8, id);
  return w.Exec();
}

Status Journal::Impl::DeleteInState(EventState state, int64_t before_ms, std::string_view counter,
                                    const LedgerEntry* ledger, int64_t* deleted) {
  *deleted = 0;
  Transaction txn(db_);
  GLASSBOX_RETURN_IF_ERROR(txn.Begin(true));
  GLASSBOX_RETURN_IF_ERROR(KeepSeqFloor());
  Stmt ids;
  GLASSBOX_RETURN_IF_ERROR(ids.Prepare(db_, "SELECT id FROM blocks WHERE max_ms < ? ORDER BY id"));
  ids.Bind(1, before_ms);
  std::vector<int64_t> block_ids;
  Status st;
  while (ids.Step(&st)) block_ids.push_back(ids.Int(0));
  GLASSBOX_RETURN_IF_ERROR(st);
  for (int64_t id : block_ids) GLASSBOX_RETURN_IF_ERROR(RewriteBlock(id, state, deleted));
  Stmt tail;
  GLASSBOX_RETURN_IF_ERROR(
      tail.Prepare(db_, "DELETE FROM tail WHERE state = ? AND recorded_at_ms < ?"));
  tail.Bind(1, static_cast<int64_t>(state));
  tail.Bind(2, before_ms);
  GLASSBOX_RETURN_IF_ERROR(tail.Exec());
  *deleted += sqlite3_changes(db_);
  if (!counter.empty() && *deleted > 0) GLASSBOX_RETURN_IF_ERROR(AddCounter(counter, *deleted));
  if (ledger) {
    LedgerEntry e = *ledger;
    e.events = *deleted;
    GLASSBOX_RETURN_IF_ERROR(InsertLedger(e));
  }
  return txn.Commit();
}

Status Journal::Impl::DropOldestBlock(int64_t before_ms, std::string_view counter,
                                      int64_t* dropped) {
  *dropped = 0;
  Transaction txn(db_);
  GLASSBOX_RETURN_IF_ERROR(txn.Begin(true));
  GLASSBOX_RETURN_IF_ERROR(KeepSeqFloor());
  Stmt oldest;
  GLASSBOX_RETURN_IF_ERROR(oldest.Prepare(
      db_, "SELECT id, count FROM blocks WHERE max_ms < ? ORDER BY first_seq LIMIT 1"));
  oldest.Bind(1, before_ms);
  Status st;
  if (!oldest.Step(&st)) return st;
  int64_t id = oldest.Int(0);
  *dropped = oldest.Int(1);
  Stmt del;
  GLASSBOX_RETURN_IF_ERROR(del.Prepare(db_, "DELETE FROM blocks WHERE id = ?"));
  del.Bind(1, id);
  GLASSBOX_RETURN_IF_ERROR(del.Exec());
  GLASSBOX_RETURN_IF_ERROR(AddCounter(counter, *dropped));
  return txn.Commit();
}

}  // namespace glassbox::journal
