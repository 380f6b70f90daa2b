// The public Recorder: what it stores, what it refuses, and how it counts.
#include "glassbox/recorder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/digest.h"
#include "journal/journal.h"
#include "journal/sqlite_util.h"

namespace glassbox {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class RecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* var : {"DO_NOT_TRACK", "GLASSBOX_CONSENT", "GLASSBOX_JOURNAL"}) {
      ::unsetenv(var);
    }
    char tmpl[] = "/tmp/glassbox-recorder-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    fs::create_directories(dir_ + "/schemas");
    json doc = {{"$id", "iglu:com.acme/blob/jsonschema/1-0-0"},
                {"type", "object"},
                {"properties",
                 {{"text",
                   {{"type", "string"},
                    {"x-privacy", "clear"},
                    {"x-scrub", false},
                    {"x-scrub-reason", "test data"}}}}},
                {"additionalProperties", false}};
    std::ofstream(dir_ + "/schemas/blob.json") << doc.dump();
    options_.journal_path = dir_ + "/journal.db";
    options_.schema_dir = dir_ + "/schemas";
    options_.app_name = "recorder-test";
  }
  void TearDown() override {
    rec_.reset();
    fs::remove_all(dir_);
  }
  Recorder& Open() {
    auto r = Recorder::Open(options_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    rec_ = std::move(r.value());
    return *rec_;
  }
  std::vector<json> Stored() {
    journal::Options o;
    o.path = options_.journal_path;
    o.read_only = true;
    auto j = journal::Journal::Open(o);
    EXPECT_TRUE(j.ok()) << j.status().message();
    std::vector<json> events;
    EXPECT_TRUE(j.value()
                    ->Scan({},
                           [&](const journal::StoredEvent& e) {
                             events.push_back(json::parse(e.line));
                             return true;
                           })
                    .ok());
    return events;
  }

  std::string dir_;
  RecorderOptions options_;
  std::unique_ptr<Recorder> rec_;
};

TEST_F(RecorderTest, RecordStoresTheAnonymizedEventWithContext) {
  auto id = Open().Record("cli_event", R"({"command":"run","args":["--x"],"settings":{"k":"v"}})");
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto events = Stored();
  ASSERT_EQ(events.size(), 1u);
  const json& e = events[0];
  EXPECT_EQ(e["event_id"], id.value());
  EXPECT_EQ(e["schema"], "iglu:dev.glassbox/cli_event/jsonschema/1-0-0");
  EXPECT_EQ(e["phase"], "single");
  EXPECT_EQ(e["data"], json({{"command", "run"}, {"args", {base::Md5Hex("--x")}}}));
  EXPECT_EQ(e["context"]["app_name"], "recorder-test");
  EXPECT_EQ(e["context"]["install_id"], rec_->install_id());
  EXPECT_EQ(rec_->counters().recorded, 1u);
}

TEST_F(RecorderTest, RefusedEventsAreCountedAndNothingIsStored) {
  Recorder& r = Open();
  EXPECT_EQ(r.Record("cli_event", R"({"command":"run","nope":1})").status().code(),
            StatusCode::kInvalidEvent);
  EXPECT_EQ(r.Record("cli_event", R"({"command":"run","command":"x"})").status().code(),
            StatusCode::kInvalidEvent);
  EXPECT_EQ(r.Record("no_such_schema", R"({})").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.Record("cli_event", R"({"args":["x"]})").status().code(),
            StatusCode::kInvalidEvent);  // command is required
  EXPECT_EQ(r.counters().refused, 4u);
  EXPECT_EQ(r.counters().recorded, 0u);
  EXPECT_TRUE(Stored().empty());
}

