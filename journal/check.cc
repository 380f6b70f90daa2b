// Finding damage: the cheap check at every open, and the deep check behind `glassbox doctor`.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include <simdjson.h>
#include <nlohmann/json.hpp>

#include "base/files.h"
#include "journal/block_codec.h"
#include "journal/journal_internal.h"
#include "journal/recovery.h"
#include "journal/salvage.h"

namespace glassbox::journal {
namespace detail {
namespace {

int64_t PragmaInt(sqlite3* db, const char* sql, Status* st) {
  Stmt s;
  *st = s.Prepare(db, sql);
  if (!st->ok()) return 0;
  return s.Step(st) ? s.Int(0) : 0;
}

int64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : -1;
}

uint32_t Word(const unsigned char* p, bool big_endian) {
  return big_endian
             ? (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3]
             : (uint32_t{p[3]} << 24) | (uint32_t{p[2]} << 16) | (uint32_t{p[1]} << 8) | p[0];
}

// Whether a 32-byte WAL header is one SQLite wrote: magic, format 3007000, and its checksum
// (https://www.sqlite.org/walformat.html: Fibonacci-weighted sums over 32-bit words whose byte
// order the magic's low bit gives).
bool ValidWalHeader(const unsigned char* h) {
  uint32_t magic = Word(h, true);
  if ((magic & 0xFFFFFFFE) != 0x377f0682 || Word(h + 4, true) != 3007000) return false;
  bool big = magic & 1;
  uint32_t s0 = 0, s1 = 0;
  for (int i = 0; i < 24; i += 8) {
    s0 += Word(h + i, big) + s1;
    s1 += Word(h + i + 4, big) + s0;
  }
  return s0 == Word(h + 24, true) && s1 == Word(h + 28, true);
}

bool ReadHeader(const std::string& path, unsigned char* h) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::pread(fd, h, 32, 0) == 32;
  ::close(fd);
  return ok;
}

}  // namespace

// SQLite silently ignores a WAL whose header is damaged, and with it every commit the WAL
// holds; checked before SQLite opens it, that loss becomes a detected, reported damage. A
// header being rewritten by another process could be read torn, so only a second identical
// bad read counts.
Status CheckWalHeader(const std::string& path) {
  std::string wal = path + "-wal";
  unsigned char first[32], second[32];
  if (FileSize(wal) < 32 || !ReadHeader(wal, first) || ValidWalHeader(first)) return Status::Ok();
  if (!ReadHeader(wal, second) || ValidWalHeader(second) || std::memcmp(first, second, 32) != 0) {
    return Status::Ok();
  }
  return Status::Corruption("the WAL file's header is damaged or foreign (" + wal + ")");
}

std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

void WriteIdentity(const std::string& path, const std::string& install_id) {
  (void)base::WritePrivateFile(path + ".id", install_id + "\n");
}

Status CheckIdentity(const std::string& path, const std::string& install_id, bool read_only) {
  auto kept = base::ReadFile(path + ".id", 256);
  if (!kept.ok()) {
    if (!read_only) WriteIdentity(path, install_id);
    return Status::Ok();
  }
  if (kept.value() == install_id + "\n") return Status::Ok();
  return Status::Corruption("its contents belong to another journal (install id differs from " +
                            path + ".id: a foreign WAL or file)");
}

// A database with tables but no glassbox format version is not a journal. Where a journal was
// (its .id file exists) that is damage, e.g. a foreign WAL that replaced the schema; elsewhere
// the path names someone else's database, which glassbox must not write into.
Status CheckForeignSchema(sqlite3* db, const std::string& path) {
  Stmt s;  // one statement, one snapshot: a journal being created meanwhile is not foreign
  GLASSBOX_RETURN_IF_ERROR(s.Prepare(db,
                                     "SELECT (SELECT user_version FROM pragma_user_version), "
                                     "(SELECT count(*) FROM sqlite_schema)"));
  Status st;
  bool row = s.Step(&st);
  GLASSBOX_RETURN_IF_ERROR(st);
  if (!row || s.Int(0) != 0 || s.Int(1) == 0) return Status::Ok();
  if (base::ReadFile(path + ".id", 256).ok()) {
    return Status::Corruption("its tables are not a glassbox journal's (a foreign WAL or file)");
  }
  return Status::InvalidArgument(path + " is an SQLite database but not a glassbox journal");
}

// quick_check reads every page, overflow chains included: about 2 ms for 50,000 events, but
// 9 ms for a 300 MB journal, paid by every process that opens it (`glassbox record` costs
// ~10 ms in all). The tables a write goes through are small. `blocks`, nearly all of a large
// file, is written only in whole new rows and each block's checksum is verified whenever it
// is read, so a large file has its write tables checked at every open and the whole file at
// most once per interval. Damage a write runs into later is recovered there too (IsDamage).
constexpr const char* kWriteTableChecks[] = {
    "PRAGMA quick_check(tail)", "PRAGMA quick_check(meta)", "PRAGMA quick_check(counters)",
    "PRAGMA quick_check(spans)", "PRAGMA quick_check(ledger)"};

