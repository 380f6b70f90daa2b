#include "recorder/event.h"

namespace glassbox::recorder {
namespace {
// The header's strings (an id, a schema URI, a phase, a timestamp) are plain ASCII and need
// no escaping; those are quoted as they are, anything else goes through nlohmann.
void AppendQuoted(std::string& out, const std::string& value) {
  bool plain = true;
  for (char c : value) {
    plain = plain && c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  }
  if (!plain) {
    out += nlohmann::json(value).dump();
    return;
  }
  out += '"';
  out += value;
  out += '"';
}

void AddString(std::string& out, const char* key, const std::string& value) {
  out += ",\"";
  out += key;
  out += "\":";
  AppendQuoted(out, value);
}
}  // namespace

std::string BuildEventLine(const EventParts& p) {
  std::string out;
  out.reserve(1024);
  out += "{\"event_id\":";
  AppendQuoted(out, p.event_id);
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
