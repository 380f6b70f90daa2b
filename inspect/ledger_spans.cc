// Ledger and open-span views.
#include <cstdio>
#include <sstream>

#include "base/ids.h"
#include "inspect/views.h"

namespace glassbox::inspect {

Result<Json> LedgerJson(const journal::Journal& journal, const Page& page) {
  Json entries = Json::array();
  Status st = journal.ListLedger([&](const journal::LedgerEntry& e) {
    if (!page.since.empty() && e.at < page.since) return true;
    entries.push_back({{"id", e.id},
                       {"at", e.at},
                       {"kind", e.kind},
                       {"destination", e.destination},
                       {"events", e.events},
                       {"bytes", e.bytes},
                       {"sha256", e.sha256},
                       {"result", e.result}});
    return !page.limit || static_cast<int64_t>(entries.size()) < page.limit;
  });
  GLASSBOX_RETURN_IF_ERROR(st);
  return Json{{"entries", entries}};
}

std::string LedgerText(const Json& ledger) {
  std::ostringstream out;
  if (ledger["entries"].empty()) return "no uploads, exports, imports or deletions yet\n";
  // The fixed-width columns go through a buffer; the result, of any length (a recovery's names
  // the damage and where the file went), is written after them whole.
  char columns[96];
  std::snprintf(columns, sizeof columns, "%-20s %-9s %7s %10s  ", "WHEN (UTC)", "KIND", "EVENTS",
                "BYTES");
  out << columns << "RESULT\n";
  for (const auto& e : ledger["entries"]) {
    std::snprintf(columns, sizeof columns, "%-20s %-9s %7lld %10lld  ",
                  e["at"].get<std::string>().substr(0, 19).c_str(),
                  e["kind"].get<std::string>().c_str(),
                  static_cast<long long>(e["events"].get<int64_t>()),
                  static_cast<long long>(e["bytes"].get<int64_t>()));
    out << columns << e["result"].get<std::string>() << "\n";
    out << "  to " << e["destination"].get<std::string>() << "\n";
    if (!e["sha256"].get<std::string>().empty()) {
      out << "  sha256 " << e["sha256"].get<std::string>() << "\n";
    }
  }
  return out.str();
}

Result<Json> OpenSpansJson(const journal::Journal& journal, const Page& page) {
  Json spans = Json::array();
  int64_t now_ms = base::UnixMillis(base::Clock::now());
  Status st = journal.ListSpans([&](const journal::OpenSpan& s) {
    auto started = nlohmann::json::parse(s.line, nullptr, false);
    std::string at = started.is_discarded() ? "" : started.value("recorded_at", "");
    if (!page.since.empty() && at < page.since) return true;
    Json entry = {{"span_id", s.span_id},
                  {"schema", started.is_discarded() ? "" : started.value("schema", "")},
                  {"started_at", at},
                  {"age_seconds", (now_ms - s.started_at_ms) / 1000}};
    if (!started.is_discarded()) entry["data"] = Json::parse(started["data"].dump());
    spans.push_back(std::move(entry));
    return !page.limit || static_cast<int64_t>(spans.size()) < page.limit;
  });
  GLASSBOX_RETURN_IF_ERROR(st);
  return Json{{"open_spans", spans}};
}

namespace {
std::string Age(int64_t seconds) {
  if (seconds < 120) return std::to_string(seconds) + "s";
  if (seconds < 7200) return std::to_string(seconds / 60) + "m";
  if (seconds < 172800) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}
}  // namespace

std::string OpenSpansText(const Json& spans) {
  std::ostringstream out;
  if (spans["open_spans"].empty()) return "no open spans\n";
  out << "started work without a completion (killed or crashed runs, or still running):\n";
  for (const auto& s : spans["open_spans"]) {
    out << s["span_id"].get<std::string>() << "  "
        << s["started_at"].get<std::string>().substr(0, 19) << "  age "
        << Age(s["age_seconds"].get<int64_t>()) << "\n    " << s["schema"].get<std::string>()
        << "\n";
  }
  return out.str();
}

}  // namespace glassbox::inspect
