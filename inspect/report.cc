// inspect report --html: one self-contained file. A Content-Security-Policy of
// default-src 'none' makes the "no network request" promise hold even if a value slipped
// through escaping.
#include <map>
#include <ostream>
#include <set>

#include "inspect/inspect.h"
#include "inspect/views.h"

namespace glassbox::inspect {
namespace {

std::string Html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

constexpr const char* kStyle =
    "body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;"
    "padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}"
    "code,pre{font:12px ui-monospace,monospace}pre{background:#f7f7f7;padding:.6em;"
    "overflow-x:auto;white-space:pre-wrap;word-break:break-all}.num{text-align:right}"
    ".bar{fill:#4a7bd0}";

void SummarySection(std::ostream& out, const inspect::Summary& s) {
  out << "<h2>Summary</h2><table id=\"summary\">"
      << "<tr><th>events</th><td class=\"num\" id=\"events-total\">" << s.states.total()
      << "</td></tr>"
      << "<tr><th>pending</th><td class=\"num\" id=\"events-pending\">" << s.states.pending
      << "</td></tr>"
      << "<tr><th>sent</th><td class=\"num\" id=\"events-sent\">" << s.states.sent << "</td></tr>"
      << "<tr><th>exported</th><td class=\"num\">" << s.states.exported << "</td></tr>"
      << "<tr><th>local-only</th><td class=\"num\">" << s.states.local << "</td></tr>"
      << "<tr><th>open spans</th><td class=\"num\" id=\"open-spans\">" << s.open_spans
      << "</td></tr>"
      << "<tr><th>oldest / newest</th><td>" << Html(s.oldest) << " / " << Html(s.newest)
      << "</td></tr>"
      << "<tr><th>journal bytes</th><td class=\"num\">" << s.journal_bytes << "</td></tr></table>";
}

void Schemas(std::ostream& out, const schema::Registry& registry, const inspect::Summary& s) {
  out << "<h2>Fields and privacy classes</h2>";
  for (const auto& [uri, phases] : s.by_schema_phase) {
    auto schema = registry.Find(uri);
    out << "<h3><code>" << Html(uri) << "</code></h3>";
    if (!schema.ok()) {
      out << "<p>schema not available here</p>";
      continue;
    }
    out << "<table class=\"fields\"><tr><th>field</th><th>type as sent</th><th>privacy</th></tr>";
    for (const auto& f : schema.value()->Fields()) {
      out << "<tr><td><code>" << Html(f.path) << "</code></td><td>" << Html(f.type) << "</td><td>"
          << schema::PrivacyName(f.privacy) << "</td></tr>";
    }
    out << "</table>";
  }
}

Status PerDayChart(std::ostream& out, const journal::Journal& journal) {
  std::map<std::string, int64_t> per_day;
  GLASSBOX_RETURN_IF_ERROR(journal.Scan({}, [&](const journal::StoredEvent& e) {
    size_t at = e.line.find("\"recorded_at\":\"");
    if (at != std::string_view::npos) ++per_day[std::string(e.line.substr(at + 15, 10))];
    return true;
  }));
  out << "<h2>Events per day</h2>";
  if (per_day.empty()) return Status::Ok();
  int64_t max = 1;
  for (const auto& [day, n] : per_day) max = std::max(max, n);
  const int bar = 24, height = 120;
  out << "<svg id=\"per-day\" width=\"" << per_day.size() * bar + 10 << "\" height=\""
      << height + 40 << "\" role=\"img\" aria-label=\"events per day\">";
  int x = 5;
  for (const auto& [day, n] : per_day) {
    int h = static_cast<int>(n * height / max);
    out << "<rect class=\"bar\" x=\"" << x << "\" y=\"" << height - h << "\" width=\"" << bar - 4
        << "\" height=\"" << h << "\" data-day=\"" << Html(day) << "\" data-count=\"" << n
        << "\"><title>" << Html(day) << ": " << n << "</title></rect>";
    x += bar;
  }
  out << "</svg><table><tr><th>day</th><th>events</th></tr>";
  for (const auto& [day, n] : per_day) {
    out << "<tr><td>" << Html(day) << "</td><td class=\"num\">" << n << "</td></tr>";
  }
  out << "</table>";
  return Status::Ok();
}

constexpr int64_t kPreviewEvents = 100;

std::string FirstLines(std::string text, int64_t lines) {
  size_t end = 0;
  for (int64_t i = 0; i < lines && end < text.size(); ++i) {
    size_t nl = text.find('\n', end);
    end = nl == std::string::npos ? text.size() : nl + 1;
  }
  text.resize(end);
  return text;
}

}  // namespace

Status WriteHtmlReport(const journal::Journal& journal, const schema::Registry& registry,
                       const PayloadOptions& payload, std::ostream& out) {
  auto summary = Summarize(journal);
  if (!summary.ok()) return summary.status();
  // One pass over the pending batches: their counts, and the first lines of the first one for
  // the preview (a whole batch can be a 4,096-event block; inspect payload --out writes them
  // all). Nothing is compressed: the report shows no wire bytes.
  int64_t pending_events = 0, pending_batches = 0, first_events = 0;
  std::string preview;
  replay::BatchLimits limits = payload.limits;
  limits.keyed = false;  // the report shows no idempotency keys either
  GLASSBOX_RETURN_IF_ERROR(
      replay::BuildBatches(journal, payload.filter, limits, [&](replay::Batch&& b) {
        if (pending_batches++ == 0) {
          first_events = b.events();
          preview = FirstLines(std::move(b.body), kPreviewEvents);
        }
        pending_events += b.events();
        return true;
      }));
  auto ledger = LedgerJson(journal, {});
  if (!ledger.ok()) return ledger.status();
  out << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
         "style-src 'unsafe-inline'\"><title>glassbox audit report</title><style>"
      << kStyle << "</style></head><body><h1>glassbox audit report</h1><p>Journal install "
      << Html(journal.install_id()) << ". Everything below was computed locally; this file "
      << "loads nothing from anywhere.</p>";
  SummarySection(out, summary.value());
  Schemas(out, registry, summary.value());
  out << "<h2>Pending payload (what the next replay sends)</h2><p id=\"pending-batches\">"
      << pending_events << " events in " << pending_batches << " batch(es)</p>";
  out << "<pre id=\"payload-preview\">" << Html(preview) << "</pre>";
  if (first_events > kPreviewEvents) {
    out << "<p id=\"preview-cut\">The first " << kPreviewEvents << " of this batch's "
        << first_events << " events; <code>glassbox inspect payload --out DIR</code> writes "
        << "every batch whole.</p>";
  }
  out << "<h2>Ledger</h2><table id=\"ledger\"><tr><th>when</th><th>kind</th><th>to</th>"
         "<th>events</th><th>bytes</th><th>sha256</th><th>result</th></tr>";
  for (const auto& e : ledger.value()["entries"]) {
    out << "<tr><td>" << Html(e["at"]) << "</td><td>" << Html(e["kind"]) << "</td><td>"
        << Html(e["destination"]) << "</td><td class=\"num\">" << e["events"].get<int64_t>()
        << "</td><td class=\"num\">" << e["bytes"].get<int64_t>() << "</td><td><code>"
        << Html(e["sha256"]) << "</code></td><td>" << Html(e["result"]) << "</td></tr>";
  }
  out << "</table>";
  GLASSBOX_RETURN_IF_ERROR(PerDayChart(out, journal));
  out << "</body></html>\n";
  return Status::Ok();
}

}  // namespace glassbox::inspect
