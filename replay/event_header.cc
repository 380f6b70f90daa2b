#include "replay/event_header.h"

#include <simdjson.h>

namespace glassbox::replay {
namespace {

bool Field(simdjson::ondemand::object& obj, std::string_view key, std::string* out) {
  std::string_view v;
  if (obj[key].get_string().get(v) != simdjson::SUCCESS) return false;
  out->assign(v);
  return true;
}

}  // namespace

bool ReadEventHeader(std::string_view line, EventHeader* out) {
  thread_local simdjson::ondemand::parser parser;
  thread_local std::string padded;
  // simdjson reads up to SIMDJSON_PADDING bytes past the end; copy into a padded buffer.
  padded.assign(line);
  padded.resize(line.size() + simdjson::SIMDJSON_PADDING, '\0');
  simdjson::ondemand::document doc;
  if (parser.iterate(padded.data(), line.size(), padded.size()).get(doc) != simdjson::SUCCESS) {
    return false;
  }
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS) return false;
  // Fields in wire order (replay/WIRE.md) so the on-demand cursor never rewinds.
  return Field(obj, "event_id", &out->event_id) && Field(obj, "schema", &out->schema) &&
         Field(obj, "phase", &out->phase) && Field(obj, "recorded_at", &out->recorded_at);
}

}  // namespace glassbox::replay
