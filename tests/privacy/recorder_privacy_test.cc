// Redaction through the public API: event data, the host's execution context, a span's final
// state; counts in each event's "redactions"; x-scrub opt-out.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "glassbox/recorder.h"
#include "journal/journal.h"
#include "tests/privacy/temp_dir.h"

namespace glassbox {
namespace {

using Counts = std::map<std::string, int>;

class RecorderPrivacyTest : public ::testing::Test {
 protected:
  std::unique_ptr<Recorder> Open(RecorderOptions o = {}) {
    o.journal_path = journal_;
    auto r = Recorder::Open(o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(r.value()) : nullptr;
  }
  std::vector<nlohmann::json> Events() {
    journal::Options o;
    o.path = journal_;
    auto j = journal::Journal::Open(o);
    std::vector<nlohmann::json> out;
    EXPECT_TRUE(j.value()
                    ->Scan({},
                           [&](const journal::StoredEvent& e) {
                             out.push_back(nlohmann::json::parse(e.line));
                             return true;
                           })
                    .ok());
    return out;
  }
  static Counts Redactions(const nlohmann::json& event) {
    return event.contains("redactions") ? event["redactions"].get<Counts>() : Counts{};
  }
  testing::TempDir dir_;
  std::string journal_ = dir_ / "journal.db";
};

TEST_F(RecorderPrivacyTest, ClearFieldsAreScrubbedAndCountedPerEvent) {
  auto rec = Open();
  ASSERT_TRUE(rec->Record("cli_event", R"({"command": "deploy 10.0.0.1 and 10.0.0.2",
      "plugins": [{"name": "tap-x token=abc", "variant": "jane@example.org"}]})")
                  .ok());
  ASSERT_TRUE(rec->Record("cli_event", R"({"command": "run"})").ok());
  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["data"]["command"], "deploy [redacted:ip] and [redacted:ip]");
  EXPECT_EQ(events[0]["data"]["plugins"][0]["name"], "tap-x token=[redacted:assignment]");
  EXPECT_EQ(events[0]["data"]["plugins"][0]["variant"], "[redacted:email]");
  EXPECT_EQ(Redactions(events[0]), (Counts{{"assignment", 1}, {"email", 1}, {"ip", 2}}));
  EXPECT_FALSE(events[1].contains("redactions"));  // none: the key is left out
}

TEST_F(RecorderPrivacyTest, TheHostsContextValuesAreScrubbedAndCountedInEveryEvent) {
  RecorderOptions o;
  o.app_name = "tool for jane@example.org";
  o.app_version = "1.2.3";
  o.runtime_version = "3.11 on 192.168.1.20";
  o.project_id = "/home/jane/project";
  auto rec = Open(o);
  ASSERT_TRUE(rec->Record("cli_event", R"({"command": "run"})").ok());
  ASSERT_TRUE(rec->Record("cli_event", R"({"command": "at 10.1.1.1"})").ok());
  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  const auto& ctx = events[0]["context"];
  EXPECT_EQ(ctx["app_name"], "tool for [redacted:email]");
  EXPECT_EQ(ctx["app_version"], "1.2.3");
  EXPECT_EQ(ctx["runtime_version"], "3.11 on [redacted:ip]");
  EXPECT_EQ(ctx["project_id"], "/home/[redacted:home_path]/project");
  EXPECT_EQ(Redactions(events[0]), (Counts{{"email", 1}, {"home_path", 1}, {"ip", 1}}));
  EXPECT_EQ(Redactions(events[1]), (Counts{{"email", 1}, {"home_path", 1}, {"ip", 2}}));
}

TEST_F(RecorderPrivacyTest, ACompletedSpanCountsItsDataContextAndErrorType) {
  RecorderOptions o;
  o.app_name = "ops@example.org";
  auto rec = Open(o);
  auto span = rec->Start("cli_event", R"({"command": "sync 10.0.0.9"})");
  ASSERT_TRUE(span.ok());
  ASSERT_TRUE(span->Complete({"failed", 3, "TimeoutTo fe80::1%eth0"}).ok());
  auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["data"], events[0]["data"]);
  EXPECT_EQ(events[1]["final"]["error_type"], "TimeoutTo [redacted:ip]");
  EXPECT_EQ(Redactions(events[0]), (Counts{{"email", 1}, {"ip", 1}}));
  EXPECT_EQ(Redactions(events[1]), (Counts{{"email", 1}, {"ip", 2}}));
}

