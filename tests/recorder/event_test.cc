// The stored line's shape: fixed key order, and every string a valid JSON string.
#include "recorder/event.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace glassbox::recorder
