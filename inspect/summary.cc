#include <sstream>

#include "inspect/inspect.h"
#include "replay/event_header.h"

namespace glassbox::inspect {

Result<Summary> Summarize(const journal::Journal& journal) {
  Summary s;
  Status scan = journal.Scan({}, [&s](const journal::StoredEvent& e) {
    replay::EventHeader h;
    if (!replay::ReadEventHeader(e.line, &h)) return true;
    ++s.by_schema_phase[h.schema][h.phase];
    const std::string& at = h.recorded_at;
    if (s.oldest.empty() || at < s.oldest) s.oldest = at;
    if (at > s.newest) s.newest = at;
    return true;
  });
  GLASSBOX_RETURN_IF_ERROR(scan);
  auto states = journal.CountStates();
  if (!states.ok()) return states.status();
  s.states = states.value();
  GLASSBOX_RETURN_IF_ERROR(journal.ListSpans([&s](const journal::OpenSpan&) {
    ++s.open_spans;
    return true;
  }));
  for (const char* name : {"retention_dropped", "retention_sent_pruned", "consent_deleted"}) {
    auto v = journal.Counter(name);
    if (v.ok()) s.counters[name] = v.value();
  }
  s.journal_bytes = journal.FileBytes();
  return s;
}

nlohmann::ordered_json SummaryJson(const Summary& s) {
  nlohmann::ordered_json j;
  j["events_total"] = s.states.total();
  j["by_state"] = {{"pending", s.states.pending},
                   {"sent", s.states.sent},
                   {"exported", s.states.exported},
                   {"local", s.states.local}};
  j["by_schema"] = nlohmann::ordered_json::object();
  for (const auto& [uri, phases] : s.by_schema_phase) {
    for (const auto& [phase, n] : phases) j["by_schema"][uri][phase] = n;
  }
  j["oldest"] = s.oldest.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s.oldest);
  j["newest"] = s.newest.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(s.newest);
  j["open_spans"] = s.open_spans;
  j["journal_bytes"] = s.journal_bytes;
  j["bytes_per_event"] = s.states.total() ? s.journal_bytes / s.states.total() : 0;
  for (const auto& [name, v] : s.counters) j[name] = v;
  return j;
}

std::string SummaryText(const Summary& s) {
  std::ostringstream out;
  out << "events        " << s.states.total() << "  (pending " << s.states.pending << ", sent "
      << s.states.sent << ", exported " << s.states.exported << ", local-only "
      << s.states.local << ")\n";
  if (!s.oldest.empty()) out << "recorded      " << s.oldest << " .. " << s.newest << "\n";
  out << "open spans    " << s.open_spans << "\n";
  out << "journal       " << s.journal_bytes << " bytes";
  if (s.states.total()) out << " (" << s.journal_bytes / s.states.total() << " per event)";
  out << "\n";
  for (const auto& [name, v] : s.counters) {
    if (v) out << name << "  " << v << "\n";
  }
  if (!s.by_schema_phase.empty()) out << "\nby schema and phase\n";
  for (const auto& [uri, phases] : s.by_schema_phase) {
    out << "  " << uri << "\n";
    for (const auto& [phase, n] : phases) out << "    " << phase << "  " << n << "\n";
  }
  return out.str();
}

}  // namespace glassbox::inspect