Status QuickCheck(sqlite3* db, const char* sql) {
  Stmt check;
  GLASSBOX_RETURN_IF_ERROR(check.Prepare(db, sql));
  Status st;
  std::string verdict = check.Step(&st) ? std::string(check.Text(0)) : "";
  GLASSBOX_RETURN_IF_ERROR(st);
  if (verdict != "ok") return Status::Corruption("quick_check: " + OneLine(verdict));
  return Status::Ok();
}

Status CheckOnOpen(sqlite3* db, const std::string& path, bool whole) {
  Status st;
  int64_t pages = PragmaInt(db, "PRAGMA page_count", &st);
  GLASSBOX_RETURN_IF_ERROR(st);
  int64_t page_size = PragmaInt(db, "PRAGMA page_size", &st);
  GLASSBOX_RETURN_IF_ERROR(st);
  // Without WAL frames every page lives in the main file, so a shorter file was truncated.
  if (FileSize(path + "-wal") <= 32 && FileSize(path) < pages * page_size) {
    return Status::Corruption("the file is shorter than its header says (truncated)");
  }
  if (whole) return QuickCheck(db, "PRAGMA quick_check(1)");
  for (const char* sql : kWriteTableChecks) GLASSBOX_RETURN_IF_ERROR(QuickCheck(db, sql));
  return Status::Ok();
}

bool WholeCheckIsRecorded(const std::string& path, const Options& options) {
  return FileSize(path) > options.whole_check_bytes;
}

bool WholeCheckDue(sqlite3* db, const std::string& path, const Options& options, int64_t now_ms) {
  if (!WholeCheckIsRecorded(path, options)) return true;
  Stmt s;
  const char* sql =
      "SELECT (SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
      "('tail', 'meta', 'counters', 'spans', 'ledger')), "
      "(SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'checked_at')";
  if (!s.Prepare(db, sql).ok()) return true;
  Status st;
  if (!s.Step(&st) || s.Int(0) != 5 || s.IsNull(1)) return true;
  int64_t checked_at = s.Int(1);
  // A clock set back makes the last check look newer than now: check again.
  return checked_at > now_ms || now_ms - checked_at >= options.whole_check_interval_ms;
}

// An event row must at least be a JSON object with an event id. simdjson decides nearly every
// row (nlohmann's parser was three quarters of `doctor`); a row it refuses goes to nlohmann,
// which also accepts a few rows simdjson does not (an integer over 64 bits, a byte-order
// mark). Of duplicate keys the last counts, as nlohmann keeps it.
bool LooksLikeEvent(std::string_view line) {
  // A NULL column reads as a view with no data, and simdjson would copy from that pointer.
  if (line.empty()) return false;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element parsed;
  if (!parser.parse(line.data(), line.size()).get(parsed)) {
    if (!parsed.is_object()) return false;
    bool has_id = false;
    simdjson::dom::object members = parsed.get_object().value_unsafe();
    for (auto member : members) {
      if (member.key == "event_id") has_id = member.value.is_string();
    }
    return has_id;
  }
  auto v = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (v.is_discarded() || !v.is_object()) return false;
  auto id = v.find("event_id");
  return id != v.end() && id->is_string();
}

}  // namespace detail

Status DeepCheck(const Journal& journal, DeepCheckResult* result) {
  *result = DeepCheckResult();
  Status st = journal.IntegrityCheck(&result->integrity);
  result->integrity = detail::OneLine(result->integrity);
  if (!st.ok() && st.code() != StatusCode::kCorruption) return st;
  detail::Stmt blocks;
  GLASSBOX_RETURN_IF_ERROR(blocks.Prepare(journal.db(), "SELECT count(*) FROM blocks"));
  Status count_st;
  result->blocks = blocks.Step(&count_st) ? blocks.Int(0) : 0;
  if (!count_st.ok()) result->problem = count_st.message();
  int64_t bad_rows = 0;
  Status scan = journal.Scan({}, [&](const StoredEvent& e) {
    ++result->events;
    bool known_state = static_cast<int>(e.state) <= static_cast<int>(EventState::kLocal);
    if (!known_state || !detail::LooksLikeEvent(e.line)) ++bad_rows;
    return true;
  });
  if (result->problem.empty() && !scan.ok()) result->problem = scan.message();
  if (result->problem.empty() && bad_rows > 0) {
    result->problem = std::to_string(bad_rows) + " stored row(s) are not events";
  }
  return Status::Ok();
}

}  // namespace glassbox::journal