TEST_F(RecorderTest, SpanCompletesWithTheStartedDataAndFinalState) {
  Recorder& r = Open();
  auto span = r.Start("cli_event", R"({"command":"elt"})");
  ASSERT_TRUE(span.ok());
  ASSERT_FALSE(span->id().empty());
  auto done = span->Complete({"failed", 3, "ValueError"});
  ASSERT_TRUE(done.ok()) << done.status().message();
  auto events = Stored();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["phase"], "completed");
  EXPECT_EQ(events[1]["span_id"], span->id());
  EXPECT_EQ(events[1]["data"], events[0]["data"]);
  EXPECT_EQ(events[1]["final"]["status"], "failed");
  EXPECT_EQ(events[1]["final"]["exit_code"], 3);
  EXPECT_EQ(events[1]["final"]["error_type"], "ValueError");
  EXPECT_EQ(r.Complete(span->id(), {"success", {}, ""}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(r.Complete("x", {"bogus", {}, ""}).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RecorderTest, ConsentOffIsASuccessfulNoOpThatIsCounted) {
  ::setenv("GLASSBOX_CONSENT", "off", 1);
  Recorder& r = Open();
  auto id = r.Record("cli_event", R"({"command":"run"})");
  ::unsetenv("GLASSBOX_CONSENT");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id.value(), "");
  EXPECT_EQ(r.counters().skipped, 1u);
  EXPECT_TRUE(Stored().empty());
}

TEST_F(RecorderTest, ValuesWithShellMetacharactersAndNewlinesAreStoredVerbatim) {
  std::string tricky = "$(touch /tmp/pwned); `id` | rm -rf * && echo \"q\" 'q'\nline2\r\n\tend";
  auto id = Open().Record("blob", json({{"text", tricky}}).dump());
  ASSERT_TRUE(id.ok()) << id.status().message();
  auto events = Stored();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["data"]["text"], tricky);
}

TEST_F(RecorderTest, ErrorsNeverEchoInputValues) {
  Recorder& r = Open();
  for (const char* bad : {R"({"text":"CANARY","CANARY-KEY":1})", R"({"text":["CANARY"]})",
                          R"({"text":"CANARY","text":"CANARY"})", "{\"text\":\"CANARY\xff\"}"}) {
    Status st = r.Record("blob", bad).status();
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_THAT(st.message(), Not(HasSubstr("CANARY\""))) << st.message();
    EXPECT_THAT(st.message(), Not(HasSubstr("CANARY\xff"))) << st.message();
  }
}

// A journal write failure (here: the file-size limit, like a full disk) is a counted drop, and
// recording works again once the fault clears.
TEST_F(RecorderTest, JournalWriteFailureIsACountedDropAndRecordingResumes) {
  Recorder& r = Open();
  ASSERT_TRUE(r.Record("blob", R"({"text":"small"})").ok());
  ::signal(SIGXFSZ, SIG_IGN);
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  struct rlimit tight = old;
  tight.rlim_cur = static_cast<rlim_t>(fs::file_size(options_.journal_path + "-wal") + 1024);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &tight), 0);
  std::string big = json({{"text", std::string(200000, 'x')}}).dump();
  Status st = r.Record("blob", big).status();
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old), 0);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(r.counters().dropped, 1u);
  EXPECT_TRUE(r.Record("blob", big).ok());
  EXPECT_EQ(r.counters().recorded, 2u);
  EXPECT_EQ(Stored().size(), 2u);
}

TEST_F(RecorderTest, OpenOnADamagedJournalRecoversInsteadOfFailing) {
  std::string install_id;
  {
    Recorder& r = Open();
    ASSERT_TRUE(r.Record("blob", R"({"text":"before"})").ok());
    install_id = r.install_id();
    rec_.reset();
  }
  {
    std::fstream f(options_.journal_path, std::ios::in | std::ios::out | std::ios::binary);
    f.write(std::string(100, '\0').data(), 100);  // the header: "file is not a database"
  }
  Recorder& r = Open();
  EXPECT_EQ(r.install_id(), install_id);
  ASSERT_TRUE(r.Record("blob", R"({"text":"after"})").ok());
  auto events = Stored();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0]["data"]["text"], "before");
  EXPECT_EQ(events[1]["data"]["text"], "after");
  bool set_aside = false;
  for (const auto& e : fs::directory_iterator(dir_)) {
    set_aside |= e.path().filename().string().find("journal.db.corrupt-") == 0;
  }
  EXPECT_TRUE(set_aside);
}

