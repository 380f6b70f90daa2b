// Salvage: reading what still decodes from a damaged journal, and writing it into a fresh one.
// Every table is read front to back and then back to front, so a damaged page in the middle
// of a b-tree costs only the rows on it. Events must decode (zstd checksum, sequence list) and
// parse as event objects; anything else is counted as unreadable, never guessed at.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "base/ids.h"
#include "journal/block_codec.h"
#include "journal/journal_internal.h"
#include "journal/salvage.h"

namespace glassbox::journal::detail {
namespace {

// Runs `sql` and, if it stopped at damage, `sql_desc` (the same rows in reverse), visiting
// each row once; column 0 is the row's key. Returns whether damage stopped a pass.
bool ReadBothWays(sqlite3* db, const char* sql, const char* sql_desc,
                  const std::function<void(Stmt&)>& visit) {
  std::set<std::string> seen;
  for (const char* q : {sql, sql_desc}) {
    Stmt s;
    if (!s.Prepare(db, q).ok()) return true;
    Status st;
    while (s.Step(&st)) {
      if (!seen.insert(std::string(s.Text(0))).second) return true;  // met the first pass
      visit(s);
    }
    if (st.ok()) return q != sql;  // a clean first pass read everything
  }
  return true;
}

struct Probe {
  bool ok = false;   // the b-tree could be searched there
  bool has = false;  // a row with key >= the probe exists
  int64_t key = 0;
};

// The first key >= `at`, reading only the key (not the row's overflow pages).
Probe ProbeKey(sqlite3* db, const std::string& table, const std::string& key, int64_t at) {
  Stmt s;
  Probe p;
  if (!s.Prepare(db, "SELECT " + key + " FROM " + table + " WHERE " + key + " >= ? ORDER BY " +
                         key + " LIMIT 1")
           .ok()) {
    return p;
  }
  s.Bind(1, at);
  Status st;
  p.has = s.Step(&st);
  if (p.has) p.key = s.Int(0);
  // A damaged page can hold keys out of order, so a search may land on a smaller key: that
  // is not a place to resume from.
  p.ok = st.ok() && (!p.has || p.key >= at);
  return p;
}

// Visits every readable row of an integer-keyed table in key order. Where a page is damaged,
// it gallops forward from the last good key to a key whose page can be searched, then
// bisects back to the first such key, so only the rows on damaged pages are lost. Returns the
// number of places where rows were lost. Every round resumes past the largest key seen so
// far, so it ends even where damage puts keys out of order.
int64_t ReadByKey(sqlite3* db, const std::string& table, const std::string& key,
                  const std::string& columns, const std::function<void(Stmt&)>& visit) {
  int64_t k = 0, lost = 0;  // keys are positive (seqs, rowids)
  std::string sql =
      "SELECT " + columns + " FROM " + table + " WHERE " + key + " > ? ORDER BY " + key;
  for (;;) {
    Stmt s;
    if (!s.Prepare(db, sql).ok()) return lost + 1;
    s.Bind(1, k);
    Status st;
    while (s.Step(&st)) {
      if (s.Int(0) <= k) continue;  // out of order on a damaged page: seen, or passed over
      k = s.Int(0);
      visit(s);
    }
    if (st.ok()) return lost;
    ++lost;
    Probe next = ProbeKey(db, table, key, k + 1);
    if (next.ok) {  // the key is readable but its row is not (e.g. a broken overflow chain)
      if (!next.has) return lost;
      k = next.key;
      continue;
    }
    int64_t lo = k + 1, hi = 0;
    for (int64_t step = 1; step < (int64_t{1} << 40) && hi == 0; step *= 2) {
      if (ProbeKey(db, table, key, lo + step).ok) hi = lo + step;
    }
    if (hi == 0) return lost;
    while (hi - lo > 1) {
      int64_t mid = lo + (hi - lo) / 2;
      (ProbeKey(db, table, key, mid).ok ? hi : lo) = mid;
    }
    k = hi - 1;
  }
}

int64_t RecordedMs(const nlohmann::json& event, int64_t fallback) {
  base::Clock::time_point t;
  auto at = event.find("recorded_at");
  if (at == event.end() || !at->is_string() || !base::ParseRfc3339(at->get<std::string>(), &t)) {
    return fallback;
  }
  return base::UnixMillis(t);
}

class Reader {
 public:
  Reader(sqlite3* db, Salvage* out) : db_(db), out_(out) {}

