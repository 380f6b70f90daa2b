// The C API through libglassbox.so itself: what a C or ctypes host sees.
#include "glassbox/glassbox.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "glassbox/recorder.h"

namespace {

namespace fs = std::filesystem;

class CApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("glassbox-capi-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    ::unsetenv("DO_NOT_TRACK");
    ::unsetenv("GLASSBOX_CONSENT");
    ASSERT_EQ(GLASSBOX_OK, Open(&rec_));
  }
  void TearDown() override {
    glassbox_recorder_close(rec_);
    ::unsetenv("GLASSBOX_CONSENT");
    fs::remove_all(dir_);
  }

  glassbox_status Open(glassbox_recorder** out) {
    glassbox_options* o = glassbox_options_new();
    glassbox_options_set_journal(o, (dir_ / "journal.db").c_str());
    glassbox_options_set_app(o, "capi-test", "1.0");
    glassbox_status st = glassbox_recorder_open(o, out);
    glassbox_options_free(o);
    return st;
  }

  glassbox_counters Counters() {
    glassbox_counters c{};
    EXPECT_EQ(GLASSBOX_OK, glassbox_recorder_counters(rec_, &c));
    return c;
  }

  fs::path dir_;
  glassbox_recorder* rec_ = nullptr;
};

TEST_F(CApiTest, RecordWritesAnEventIdAndCountsIt) {
  char id[GLASSBOX_ID_SIZE] = "x";
  ASSERT_EQ(GLASSBOX_OK, glassbox_record(rec_, "cli_event", R"({"command":"run"})", id));
  EXPECT_EQ(36u, std::strlen(id));
  EXPECT_STREQ("", glassbox_last_error());
  EXPECT_EQ(1u, Counters().recorded);
}

TEST_F(CApiTest, RecordAcceptsANullIdBuffer) {
  EXPECT_EQ(GLASSBOX_OK, glassbox_record(rec_, "cli_event", R"({"command":"run"})", nullptr));
}

TEST_F(CApiTest, RefusedEventNamesTheFieldButNotTheValue) {
  char id[GLASSBOX_ID_SIZE] = "x";
  EXPECT_EQ(GLASSBOX_INVALID_EVENT,
            glassbox_record(rec_, "cli_event", R"({"command":"run","password":"hunter2"})", id));
  EXPECT_STREQ("", id);
  std::string message = glassbox_last_error();
  EXPECT_NE(std::string::npos, message.find("password")) << message;
  EXPECT_EQ(std::string::npos, message.find("hunter2")) << message;
  EXPECT_EQ(1u, Counters().refused);
  EXPECT_EQ(0u, Counters().recorded);
}

TEST_F(CApiTest, MalformedJsonIsRefusedWithoutQuotingIt) {
  EXPECT_NE(GLASSBOX_OK, glassbox_record(rec_, "cli_event", "{\"command\": secret-token", nullptr));
  EXPECT_EQ(std::string::npos, std::string(glassbox_last_error()).find("secret-token"));
  EXPECT_EQ(1u, Counters().refused);
}

TEST_F(CApiTest, UnknownSchemaIsNotFound) {
  EXPECT_EQ(GLASSBOX_NOT_FOUND, glassbox_record(rec_, "no_such_schema", "{}", nullptr));
  EXPECT_STRNE("", glassbox_last_error());
}

TEST_F(CApiTest, NullPointersAreInvalidArgumentsNotCrashes) {
  char id[GLASSBOX_ID_SIZE] = "x";
  EXPECT_EQ(GLASSBOX_INVALID_ARGUMENT, glassbox_record(nullptr, "cli_event", "{}", id));
  EXPECT_STREQ("", id);
  EXPECT_NE(nullptr, std::strstr(glassbox_last_error(), "recorder"));
  EXPECT_EQ(GLASSBOX_INVALID_ARGUMENT, glassbox_record(rec_, nullptr, "{}", id));
  EXPECT_EQ(GLASSBOX_INVALID_ARGUMENT, glassbox_record(rec_, "cli_event", nullptr, id));
  EXPECT_EQ(GLASSBOX_INVALID_ARGUMENT, glassbox_start(rec_, nullptr, "{}", id));
  EXPECT_EQ(GLASSBOX_INVALID_ARGUMENT,
            glassbox_complete(rec_, nullptr, "success", nullptr, nullptr, id));
  EXPECT_EQ(GLASSBOX_INVALID_ARGUMENT, glassbox_complete(rec_, "x", nullptr, nullptr, nullptr, id));
  EXPECT_EQ(GLASSBOX_INVALID_ARGUMENT, glassbox_recorder_counters(rec_, nullptr));
  EXPECT_EQ(GLASSBOX_INVALID_ARGUMENT, glassbox_recorder_counters(nullptr, nullptr));
  EXPECT_EQ(GLASSBOX_INVALID_ARGUMENT, glassbox_flush(nullptr));
  EXPECT_EQ(GLASSBOX_INVALID_ARGUMENT, glassbox_recorder_open(nullptr, nullptr));
  EXPECT_EQ(GLASSBOX_INVALID_ARGUMENT, glassbox_options_set_journal(nullptr, "x"));
  EXPECT_EQ(GLASSBOX_INVALID_ARGUMENT, glassbox_options_set_buffered(nullptr, 1, 0));
  EXPECT_EQ(nullptr, glassbox_recorder_install_id(nullptr));
  glassbox_recorder_close(nullptr);
  glassbox_options_free(nullptr);
}

