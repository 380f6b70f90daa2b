// JSON libraries on glassbox's hot paths, measured on the generator's events: parsing an
// input (record), reading an event's header fields (scans), and writing an event (record).
//
//   bench/json_bench [--events N] [--runs R]
#include "schema/schema.h"  // first: it sets RAPIDJSON_ASSERT for every RapidJSON header

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>

#include "bench/generator.h"
#include "bench/stats.h"
#include "recorder/event.h"
#include "recorder/input_guard.h"
#include "replay/event_header.h"

namespace {

using glassbox::bench::SecondsSince;
using Clock = std::chrono::steady_clock;

double Rate(const std::vector<std::string>& docs,
            const std::function<size_t(const std::string&)>& f, int runs) {
  std::vector<double> rates;
  size_t sink = 0;
  for (int r = 0; r < runs; ++r) {
    auto t0 = Clock::now();
    for (const auto& d : docs) sink += f(d);
    rates.push_back(docs.size() / SecondsSince(t0));
  }
  if (sink == 42) std::printf(" ");
  return glassbox::bench::SpreadOf(rates).median;
}

}  // namespace

int main(int argc, char** argv) {
  int events = 20000, runs = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--events")) events = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--runs")) runs = std::atoi(argv[i + 1]);
  }
  glassbox::bench::EventGenerator gen(3);
  std::vector<std::string> inputs, lines;
  for (int i = 0; i < events; ++i) {
    inputs.push_back(gen.NextInput());
    lines.push_back(
        R"({"event_id":"01a217a2-4bce-748a-a97e-d8a1005e87f8","schema":"iglu:dev.glassbox/cli_event/jsonschema/1-0-0","phase":"single","recorded_at":"2026-11-26T11:34:01.934Z","data":)" +
        inputs.back() + "}");
  }
  struct Row {
    const char* what;
    std::function<size_t(const std::string&)> f;
  };
  std::vector<Row> rows = {
      {"parse input: nlohmann DOM",
       [](const std::string& s) { return nlohmann::json::parse(s).size(); }},
      {"parse input: ParseInput (simdjson -> nlohmann, limits; used)",
       [](const std::string& s) {
         nlohmann::json j;
         return glassbox::recorder::ParseInput(s, "x", &j).ok() ? j.size() : 0;
       }},
      {"parse input: its reference (nlohmann SAX->DOM + limits)",
       [](const std::string& s) {
         nlohmann::json j;
         return glassbox::recorder::detail::ParseInputWithNlohmann(s, "x", &j).ok() ? j.size() : 0;
       }},
      {"parse input: RapidJSON DOM",
       [](const std::string& s) {
         rapidjson::Document d;
         d.Parse(s.c_str(), s.size());
         return static_cast<size_t>(d.MemberCount());
       }},
      {"parse input: simdjson DOM",
       [](const std::string& s) {
         thread_local simdjson::dom::parser p;
         simdjson::dom::element e;
         return p.parse(s).get(e) == simdjson::SUCCESS ? 1 : 0;
       }},
      {"header fields: nlohmann DOM",
       [](const std::string& s) { return nlohmann::json::parse(s).value("phase", "").size(); }},
      {"header fields: simdjson on-demand (used)",
       [](const std::string& s) {
         glassbox::replay::EventHeader h;
         return glassbox::replay::ReadEventHeader(s, &h) ? h.phase.size() : 0;
       }},
      {"write event: nlohmann dump",
       [](const std::string& s) {
         thread_local nlohmann::json j;
         j = nlohmann::json::parse(s);  // parse cost subtracted below via the parse row
         return j.dump().size();
       }},
      {"write event: the line (data by RapidJSON's writer; used)",
       [](const std::string& s) {
         thread_local nlohmann::json j;
         static const std::string context = R"({"os_name":"Linux","arch":"x86_64"})";
         j = nlohmann::json::parse(s);
         glassbox::recorder::EventParts parts;
         parts.event_id = "01a25404-6c54-718e-92c5-c6115d005cd5";
         parts.schema = "iglu:dev.glassbox/cli_event/jsonschema/1-0-0";
         parts.phase = "single";
         parts.recorded_at = "2026-12-08T04:58:25.748Z";
         parts.data = &j;
         parts.context_json = &context;
         return glassbox::recorder::BuildEventLine(parts).size();
       }},
      {"write event: the same line with nlohmann's dump (before)",
       [](const std::string& s) {
         thread_local nlohmann::json j;
         j = nlohmann::json::parse(s);
         std::string line = R"({"event_id":"01a25404-6c54-718e-92c5-c6115d005cd5",)"
                            R"("schema":"iglu:dev.glassbox/cli_event/jsonschema/1-0-0",)"
                            R"("phase":"single","recorded_at":"2026-12-08T04:58:25.748Z","data":)";
         line += j.dump();
         line += R"(,"context":{"os_name":"Linux","arch":"x86_64"}})";
         return line.size();
       }},
  };
  std::printf("%-58s %14s\n", "JSON workload (median of runs)", "docs/s");
  double nlohmann_parse = 0;
  for (auto& r : rows) {
    bool header = std::strncmp(r.what, "header", 6) == 0;
    double rate = Rate(header ? lines : inputs, r.f, runs);
    if (std::strcmp(r.what, "parse input: nlohmann DOM") == 0) nlohmann_parse = rate;
    if (std::strncmp(r.what, "write", 5) == 0) {
      double us = 1e6 / rate - 1e6 / nlohmann_parse;  // writing alone
      std::printf("%-58s %14.0f  (writing alone %.2f us)\n", r.what, rate, us);
    } else {
      std::printf("%-58s %14.0f  (%.2f us)\n", r.what, rate, 1e6 / rate);
    }
  }
}