  void Meta() {
    bool bad = ReadBothWays(db_, "SELECT key, value FROM meta ORDER BY key",
                            "SELECT key, value FROM meta ORDER BY key DESC", [&](Stmt& s) {
                              out_->meta[std::string(s.Text(0))] = std::string(s.Text(1));
                            });
    out_->meta_ok = !bad && out_->meta.count("install_id") && out_->meta.count("hmac_key");
    out_->unreadable += bad;
  }

  void Small() {
    out_->unreadable += ReadByKey(
        db_, "ledger", "id", "id, at, kind, destination, events, bytes, sha256, result",
        [&](Stmt& s) {
          out_->ledger.push_back({s.Int(0), std::string(s.Text(1)), std::string(s.Text(2)),
                                  std::string(s.Text(3)), s.Int(4), s.Int(5),
                                  std::string(s.Text(6)), std::string(s.Text(7))});
        });
    out_->unreadable +=
        ReadBothWays(db_, "SELECT name, value FROM counters ORDER BY name",
                     "SELECT name, value FROM counters ORDER BY name DESC",
                     [&](Stmt& s) { out_->counters[std::string(s.Text(0))] = s.Int(1); });
    out_->unreadable += ReadBothWays(
        db_, "SELECT span_id, started_ms, line FROM spans ORDER BY span_id",
        "SELECT span_id, started_ms, line FROM spans ORDER BY span_id DESC", [&](Stmt& s) {
          if (LooksLikeEvent(s.Text(2))) {
            out_->spans.push_back({std::string(s.Text(0)), s.Int(1), std::string(s.Text(2))});
          }
        });
  }

  // Every column: format 1 named the third one recorded_ms.
  void Tail() {
    out_->unreadable += ReadByKey(db_, "tail", "seq", "*", [&](Stmt& s) {
      AddEvent(s.Int(0), s.Int(1), s.Text(3), s.Int(2));
    });
  }

  // Every column, by position: format 3 renamed seqs and states (now run lists; the decoders
  // read both forms). id, level, first_seq, last_seq, count, min_ms, max_ms, raw_bytes, seqs,
  // states, body.
  void Blocks() {
    out_->unreadable += ReadByKey(db_, "blocks", "id", "*", [&](Stmt& s) {
      if (!Block(s)) ++out_->unreadable;
    });
  }

 private:
  void AddEvent(int64_t seq, int64_t state, std::string_view line, int64_t fallback_ms) {
    auto event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    auto id = event.is_object() ? event.find("event_id") : event.end();
    if (event.is_discarded() || !event.is_object() || id == event.end() || !id->is_string() ||
        state < 0 || state > static_cast<int64_t>(EventState::kLocal)) {
      ++out_->unreadable;
      return;
    }
    if (!ids_.insert(id->get<std::string>()).second) return;
    out_->events.push_back(
        {seq, static_cast<EventState>(state), RecordedMs(event, fallback_ms), std::string(line)});
  }

  bool Block(Stmt& s) {
    std::vector<int64_t> seqs;
    std::string states;
    if (!DecodeBlockLists(s.Text(8), s.Int(2), s.Text(9), &seqs, &states)) return false;
    auto body = DecompressBlock(s.Text(10), kMaxBlockBytes);
    if (!body.ok()) return false;
    std::string_view rest = body.value();
    for (size_t i = 0; i < seqs.size(); ++i) {
      size_t nl = rest.find('\n');
      if (nl == std::string_view::npos) return false;
      AddEvent(seqs[i], static_cast<unsigned char>(states[i]), rest.substr(0, nl), s.Int(5));
      rest.remove_prefix(nl + 1);
    }
    return true;
  }

