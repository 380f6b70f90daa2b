// The privacy audit: finds every dictionary input behind md5, sha256 and hmac-sha256 digests,
// and nothing behind digests of random values.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "base/digest.h"
#include "glassbox/recorder.h"
#include "inspect/privacy.h"
#include "tests/privacy/temp_dir.h"

namespace glassbox::inspect {
namespace {

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(schemas_);
    std::ofstream(schemas_ + "/keyed.json") << R"({
      "$id": "iglu:dev.example/keyed/jsonschema/1-0-0",
      "type": "object", "additionalProperties": false,
      "properties": {
        "fingerprint": {"type": "string", "x-privacy": "hmac-sha256"},
        "build": {"type": "string", "x-privacy": "clear", "x-scrub": false,
                  "x-scrub-reason": "build numbers look like IPv4 addresses"},
        "tags": {"type": "object", "additionalProperties": {"type": "string", "x-privacy": "sha256"}}}})";
    RecorderOptions o;
    o.journal_path = dir_ / "journal.db";
    o.schema_dir = schemas_;
    auto rec = Recorder::Open(o);
    ASSERT_TRUE(rec.ok()) << rec.status().message();
    recorder_ = std::move(rec.value());
  }
  PrivacyAudit Audit() {
    journal::Options o;
    o.path = dir_ / "journal.db";
    auto j = journal::Journal::Open(o);
    auto registry = schema::Registry::Open(schemas_);
    auto audit = AuditPrivacy(*j.value(), *registry.value());
    EXPECT_TRUE(audit.ok());
    return audit.value();
  }
  static const HashedFieldAudit& Field(const PrivacyAudit& a, const std::string& name) {
    for (const auto& f : a.fields) {
      if (f.field == name) return f;
    }
    static HashedFieldAudit none;
    ADD_FAILURE() << "no field " << name;
    return none;
  }
  testing::TempDir dir_;
  std::string schemas_ = dir_ / "schemas";
  std::unique_ptr<Recorder> recorder_;
};

TEST_F(AuditTest, EveryDigestOfADictionaryInputIsReversed) {
  ASSERT_TRUE(recorder_
                  ->Record("cli_event", R"({"command": "run",
      "args": ["--full-refresh", "--select", "42", "true", "x9-", "tap-github", "1.2.3", "-v"],
      "plugins": [{"name": "p", "config": {}}], "project_config": false})")
                  .ok());
  ASSERT_TRUE(recorder_->Record("keyed", R"({"fingerprint": "yes", "tags": {"a": "prod"}})").ok());
  auto a = Audit();
  EXPECT_EQ(a.events, 2);
  const auto& args = Field(a, "args[]");
  EXPECT_EQ(args.values, 8);
  EXPECT_EQ(args.reversed.size(), 8u);
  EXPECT_EQ(args.reversed.at(base::Md5Hex("--full-refresh")), "--full-refresh");
  EXPECT_EQ(args.verdict(), HashedFieldAudit::Verdict::kClearText);
  EXPECT_EQ(Field(a, "plugins[].config").reversed.begin()->second, "{}");
  EXPECT_EQ(Field(a, "project_config").reversed.begin()->second, "false");
  // Keyed digests fall too, to whoever holds the key (it is in the journal).
  EXPECT_EQ(Field(a, "fingerprint").reversed.begin()->second, "yes");
  EXPECT_EQ(Field(a, "tags.*").reversed.begin()->second, "prod");
  EXPECT_GT(a.dictionary_size, 60000);
  ASSERT_EQ(a.unscrubbed.size(), 1u);
  EXPECT_EQ(a.unscrubbed[0].field, "build");
  EXPECT_EQ(a.unscrubbed[0].reason, "build numbers look like IPv4 addresses");
  EXPECT_NE(PrivacyAuditText(a).find("keyed@1-0-0 build (clear): NOT SCRUBBED"), std::string::npos);
}