TEST_F(RecorderTest, WritesFollowAJournalReplacedByAnotherProcess) {
  Recorder& r = Open();
  ASSERT_TRUE(r.Record("blob", R"({"text":"old"})").ok());
  // What another process's recovery does: the file at the path is moved away.
  fs::rename(options_.journal_path, options_.journal_path + ".elsewhere");
  fs::remove(options_.journal_path + "-wal");
  fs::remove(options_.journal_path + "-shm");
  ASSERT_TRUE(r.Record("blob", R"({"text":"new"})").ok());
  auto events = Stored();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["data"]["text"], "new");
}

// What a child of fork() does with the Recorder it inherited. Runs in the child: no gtest
// assertions there; the exit code says which step failed. It opens no SQLite connection of
// its own: a thread of the parent (the sealer, the buffered writer) may have held one of
// SQLite's global mutexes at the fork, and the child would block on it (seen under ASan).
int ChildAfterFork(std::unique_ptr<Recorder> inherited) {
  ::alarm(20);  // a lock held by a thread that did not survive the fork would hang here
  auto refused = inherited->Record("blob", R"({"text":"child, inherited"})");
  if (refused.ok() || refused.status().message().find("fork()") == std::string::npos) return 2;
  if (inherited->Flush().ok() || inherited->counters().dropped != 1) return 3;
  inherited.reset();  // must neither close the parent's connection nor wait for its threads
  return 0;
}

// A host that forks with a Recorder open (a pre-fork server, Python's multiprocessing): the
// child's inherited Recorder refuses without blocking and closes without touching anything,
// and the parent keeps recording, its background sealer (or buffered writer) included, into
// a journal that stays whole.
TEST_F(RecorderTest, AForkedChildsInheritedRecorderRefusesAndTheJournalStaysWhole) {
  for (bool buffered : {false, true}) {
    SCOPED_TRACE(buffered ? "buffered" : "durable");
    fs::remove(options_.journal_path);
    options_.buffered = buffered;
    Recorder& r = Open();
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(r.Record("blob", R"({"text":"parent"})").ok());
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) ::_exit(ChildAfterFork(std::move(rec_)));
    for (int i = 0; i < 300; ++i) ASSERT_TRUE(r.Record("blob", R"({"text":"parent"})").ok());
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << "the child was killed (a hang ends in SIGALRM)";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the step that failed in the child";
    ASSERT_TRUE(r.Record("blob", R"({"text":"parent"})").ok());
    rec_.reset();
    EXPECT_EQ(Stored().size(), 601u);
    journal::Options o;
    o.path = options_.journal_path;
    auto j = journal::Journal::Open(o);
    ASSERT_TRUE(j.ok()) << j.status().message();
    std::string report;
    EXPECT_TRUE(j.value()->IntegrityCheck(&report).ok()) << report;
    j.value().reset();
    for (const char* suffix : {"", "-wal", "-shm", ".id"}) {
      fs::remove(options_.journal_path + suffix);
    }
  }
}

// Buffered mode's writer holds the tail until it fills a level-2 block (4,096 events) and
// seals it there directly; closing seals what it still held as any append would, so the
// journal at rest keeps fewer than a level-0 block's worth (128) of raw rows.
TEST_F(RecorderTest, BufferedModeSealsWholeLevelTwoBlocksAndCloseSealsTheRest) {
  options_.buffered = true;
  Recorder& r = Open();
  for (int i = 0; i < 4300; ++i) ASSERT_TRUE(r.Record("blob", R"({"text":"x"})").ok());
  ASSERT_TRUE(r.Flush().ok());
  auto count = [&](const char* sql) {
    journal::Options o;
    o.path = options_.journal_path;
    o.read_only = true;
    auto j = journal::Journal::Open(o);
    EXPECT_TRUE(j.ok()) << j.status().message();
    journal::detail::Stmt s;
    Status st = s.Prepare(j.value()->db(), sql);
    EXPECT_TRUE(st.ok()) << st.message();
    return s.Step(&st) ? s.Int(0) : -1;
  };
  EXPECT_EQ(count("SELECT count(*) FROM blocks WHERE level = 2 AND count = 4096"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM blocks"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM tail"), 204);  // held
  rec_.reset();
  EXPECT_EQ(count("SELECT count(*) FROM blocks WHERE level = 0 AND count = 128"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM tail"), 76);
  EXPECT_EQ(Stored().size(), 4300u);
}

}  // namespace
}  // namespace glassbox