  sqlite3* db_;
  Salvage* out_;
  std::set<std::string> ids_;
};

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

// Opens the damaged file without letting SQLite checkpoint into it on close (it is evidence).
Result<std::unique_ptr<sqlite3, DbCloser>> OpenDamaged(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, nullptr);
  std::unique_ptr<sqlite3, DbCloser> db(raw);
  if (rc != SQLITE_OK) return SqlError(raw, rc, path);
  sqlite3_db_config(raw, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

bool CopyFile(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) return false;
  int fd = ::open(to.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  char buf[1 << 16];
  bool ok = true;
  while (ok && in) {
    in.read(buf, sizeof buf);
    ok = ::write(fd, buf, static_cast<size_t>(in.gcount())) == in.gcount();
  }
  return ::close(fd) == 0 && ok;
}

void PutBE(unsigned char* at, uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) at[i] = static_cast<unsigned char>(v);
}

// Writes a plausible SQLite header over `path`: the magic, the page size (the old one when it
// is still sane), as many pages as the file holds, UTF-8, schema format 4, WAL. A zeroed or
// scribbled header, or a size field left over from before a truncation, otherwise makes every
// page unreachable although the pages themselves are intact.
bool RewriteHeader(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;
  unsigned char h[100] = {};
  struct stat st {};
  bool ok = ::pread(fd, h, sizeof h, 0) == static_cast<ssize_t>(sizeof h) && ::fstat(fd, &st) == 0;
  uint32_t page = (uint32_t{h[16]} << 8) | h[17];
  if (page == 1) page = 65536;
  if (page < 512 || page > 65536 || (page & (page - 1)) != 0) page = 4096;
  std::memset(h, 0, sizeof h);
  std::memcpy(h, "SQLite format 3", 16);
  PutBE(h + 16, page == 65536 ? 1 : page, 2);
  h[18] = h[19] = 2;  // WAL
  h[21] = 64;
  h[22] = h[23] = 32;
  PutBE(h + 24, 1, 4);                                         // change counter
  PutBE(h + 28, static_cast<uint32_t>(st.st_size / page), 4);  // pages in the file
  PutBE(h + 40, 1, 4);                                         // schema cookie
  PutBE(h + 44, 4, 4);                                         // schema format
  PutBE(h + 56, 1, 4);                                         // UTF-8
  PutBE(h + 60, kFormatVersion, 4);                            // user_version
  PutBE(h + 92, 1, 4);                                         // valid for counter 1
  PutBE(h + 96, static_cast<uint32_t>(sqlite3_libversion_number()), 4);
  ok = ok && ::pwrite(fd, h, sizeof h, 0) == static_cast<ssize_t>(sizeof h);
  return ::close(fd) == 0 && ok;
}

void RemoveCopy(const std::string& copy) { RemoveJournalFiles(copy); }

// Reads a private copy of the damaged file (the original stays untouched as evidence),
// optionally with a rebuilt header.
void ReadCopy(const std::string& path, bool rewrite_header, bool with_wal, Salvage* out) {
  *out = Salvage();
  std::string copy = path + ".salvage";
  RemoveCopy(copy);
  bool copied = CopyFile(path, copy);
  struct stat st {};
  if (copied && with_wal && ::stat((path + "-wal").c_str(), &st) == 0)
    copied = CopyFile(path + "-wal", copy + "-wal");
  if (copied && rewrite_header) copied = RewriteHeader(copy);
  auto db =
      copied ? OpenDamaged(copy)
             : Result<std::unique_ptr<sqlite3, DbCloser>>(Status::IoError("cannot copy " + path));
  if (!db.ok()) {
    out->unreadable = 1;
  } else {
    Reader reader(db.value().get(), out);
    reader.Meta();
    reader.Small();
    reader.Blocks();
    reader.Tail();
  }
  db = Status::IoError("closed");  // close before removing the copy
  RemoveCopy(copy);
  std::sort(out->events.begin(), out->events.end(),
            [](const SalvagedEvent& a, const SalvagedEvent& b) { return a.seq < b.seq; });
}

// 2: the harvest carries the journal's own install id; 1: no id could be read; 0: another
// journal's id (a foreign WAL brought it), which is never salvaged into this one.
int Ownership(const Salvage& s, const std::string& own_id) {
  auto id = s.meta.find("install_id");
  if (id == s.meta.end()) return own_id.empty() ? 2 : 1;
  return own_id.empty() || id->second == own_id ? 2 : 0;
}

bool Better(const Salvage& a, const Salvage& b, const std::string& own_id) {
  if (Ownership(a, own_id) != Ownership(b, own_id)) {
    return Ownership(a, own_id) > Ownership(b, own_id);
  }
  if (a.events.size() != b.events.size()) return a.events.size() > b.events.size();
  return a.meta_ok && !b.meta_ok;
}

}  // namespace

// Tries the file as it is, then with a rebuilt header. Only when neither harvest is this
// journal's own (a foreign WAL) or neither yields anything does it read the main file without
// its WAL: that older state would bring back events whose deletion lives in the WAL.
void ReadDamaged(const std::string& path, const std::string& own_id, Salvage* out) {
  ReadCopy(path, /*rewrite_header=*/false, /*with_wal=*/true, out);
  if (Ownership(*out, own_id) == 2 && out->meta_ok && out->unreadable == 0) return;
  Salvage other;
  ReadCopy(path, /*rewrite_header=*/true, /*with_wal=*/true, &other);
  if (Better(other, *out, own_id)) *out = std::move(other);
  if (Ownership(*out, own_id) == 0 || (out->events.empty() && !out->meta_ok)) {
    ReadCopy(path, /*rewrite_header=*/false, /*with_wal=*/false, &other);
    if (Better(other, *out, own_id)) *out = std::move(other);
  }
  if (Ownership(*out, own_id) == 0) {
    int64_t unreadable = out->unreadable + 1;
    *out = Salvage();
    out->unreadable = unreadable;
  }
}

Status WriteSalvage(Journal& fresh, const Salvage& s) {
  Transaction txn(fresh.db());
  GLASSBOX_RETURN_IF_ERROR(txn.Begin(true));
  Stmt meta, ledger, counter, span, tail;
  GLASSBOX_RETURN_IF_ERROR(
      meta.Prepare(fresh.db(), "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)"));
  for (const auto& [k, v] : s.meta) {
    ResetGuard g(meta);
    meta.Bind(1, k);
    meta.Bind(2, v);
    GLASSBOX_RETURN_IF_ERROR(meta.Exec());
  }
  if (!s.meta_ok && !s.meta.count("consent")) {
    // Consent is unknown: record locally, never upload, until a person decides again.
    ResetGuard g(meta);
    meta.Bind(1, "consent");
    meta.Bind(2, "local");
    GLASSBOX_RETURN_IF_ERROR(meta.Exec());
  }
  GLASSBOX_RETURN_IF_ERROR(ledger.Prepare(fresh.db(), kInsertLedgerSql));
  for (const auto& e : s.ledger) GLASSBOX_RETURN_IF_ERROR(InsertLedgerRow(ledger, e));
  GLASSBOX_RETURN_IF_ERROR(
      counter.Prepare(fresh.db(), "INSERT OR REPLACE INTO counters(name, value) VALUES (?, ?)"));
  for (const auto& [name, value] : s.counters) {
    ResetGuard g(counter);
    counter.Bind(1, name);
    counter.Bind(2, value);
    GLASSBOX_RETURN_IF_ERROR(counter.Exec());
  }
  GLASSBOX_RETURN_IF_ERROR(span.Prepare(
      fresh.db(), "INSERT OR REPLACE INTO spans(span_id, started_ms, line) VALUES (?, ?, ?)"));
  for (const auto& o : s.spans) {
    ResetGuard g(span);
    span.Bind(1, o.span_id);
    span.Bind(2, o.started_at_ms);
    span.BindBlob(3, o.line);
    GLASSBOX_RETURN_IF_ERROR(span.Exec());
  }
  // Events keep their seqs: the salvaged meta names some (replay.inflight, the batch a replay
  // was sending; seq_floor). Only a seq the damage left repeated or out of order gets the next
  // free one.
  GLASSBOX_RETURN_IF_ERROR(tail.Prepare(
      fresh.db(), "INSERT INTO tail(seq, state, recorded_at_ms, line) VALUES (?, ?, ?, ?)"));
  int64_t last_seq = 0;
  for (const auto& e : s.events) {
    last_seq = std::max(e.seq, last_seq + 1);
    ResetGuard g(tail);
    tail.Bind(1, last_seq);
    tail.Bind(2, static_cast<int64_t>(e.state));
    tail.Bind(3, e.recorded_ms);
    tail.BindBlob(4, e.line);
    GLASSBOX_RETURN_IF_ERROR(tail.Exec());
  }
  GLASSBOX_RETURN_IF_ERROR(txn.Commit());
  return fresh.Seal();
}

}  // namespace glassbox::journal::detail
