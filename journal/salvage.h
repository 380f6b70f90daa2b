#pragma once
// Internals of journal/recovery: what salvage reads from a damaged journal.
#include <map>
#include <string>
#include <vector>

#include "journal/journal.h"

namespace glassbox::journal::detail {

struct SalvagedEvent {
  int64_t seq;  // in the damaged journal; keeps the original order
  EventState state;
  int64_t recorded_ms;
  std::string line;
};

struct Salvage {
  std::map<std::string, std::string> meta;  // install id, secret, consent, ...
  bool meta_ok = false;                     // the meta table read cleanly and is complete
  std::vector<LedgerEntry> ledger;
  std::map<std::string, int64_t> counters;
  std::vector<OpenSpan> spans;
  std::vector<SalvagedEvent> events;  // in original order, each event once
  int64_t unreadable = 0;             // tables cut short, blocks or rows that did not decode
};

// Reads whatever still decodes from the journal file at `path` (never fails: what cannot be
// read is counted in `unreadable`). `own_id` (may be empty) is the install id the journal at
// that path had; a harvest carrying another is only taken when nothing else is readable.
void ReadDamaged(const std::string& path, const std::string& own_id, Salvage* out);
// Writes `s` into a freshly created journal in one transaction, then seals it into blocks.
Status WriteSalvage(Journal& fresh, const Salvage& s);

// True when `line` is a JSON object with a string event_id.
bool LooksLikeEvent(std::string_view line);
// The checks run at every open: the WAL header before SQLite reads the WAL, then truncation
// against the database header and quick_check, over the whole file or (`whole` false) over
// the tables a write goes through.
Status CheckWalHeader(const std::string& path);
Status CheckOnOpen(sqlite3* db, const std::string& path, bool whole);
// Whether this open should check the whole file: always for a small file or one that is not
// (yet) a complete journal, and for a large one when its last whole check is `interval_ms`
// old. Errors count as "due": the whole check then says what is wrong.
bool WholeCheckDue(sqlite3* db, const std::string& path, const Options& options, int64_t now_ms);
// Whether a whole check of this file is worth recording (meta `checked_at`).
bool WholeCheckIsRecorded(const std::string& path, const Options& options);
// journal.db.id holds the install id of the journal at that path. SQLite cannot tell a WAL
// that belongs to another database (it replays it), but the install id it brings along then
// differs: CheckIdentity returns Corruption. A missing file is written (best effort).
Status CheckIdentity(const std::string& path, const std::string& install_id, bool read_only);
void WriteIdentity(const std::string& path, const std::string& install_id);
// Refuses a database that has tables but no glassbox format version (see check.cc).
Status CheckForeignSchema(sqlite3* db, const std::string& path);
// `text` with line breaks replaced by spaces (SQLite's reports span lines).
std::string OneLine(std::string text);

}  // namespace glassbox::journal::detail