TEST_F(RecorderPrivacyTest, AFieldMarkedXScrubFalseWithAReasonIsLeftAsIs) {
  std::string schemas = dir_ / "schemas";
  std::filesystem::create_directories(schemas);
  std::ofstream(schemas + "/probe.json") << R"({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "iglu:dev.example/probe/jsonschema/1-0-0",
    "type": "object", "additionalProperties": false,
    "properties": {
      "version": {"type": "string", "x-privacy": "clear", "x-scrub": false,
                  "x-scrub-reason": "four-part build numbers look like IPv4 addresses"},
      "note": {"type": "string", "x-privacy": "clear"}}})";
  RecorderOptions o;
  o.schema_dir = schemas;
  auto rec = Open(o);
  ASSERT_TRUE(rec->Record("probe", R"({"version": "10.0.0.1", "note": "10.0.0.1"})").ok());
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["data"]["version"], "10.0.0.1");
  EXPECT_EQ(events[0]["data"]["note"], "[redacted:ip]");
  EXPECT_EQ(Redactions(events[0]), (Counts{{"ip", 1}}));
}

TEST_F(RecorderPrivacyTest, MapKeysAreScrubbedAndUndeclaredNamesNeverEchoed) {
  std::string schemas = dir_ / "schemas";
  std::filesystem::create_directories(schemas);
  std::ofstream(schemas + "/hosts.json") << R"({
    "$id": "iglu:dev.example/hosts/jsonschema/1-0-0",
    "type": "object", "additionalProperties": false,
    "properties": {
      "seen": {"type": "object", "additionalProperties": {"type": "integer", "x-privacy": "clear"}}}})";
  RecorderOptions o;
  o.schema_dir = schemas;
  auto rec = Open(o);
  ASSERT_TRUE(rec->Record("hosts", R"({"seen": {"10.0.0.1": 1, "10.0.0.2": 2, "jane@example.org": 3,
                                        "plain": 4}})")
                  .ok());
  auto refused =
      rec->Record("hosts", R"({"seen": {}, "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789": 1})");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message().find("ghp_"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("[redacted:github_token]"), std::string::npos);
  auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(
      events[0]["data"]["seen"],
      (nlohmann::json{
          {"[redacted:ip]", 1}, {"[redacted:ip] (2)", 2}, {"[redacted:email]", 3}, {"plain", 4}}));
  EXPECT_EQ(Redactions(events[0]), (Counts{{"email", 1}, {"ip", 2}}));
}

// Buffered mode keeps raw event lines in the journal's tail longer (up to a level-2 block's
// worth) and seals them straight into level 2: the lines are the anonymized ones all the same.
// Searched in the file and WAL bytes while open (the held rows are plain text there) and in
// every stored line after close (blocks are compressed, so the scan decompresses them).
TEST_F(RecorderPrivacyTest, BufferedModesHeldTailHoldsNoRawValue) {
  const std::vector<std::string> secrets = {"SECRET-ARG-VALUE", "SECRET-TOKEN-VALUE", "10.9.8.7"};
  auto rec = Open({.buffered = true});
  for (int i = 0; i < 4300; ++i) {
    ASSERT_TRUE(rec->Record("cli_event", R"({"command": "deploy 10.9.8.7",
        "args": ["SECRET-ARG-VALUE"], "settings": {"token": "SECRET-TOKEN-VALUE"}})")
                    .ok());
  }
  ASSERT_TRUE(rec->Flush().ok());
  std::string files = testing::ReadAll(journal_) + testing::ReadAll(journal_ + "-wal");
  EXPECT_NE(files.find("deploy [redacted:ip]"), std::string::npos);  // held rows are plain
  for (const std::string& secret : secrets) EXPECT_EQ(files.find(secret), std::string::npos);
  rec.reset();
  auto events = Events();
  ASSERT_EQ(events.size(), 4300u);
  for (const auto& e : events) {
    std::string line = e.dump();
    for (const std::string& secret : secrets) EXPECT_EQ(line.find(secret), std::string::npos);
  }
  EXPECT_EQ(events.back()["data"]["command"], "deploy [redacted:ip]");
}

}  // namespace
}  // namespace glassbox