TEST_F(AuditTest, RandomValuesAreNotReversedAndUnseenFieldsAreListed) {
  ASSERT_TRUE(
      recorder_->Record("cli_event", R"({"command": "run", "args": ["q8Zr-41xv-Kp0w", "--force"]})")
          .ok());
  auto a = Audit();
  const auto& args = Field(a, "args[]");
  EXPECT_EQ(args.distinct.size(), 2u);
  EXPECT_EQ(args.reversed.size(), 1u);
  EXPECT_EQ(args.verdict(), HashedFieldAudit::Verdict::kClearText);  // half is "most"
  EXPECT_EQ(Field(a, "project_config").verdict(), HashedFieldAudit::Verdict::kNoValues);
  auto text = PrivacyAuditText(a);
  EXPECT_NE(text.find("EFFECTIVELY CLEAR TEXT"), std::string::npos);
  EXPECT_EQ(text.find("q8Zr"), std::string::npos);
}

TEST_F(AuditTest, TheReportNeverShowsTheInstallKey) {
  ASSERT_TRUE(recorder_->Record("keyed", R"({"fingerprint": "yes"})").ok());
  journal::Options o;
  o.path = dir_ / "journal.db";
  auto key = journal::Journal::Open(o).value()->GetMeta("hmac_key").value();
  ASSERT_EQ(key.size(), 64u);
  auto a = Audit();
  EXPECT_EQ(PrivacyAuditText(a).find(key), std::string::npos);
  EXPECT_EQ(PrivacyAuditJson(a).dump().find(key), std::string::npos);
}

// Stored lines are read with simdjson; one it refuses (here an integer over 64 bits, which
// nlohmann reads as a double) is read with nlohmann, so its event and values still count.
// Redactions are summed from either.
TEST_F(AuditTest, LinesSimdjsonRefusesAreAuditedToo) {
  recorder_.reset();
  journal::Options o;
  o.path = dir_ / "journal.db";
  auto j = journal::Journal::Open(o);
  ASSERT_TRUE(j.ok()) << j.status().message();
  const std::string digest = base::Md5Hex("--full-refresh");
  auto line = [&](const std::string& id, const std::string& extra) {
    return R"({"event_id":")" + id +
           R"(","schema":"iglu:dev.glassbox/cli_event/jsonschema/1-0-0","phase":"single",)" +
           R"("recorded_at":"2026-01-01T00:00:00.000Z","data":{"command":"run","args":[")" +
           digest + R"("]},"context":{},"redactions":{"email":2})" + extra + "}";
  };
  std::string plain = line("e1", ""), huge = line("e2", R"(,"n":123456789012345678901234567890)");
  // Of two "schema" members the last counts, as nlohmann keeps it: here the known one.
  std::string twice = line("e3", "");
  twice.insert(twice.find(R"("schema")"),
               R"("schema":"iglu:dev.example/unknown/jsonschema/1-0-0",)");
  ASSERT_TRUE(j.value()
                  ->Append({{plain, journal::EventState::kPending, 1, {}},
                            {huge, journal::EventState::kPending, 2, {}},
                            {twice, journal::EventState::kPending, 3, {}}})
                  .ok());
  j.value().reset();
  auto a = Audit();
  EXPECT_EQ(a.events, 3);
  EXPECT_EQ(Field(a, "args[]").values, 3);
  EXPECT_EQ(Field(a, "args[]").reversed.at(digest), "--full-refresh");
  EXPECT_TRUE(a.unknown_schemas.empty());
  EXPECT_EQ(a.events_with_redactions, 3);
  EXPECT_EQ(a.redactions["email"], 6);
}

TEST(DictionaryTest, HoldsShortStringsNumbersVersionsFlagsAndToolNames) {
  auto d = Dictionary();
  for (const char* w :
       {"", "a", "zz9", "a-b", "0", "10000", "-1", "3.11", "1.20.3", "true", "null", "{}", "--help",
        "--no-color", "tap-github", "target-snowflake", "dbt-postgres", "great-expectations"}) {
    EXPECT_TRUE(std::binary_search(d.begin(), d.end(), std::string(w))) << w;
  }
  EXPECT_FALSE(std::binary_search(d.begin(), d.end(), std::string("abcd")));
}

}  // namespace
}  // namespace glassbox::inspect
