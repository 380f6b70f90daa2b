// Small tables: meta, ledger, open spans, counters.
#include "journal/block_codec.h"
#include "journal/journal_internal.h"

namespace glassbox::journal {
using detail::ResetGuard;
using detail::Stmt;
using detail::Transaction;

Status detail::InsertLedgerRow(Stmt& insert, const LedgerEntry& e) {
  ResetGuard guard(insert);
  insert.Bind(1, e.at);
  insert.Bind(2, e.kind);
  insert.Bind(3, e.destination);
  insert.Bind(4, e.events);
  insert.Bind(5, e.bytes);
  insert.Bind(6, e.sha256);
  insert.Bind(7, e.result);
  return insert.Exec();
}

Status Journal::Impl::InsertLedger(const LedgerEntry& e) {
  return detail::InsertLedgerRow(insert_ledger_, e);
}

Status Journal::Impl::AddCounter(std::string_view name, int64_t delta) {
  ResetGuard guard(add_counter_);
  add_counter_.Bind(1, name);
  add_counter_.Bind(2, delta);
  return add_counter_.Exec();
}

Status Journal::AppendLedger(const LedgerEntry& entry) { return impl_->InsertLedger(entry); }

Status Journal::AddCounter(std::string_view name, int64_t delta) {
  return impl_->AddCounter(name, delta);
}

Status Journal::ListLedger(const std::function<bool(const LedgerEntry&)>& visit) const {
  Stmt s;
  GLASSBOX_RETURN_IF_ERROR(s.Prepare(
      db_,
      "SELECT id, at, kind, destination, events, bytes, sha256, result FROM ledger ORDER BY id"));
  Status st;
  while (s.Step(&st)) {
    LedgerEntry e{
        s.Int(0), std::string(s.Text(1)), std::string(s.Text(2)), std::string(s.Text(3)), s.Int(4),
        s.Int(5), std::string(s.Text(6)), std::string(s.Text(7))};
    if (!visit(e)) break;
  }
  return st;
}

Result<OpenSpan> Journal::FindSpan(std::string_view span_id) const {
  Stmt s;
  GLASSBOX_RETURN_IF_ERROR(s.Prepare(db_, "SELECT started_ms, line FROM spans WHERE span_id = ?"));
  s.Bind(1, span_id);
  Status st;
  if (!s.Step(&st)) {
    if (!st.ok()) return st;
    return Status::NotFound("no open span " + std::string(span_id));
  }
  return OpenSpan{std::string(span_id), s.Int(0), std::string(s.Text(1))};
}

Status Journal::ListSpans(const std::function<bool(const OpenSpan&)>& visit) const {
  Stmt s;
  GLASSBOX_RETURN_IF_ERROR(
      s.Prepare(db_, "SELECT span_id, started_ms, line FROM spans ORDER BY started_ms"));
  Status st;
  while (s.Step(&st)) {
    if (!visit({std::string(s.Text(0)), s.Int(1), std::string(s.Text(2))})) break;
  }
  return st;
}

Result<StateCounts> Journal::CountStates() const {
  StateCounts c;
  auto add = [&c](int64_t state, int64_t n) {
    switch (static_cast<EventState>(state)) {
      case EventState::kPending:
        c.pending += n;
        break;
      case EventState::kSent:
        c.sent += n;
        break;
      case EventState::kExported:
        c.exported += n;
        break;
      case EventState::kLocal:
        c.local += n;
        break;
    }
  };
  Transaction txn(db_);
  GLASSBOX_RETURN_IF_ERROR(txn.Begin(false));
  Stmt blocks, tail;
  GLASSBOX_RETURN_IF_ERROR(
      blocks.Prepare(db_, std::string("SELECT ") + impl_->state_list() + " FROM blocks"));
  Status st;
  std::string states;
  while (blocks.Step(&st)) {
    if (!detail::DecodeStates(blocks.Text(0), &states)) {
      return Status::Corruption("journal block: bad state list");
    }
    for (char s : states) add(s, 1);
  }
  GLASSBOX_RETURN_IF_ERROR(st);
  GLASSBOX_RETURN_IF_ERROR(tail.Prepare(db_, "SELECT state, count(*) FROM tail GROUP BY state"));
  while (tail.Step(&st)) add(tail.Int(0), tail.Int(1));
  GLASSBOX_RETURN_IF_ERROR(st);
  GLASSBOX_RETURN_IF_ERROR(txn.Commit());
  return c;
}

Result<int64_t> Journal::LastSeq() const {
  Stmt s;
  GLASSBOX_RETURN_IF_ERROR(s.Prepare(db_, detail::kNextSeqSql));
  Status st;
  int64_t next = s.Step(&st) ? s.Int(0) : 0;
  GLASSBOX_RETURN_IF_ERROR(st);
  return next - 1;
}

Result<std::string> Journal::GetMeta(std::string_view key) const {
  Stmt s;
  GLASSBOX_RETURN_IF_ERROR(s.Prepare(db_, "SELECT value FROM meta WHERE key = ?"));
  s.Bind(1, key);
  Status st;
  if (s.Step(&st)) return std::string(s.Text(0));
  if (!st.ok()) return st;
  return Status::NotFound("meta key " + std::string(key));
}

Status Journal::SetMeta(std::string_view key, std::string_view value) {
  Stmt s;
  GLASSBOX_RETURN_IF_ERROR(s.Prepare(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)"));
  s.Bind(1, key);
  s.Bind(2, value);
  return s.Exec();
}

Result<int64_t> Journal::Counter(std::string_view name) const {
  Stmt s;
  GLASSBOX_RETURN_IF_ERROR(s.Prepare(db_, "SELECT value FROM counters WHERE name = ?"));
  s.Bind(1, name);
  Status st;
  int64_t v = s.Step(&st) ? s.Int(0) : 0;
  if (!st.ok()) return st;
  return v;
}

Status Journal::ListCounters(const std::function<bool(std::string_view, int64_t)>& visit) const {
  Stmt s;
  GLASSBOX_RETURN_IF_ERROR(s.Prepare(db_, "SELECT name, value FROM counters ORDER BY name"));
  Status st;
  while (s.Step(&st)) {
    if (!visit(s.Text(0), s.Int(1))) break;
  }
  return st;
}

}  // namespace glassbox::journal
