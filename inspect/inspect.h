#pragma once
// Views of a journal for people and for audit tooling. Every view has a text form (readable
// at 80 columns) and a JSON form whose shape is documented in README.md ("inspect JSON").
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "journal/journal.h"
#include "replay/payload.h"

namespace glassbox::inspect {

struct Summary {
  journal::StateCounts states;
  std::map<std::string, std::map<std::string, int64_t>> by_schema_phase;  // uri -> phase -> n
  std::string oldest, newest;  // recorded_at, empty when no events
  int64_t journal_bytes = 0;
  int64_t open_spans = 0;
  std::map<std::string, int64_t> counters;  // e.g. retention_dropped
};

Result<Summary> Summarize(const journal::Journal& journal);
nlohmann::ordered_json SummaryJson(const Summary& s);
std::string SummaryText(const Summary& s);

struct EventsQuery {
  replay::EventFilter filter;  // state, schema, phase, since/until
  int64_t limit = 0;           // 0 = all
};

enum class Format { kTable, kJson, kNdjson };

// Writes the stored events, exactly as they would be sent, in `format`.
Status WriteEvents(const journal::Journal& journal, const EventsQuery& query, Format format,
                   std::ostream& out);

}  // namespace glassbox::inspect
