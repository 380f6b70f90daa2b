#include "recorder/event.h"

namespace glassbox::recorder {
namespace {
void AddString(std::string& out, const char* key, const std::string& value) {
  out += ",\"";
  out += key;
  out += "\":";
  out += nlohmann::json(value).dump();
}
}  // namespace

std::string BuildEventLine(const EventParts& p) {
  std::string out = "{\"event_id\":\"" + p.event_id + "\"";
  AddString(out, "schema", p.schema);
  AddString(out, "phase", p.phase);
  if (!p.span_id.empty()) AddString(out, "span_id", p.span_id);
  AddString(out, "recorded_at", p.recorded_at);
  out += ",\"data\":";
  out += p.data->dump();
  out += ",\"context\":";
  out += *p.context_json;
  if (p.final_state) {
    out += ",\"final\":";
    out += p.final_state->dump();
  }
  if (p.redactions && !p.redactions->empty()) {
    out += ",\"redactions\":";
    out += nlohmann::json(*p.redactions).dump();
  }
  out += "}";
  return out;
}

}  // namespace glassbox::recorder