TEST_F(CApiTest, SpanStartsAndCompletesWithFinalState) {
  char span[GLASSBOX_ID_SIZE], done[GLASSBOX_ID_SIZE];
  ASSERT_EQ(GLASSBOX_OK, glassbox_start(rec_, "cli_event", R"({"command":"elt"})", span));
  ASSERT_EQ(36u, std::strlen(span));
  int64_t exit_code = 3;
  ASSERT_EQ(GLASSBOX_OK, glassbox_complete(rec_, span, "failed", &exit_code, "ValueError", done))
      << glassbox_last_error();
  EXPECT_EQ(36u, std::strlen(done));
  EXPECT_STRNE(span, done);
  EXPECT_EQ(2u, Counters().recorded);
  // The span is closed: completing it again finds nothing open.
  EXPECT_EQ(GLASSBOX_NOT_FOUND, glassbox_complete(rec_, span, "success", nullptr, nullptr, done));
}

TEST_F(CApiTest, CompletingAnUnknownSpanIsRefused) {
  EXPECT_EQ(GLASSBOX_NOT_FOUND, glassbox_complete(rec_, "0190e0e0-0000-7000-8000-000000000000",
                                                  "success", nullptr, nullptr, nullptr));
  EXPECT_EQ(1u, Counters().refused);
}

TEST_F(CApiTest, FinalStatusOutsideTheVocabularyIsInvalidArgument) {
  char span[GLASSBOX_ID_SIZE];
  ASSERT_EQ(GLASSBOX_OK, glassbox_start(rec_, "cli_event", R"({"command":"elt"})", span));
  EXPECT_EQ(GLASSBOX_INVALID_ARGUMENT,
            glassbox_complete(rec_, span, "finished", nullptr, nullptr, nullptr));
}

TEST_F(CApiTest, EmptySpanIdCompletesAsANoOp) {
  char id[GLASSBOX_ID_SIZE] = "x";
  EXPECT_EQ(GLASSBOX_OK, glassbox_complete(rec_, "", "success", nullptr, nullptr, id));
  EXPECT_STREQ("", id);
  EXPECT_EQ(0u, Counters().recorded);
}

TEST_F(CApiTest, ConsentOffSucceedsWithEmptyIdsAndCountsSkipped) {
  glassbox_recorder_close(rec_);
  ::setenv("GLASSBOX_CONSENT", "off", 1);
  ASSERT_EQ(GLASSBOX_OK, Open(&rec_));
  char id[GLASSBOX_ID_SIZE] = "x", span[GLASSBOX_ID_SIZE] = "x";
  EXPECT_EQ(GLASSBOX_OK, glassbox_record(rec_, "cli_event", R"({"command":"run"})", id));
  EXPECT_EQ(GLASSBOX_OK, glassbox_start(rec_, "cli_event", R"({"command":"run"})", span));
  EXPECT_STREQ("", id);
  EXPECT_STREQ("", span);
  EXPECT_EQ(GLASSBOX_OK, glassbox_complete(rec_, span, "success", nullptr, nullptr, id));
  EXPECT_EQ(2u, Counters().skipped);
  EXPECT_EQ(0u, Counters().recorded);
}

TEST_F(CApiTest, LastErrorIsClearedBySuccessAndKeptPerThread) {
  EXPECT_NE(GLASSBOX_OK, glassbox_record(rec_, "no_such_schema", "{}", nullptr));
  std::string other_thread = "unset";
  std::thread([&] { other_thread = glassbox_last_error(); }).join();
  EXPECT_EQ("", other_thread);
  EXPECT_STRNE("", glassbox_last_error());
  EXPECT_EQ(GLASSBOX_OK, glassbox_flush(rec_));
  EXPECT_STREQ("", glassbox_last_error());
}

