#pragma once
// The event object, as stored and as sent (see replay/WIRE.md):
// {"event_id","schema","phase","span_id"?,"recorded_at","data","context","final"?,"redactions"?}
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace glassbox::recorder {

struct EventParts {
  std::string event_id;
  std::string schema;  // iglu: URI
  std::string phase;   // single | started | completed
  std::string span_id;
  std::string recorded_at;
  const nlohmann::json* data = nullptr;
  const std::string* context_json = nullptr;  // serialized once per process
  const nlohmann::json* final_state = nullptr;
  const std::map<std::string, int>* redactions = nullptr;
};

// One NDJSON line (no newline). Keys in a fixed order; `data` keys sorted.
std::string BuildEventLine(const EventParts& parts);

}  // namespace glassbox::recorder
