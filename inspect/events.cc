#include <iomanip>
#include <ostream>

#include "inspect/inspect.h"

namespace glassbox::inspect {
namespace {

// The schema's name and version without vendor and format, to fit 80 columns (the full URI
// is in every other view).
std::string ShortSchema(const std::string& uri) {
  size_t name_start = uri.find('/');
  size_t format_start = uri.find('/', name_start + 1);
  size_t version_start = uri.rfind('/');
  if (name_start == std::string::npos || format_start == std::string::npos) return uri;
  return uri.substr(name_start + 1, format_start - name_start - 1) + "@" +
         uri.substr(version_start + 1);
}

void WriteRow(std::ostream& out, const journal::StoredEvent& e) {
  auto event = nlohmann::json::parse(e.line, nullptr, false);
  if (event.is_discarded()) return;
  std::string at = event.value("recorded_at", "");  // 2026-11-26T10:53:56.935Z
  std::string when = at.size() >= 16 ? at.substr(5, 5) + " " + at.substr(11, 5) : at;
  out << std::left << std::setw(37) << event.value("event_id", "") << std::setw(12) << when
      << std::setw(10) << event.value("phase", "") << std::setw(9) << journal::StateName(e.state)
      << ShortSchema(event.value("schema", "")).substr(0, 12) << "\n";
}

}  // namespace

Status WriteEvents(const journal::Journal& journal, const EventsQuery& query, Format format,
                   std::ostream& out) {
  journal::ScanOptions scan;
  scan.state = query.filter.state;
  int64_t n = 0;
  if (format == Format::kJson) out << "[";
  if (format == Format::kTable) {
    out << std::left << std::setw(37) << "EVENT_ID" << std::setw(12) << "UTC" << std::setw(10)
        << "PHASE" << std::setw(9) << "STATE" << "SCHEMA\n";
  }
  Status st = journal.Scan(scan, [&](const journal::StoredEvent& e) {
    if (query.limit && n >= query.limit) return false;
    if (!query.filter.Matches(e.line, e.state)) return true;
    switch (format) {
      case Format::kNdjson:
        out << e.line << "\n";
        break;
      case Format::kJson:
        out << (n ? ",\n" : "\n") << e.line;
        break;
      case Format::kTable:
        WriteRow(out, e);
        break;
    }
    ++n;
    return true;
  });
  if (format == Format::kJson) out << (n ? "\n]\n" : "]\n");
  return st;
}

}  // namespace glassbox::inspect
