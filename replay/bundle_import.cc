// import: a verified bundle's new events into a journal, all or nothing.
//
// Duplicates are found from the bundle's side: its event ids (bounded by the bundle limits)
// go into a hash set, and one scan of the journal strikes out those already present. Memory
// therefore grows with the bundle, never with the journal; the cost is one sequential read of
// the journal, in one snapshot. The journal's replay lock is held throughout, so no other
// export, import or replay changes the journal between that scan and the append.
#include <unordered_set>

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

}  // namespace

Result<ImportReport> ImportBundle(const Bundle& bundle, journal::Journal& journal,
                                  const ImportOptions& options) {
  journal::Consent consent = journal::EffectiveConsent(journal);
  if (consent == journal::Consent::kOff) {
    return Status::PolicyDenied("import refused: consent is off, so nothing is recorded");
  }
  auto lock = ReplayLock::Acquire(journal.path());  // nothing appends these ids meanwhile
  if (!lock.ok()) return lock.status();
  std::unordered_set<std::string_view> missing;
  missing.reserve(bundle.events.size());
  for (size_t i = 0; i < bundle.events.size(); ++i) missing.insert(bundle.EventId(i));
  ImportReport report;
  GLASSBOX_RETURN_IF_ERROR(journal.Scan({}, [&](const journal::StoredEvent& e) {
    if (missing.erase(IdOf(e.line)) > 0) ++report.present;
    return !missing.empty();
  }));
  // Under consent `local` imported events stay on this machine, like recorded ones.
  auto state = consent == journal::Consent::kLocal ? journal::EventState::kLocal
                                                   : journal::EventState::kPending;
  std::vector<journal::NewEvent> events;
  events.reserve(missing.size());
  for (size_t i = 0; i < bundle.events.size(); ++i) {
    if (missing.count(bundle.EventId(i))) {
      events.push_back({bundle.Line(i), state, bundle.events[i].recorded_ms, {}});
    }
  }
  report.added = static_cast<int64_t>(events.size());
  const Manifest& m = bundle.manifest;
  journal::LedgerEntry entry{0,
                             base::Rfc3339(options.now()),
                             "import",
                             options.source,
                             report.added,
                             m.events_bytes,
                             m.events_sha256,
                             "ok: " + std::to_string(report.added) + " new, " +
                                 std::to_string(report.present) + " already present"};
  GLASSBOX_RETURN_IF_ERROR(journal.Append(events, nullptr, &entry));
  return report;
}

Status StageBundle(const Bundle& bundle, journal::Journal& staging) {
  std::vector<journal::NewEvent> events;
  events.reserve(bundle.events.size());
  for (size_t i = 0; i < bundle.events.size(); ++i) {
    events.push_back(
        {bundle.Line(i), journal::EventState::kPending, bundle.events[i].recorded_ms, {}});
  }
  return staging.Append(events);
}

}  // namespace glassbox::replay