TEST_F(CApiTest, ThreadsShareOneRecorder) {
  constexpr int kThreads = 4, kEach = 25;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        if (glassbox_record(rec_, "cli_event", R"({"command":"run"})", nullptr) != GLASSBOX_OK) {
          ++failures;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(0, failures.load());
  EXPECT_EQ(uint64_t{kThreads * kEach}, Counters().recorded);
}

TEST_F(CApiTest, OpenFailureLeavesNoHandleAndExplains) {
  glassbox_options* o = glassbox_options_new();
  ASSERT_EQ(GLASSBOX_OK, glassbox_options_set_journal(o, "/dev/null/journal.db"));
  glassbox_recorder* r = reinterpret_cast<glassbox_recorder*>(0x1);
  EXPECT_NE(GLASSBOX_OK, glassbox_recorder_open(o, &r));
  EXPECT_EQ(nullptr, r);
  EXPECT_STRNE("", glassbox_last_error());
  glassbox_options_free(o);
}

TEST_F(CApiTest, MissingSchemaDirIsReported) {
  glassbox_options* o = glassbox_options_new();
  glassbox_options_set_journal(o, (dir_ / "other.db").c_str());
  glassbox_options_set_schema_dir(o, (dir_ / "no-such-dir").c_str());
  glassbox_recorder* r = nullptr;
  EXPECT_NE(GLASSBOX_OK, glassbox_recorder_open(o, &r));
  EXPECT_EQ(nullptr, r);
  glassbox_options_free(o);
}

TEST_F(CApiTest, InstallIdIsStableForTheJournal) {
  std::string first = glassbox_recorder_install_id(rec_);
  EXPECT_FALSE(first.empty());
  glassbox_recorder_close(rec_);
  ASSERT_EQ(GLASSBOX_OK, Open(&rec_));
  EXPECT_EQ(first, glassbox_recorder_install_id(rec_));
}

TEST_F(CApiTest, VersionAndStatusNames) {
  EXPECT_STREQ(glassbox::Version(), glassbox_version());
  EXPECT_STREQ("ok", glassbox_status_name(GLASSBOX_OK));
  EXPECT_STREQ("invalid_event", glassbox_status_name(GLASSBOX_INVALID_EVENT));
  EXPECT_STREQ("internal", glassbox_status_name(GLASSBOX_INTERNAL));
  EXPECT_STREQ("unknown", glassbox_status_name(static_cast<glassbox_status>(42)));
}

TEST_F(CApiTest, BufferedEventsAreWrittenByFlush) {
  glassbox_recorder_close(rec_);
  glassbox_options* o = glassbox_options_new();
  glassbox_options_set_journal(o, (dir_ / "journal.db").c_str());
  ASSERT_EQ(GLASSBOX_OK, glassbox_options_set_buffered(o, 1, 0));
  ASSERT_EQ(GLASSBOX_OK, glassbox_recorder_open(o, &rec_));
  glassbox_options_free(o);
  char span[GLASSBOX_ID_SIZE];
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(GLASSBOX_OK, glassbox_record(rec_, "cli_event", R"({"command":"run"})", nullptr));
  }
  ASSERT_EQ(GLASSBOX_OK, glassbox_start(rec_, "cli_event", R"({"command":"elt"})", span));
  ASSERT_EQ(GLASSBOX_OK, glassbox_flush(rec_));
  EXPECT_EQ(21u, Counters().recorded);
  // Written, not just queued: another (unbuffered) recorder finds the started event.
  glassbox_recorder* other = nullptr;
  ASSERT_EQ(GLASSBOX_OK, Open(&other));
  EXPECT_EQ(GLASSBOX_OK, glassbox_complete(other, span, "success", nullptr, nullptr, nullptr))
      << glassbox_last_error();
  glassbox_recorder_close(other);
}

// The C++ API is exported from the same library.
TEST_F(CApiTest, CxxApiWorksThroughTheSharedLibrary) {
  glassbox::RecorderOptions o;
  o.journal_path = (dir_ / "cxx.db").string();
  auto rec = glassbox::Recorder::Open(o);
  ASSERT_TRUE(rec.ok()) << rec.status().message();
  auto span = (*rec)->Start("cli_event", R"({"command":"elt"})");
  ASSERT_TRUE(span.ok());
  glassbox::FinalState final_state;
  final_state.status = "success";
  EXPECT_TRUE(span->Complete(final_state).ok());
  EXPECT_EQ(2u, (*rec)->counters().recorded);
}

}  // namespace
