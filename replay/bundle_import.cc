// import: a verified bundle's new events into a journal, all or nothing.
//
// Duplicates are found from the bundle's side: its event ids (kept sorted by the reader,
// 24 bytes each) and one scan of the journal that strikes out those already present. Memory
// therefore grows with the bundle's event count, never with the journal or the bundle's
// text: the lines are decompressed again for the append and go into the journal one at a
// time, in the one transaction that also appends the ledger row. The journal's
// replay lock is held throughout, so no other export, import or replay changes the journal
// between that scan and the append.
#include "journal/consent.h"
#include "replay/bundle.h"
#include "replay/lock.h"

namespace glassbox::replay {
namespace {

constexpr std::string_view kIdPrefix = R"({"event_id":")";

// The event id of a stored line: at a fixed place in every line glassbox writes; any other
// line is parsed.
std::string IdOf(std::string_view line) {
  if (line.starts_with(kIdPrefix) && line.size() > kIdPrefix.size() + 36 &&
      line[kIdPrefix.size() + 36] == '"') {
    return std::string(line.substr(kIdPrefix.size(), 36));
  }
  auto e = nlohmann::json::parse(line, nullptr, false);
  return e.is_object() && e.contains("event_id") && e["event_id"].is_string()
             ? e["event_id"].get<std::string>()
             : std::string();
}

// Which of the bundle's events the journal holds already, by their place in the bundle.
Result<std::vector<bool>> FindPresent(const Bundle& bundle, const journal::Journal& journal,
                                      int64_t* present) {
  std::vector<bool> found(bundle.size());
  int64_t missing = static_cast<int64_t>(bundle.size());
  GLASSBOX_RETURN_IF_ERROR(journal.Scan({}, [&](const journal::StoredEvent& e) {
    int64_t place = bundle.Find(IdOf(e.line));
    if (place >= 0 && !found[static_cast<size_t>(place)]) {
      found[static_cast<size_t>(place)] = true;
      --missing;
    }
    return missing > 0;
  }));
  *present = static_cast<int64_t>(bundle.size()) - missing;
  return found;
}

}  // namespace

Result<ImportReport> ImportBundle(Bundle bundle, journal::Journal& journal,
                                  const ImportOptions& options) {
  journal::Consent consent = journal::EffectiveConsent(journal);
  if (consent == journal::Consent::kOff) {
    return Status::PolicyDenied("import refused: consent is off, so nothing is recorded");
  }
  auto lock = ReplayLock::Acquire(journal.path());  // nothing appends these ids meanwhile
  if (!lock.ok()) return lock.status();
  ImportReport report;
  auto present = FindPresent(bundle, journal, &report.present);
  if (!present.ok()) return present.status();
  bundle.ForgetIds();  // the append compresses whole blocks while the bundle is walked
  // Under consent `local` imported events stay on this machine, like recorded ones.
  auto state = consent == journal::Consent::kLocal ? journal::EventState::kLocal
                                                   : journal::EventState::kPending;
  const Manifest& m = bundle.manifest;
  // `events` and `result` are filled in once the append has counted; the row goes in last.
  journal::LedgerEntry entry{
      0, base::Rfc3339(options.now()), "import", options.source, 0, m.events_bytes, m.events_sha256,
      ""};
  auto append = [&](const journal::Journal::EventSink& add) {
    size_t i = 0;
    Status st = bundle.ForEachEvent([&](std::string_view line, int64_t recorded_ms) {
      if (present.value()[i++]) return Status::Ok();
      ++report.added;
      return add({line, state, recorded_ms, {}});
    });
    // The last walk: the bytes go before the journal seals what it got. (Not `bundle = {}`:
    // std::string's move assignment from an empty string keeps the old buffer.)
    { Bundle gone = std::move(bundle); }
    entry.events = report.added;
    entry.result = "ok: " + std::to_string(report.added) + " new, " +
                   std::to_string(report.present) + " already present";
    return st;
  };
  GLASSBOX_RETURN_IF_ERROR(journal.AppendFrom(append, &entry));
  return report;
}

Status StageBundle(Bundle bundle, journal::Journal& staging) {
  bundle.ForgetIds();
  return staging.AppendFrom([&](const journal::Journal::EventSink& add) {
    Status st = bundle.ForEachEvent([&](std::string_view line, int64_t recorded_ms) {
      return add({line, journal::EventState::kPending, recorded_ms, {}});
    });
    { Bundle gone = std::move(bundle); }  // as in ImportBundle: not held while sealing
    return st;
  });
}

}  // namespace glassbox::replay
