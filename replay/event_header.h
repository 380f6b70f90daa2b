#pragma once
// Reads the top-level routing fields of a stored event line (event_id, schema, phase,
// recorded_at) without building a DOM. Scans over millions of events (summaries, filters,
// explain lookups) use it: simdjson's on-demand parser is ~10x faster here than parsing each
// line with nlohmann-json (measured in bench/README.md).
#include <string>
#include <string_view>

namespace glassbox::replay {

struct EventHeader {
  std::string event_id, schema, phase, recorded_at;
};

// False when `line` is not a JSON object with those string fields.
bool ReadEventHeader(std::string_view line, EventHeader* out);

}  // namespace glassbox::replay
