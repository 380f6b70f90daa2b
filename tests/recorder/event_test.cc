// The stored line's shape: fixed key order, and every string a valid JSON string.
#include "recorder/event.h"

#include <gtest/gtest.h>

#include "recorder/input_guard.h"

namespace glassbox::recorder {
namespace {

TEST(EventLine, KeepsItsKeyOrderAndEscapesOnlyWhatNeedsIt) {
  nlohmann::json data = {{"b", "x\"y"}, {"a", 1}};
  std::string context = R"({"os":"linux"})";
  std::map<std::string, int> redactions = {{"ip", 2}};
  EventParts parts;
  parts.event_id = "0190b5d0-0000-7000-8000-000000000001";
  parts.schema = "iglu:com.example/cli_event/jsonschema/1-0-0";
  parts.phase = "started";
  parts.span_id = "span \"1\"\\\n";  // not plain ASCII: goes through nlohmann's escaping
  parts.recorded_at = "2026-11-27T05:00:00.000Z";
  parts.data = &data;
  parts.context_json = &context;
  parts.redactions = &redactions;
  std::string line = BuildEventLine(parts);
  EXPECT_EQ(line, R"({"event_id":"0190b5d0-0000-7000-8000-000000000001",)"
                  R"("schema":"iglu:com.example/cli_event/jsonschema/1-0-0","phase":"started",)"
                  R"("span_id":"span \"1\"\\\n","recorded_at":"2026-11-27T05:00:00.000Z",)"
                  R"("data":{"a":1,"b":"x\"y"},"context":{"os":"linux"},"redactions":{"ip":2}})");
  auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["span_id"], parts.span_id);
}

std::string DataOf(const nlohmann::json& data) {
  std::string context = "{}";
  EventParts parts;
  parts.event_id = "0190b5d0-0000-7000-8000-000000000001";
  parts.schema = "iglu:com.example/cli_event/jsonschema/1-0-0";
  parts.phase = "single";
  parts.recorded_at = "2026-11-27T05:00:00.000Z";
  parts.data = &data;
  parts.context_json = &context;
  std::string line = BuildEventLine(parts);
  size_t from = line.find(R"("data":)") + 7, to = line.rfind(R"(,"context":{}})");
  return line.substr(from, to - from);
}

// `data` is written by RapidJSON's writer, and must come out as nlohmann's dump() wrote it.
TEST(EventLine, DataIsWrittenByteForByteAsNlohmannDumpsIt) {
  nlohmann::json cases = nlohmann::json::array();
  cases.push_back(nlohmann::json::object());
  cases.push_back({{"empty", nlohmann::json::array()}, {"none", nullptr}, {"yes", true}});
  cases.push_back({{"ints", {0, -1, INT64_MIN, INT64_MAX, UINT64_MAX}}});
  // Larger than the writer keeps between events: its buffer is given back, then used anew.
  cases.push_back({{"long", std::string(kKeptBufferBytes + 1, 'x')}});
  cases.push_back({{"reals", {1.5, -0.0, 3.0, 1e-7, 1e21, 0.1, 123456789.125, -2.5e-300}}});
  cases.push_back(
      {{"text",
        {"plain", "quote \" back \\ slash /", "caf\u00e9 \u2603 \U0001F600",
         "tab\t nl\n cr\r bs\b ff\f", std::string("nul\0 esc\x1b us\x1f", 13), "del\x7f"}}});
  cases.push_back({{std::string("key\x01\n\"", 6), {{"nested", {{"deeper", {1, {{"k", "v"}}}}}}}}});
  for (const auto& data : cases) EXPECT_EQ(DataOf(data), data.dump()) << data.dump();
}

// A string that is not UTF-8 cannot be written; nlohmann's refusal stands (its dump throws).
TEST(EventLine, DataThatIsNotUtf8IsRefusedAsBefore) {
  nlohmann::json data = {{"bad", std::string("\xff\xfe")}};
  EXPECT_THROW(DataOf(data), nlohmann::json::type_error);
}

}  // namespace
}  // namespace glassbox::recorder
