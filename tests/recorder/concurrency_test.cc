// Threads sharing one Recorder, and several Recorders on one journal in one process. Built
// and run under ThreadSanitizer in CI (ctest label "concurrency").
#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>
#include <vector>

#include "glassbox/recorder.h"
#include "journal/journal.h"

namespace glassbox {
namespace {

namespace fs = std::filesystem;

class ConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("DO_NOT_TRACK");
    ::unsetenv("GLASSBOX_CONSENT");
    char tmpl[] = "/tmp/glassbox-concurrency-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    options_.journal_path = dir_ + "/journal.db";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Recorder> Open() {
    auto r = Recorder::Open(options_);
    EXPECT_TRUE(r.ok()) << r.status().message();
    return r.ok() ? std::move(r.value()) : nullptr;
  }
  std::set<std::string> StoredIds() {
    journal::Options o;
    o.path = options_.journal_path;
    o.read_only = true;
    auto j = journal::Journal::Open(o);
    EXPECT_TRUE(j.ok());
    std::set<std::string> ids;
    EXPECT_TRUE(j.value()
                    ->Scan({},
                           [&](const journal::StoredEvent& e) {
                             auto at = e.line.find("\"event_id\":\"");
                             ids.emplace(e.line.substr(at + 12, 36));
                             return true;
                           })
                    .ok());
    return ids;
  }
  // Records `n` events from `threads` threads through `recorders` (round robin); returns ids.
  std::vector<std::string> Hammer(const std::vector<Recorder*>& recorders, int threads, int n) {
    std::vector<std::vector<std::string>> ids(threads);
    std::atomic<int> failures{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        Recorder& r = *recorders[t % recorders.size()];
        for (int i = 0; i < n; ++i) {
          std::string data =
              R"({"command":"t)" + std::to_string(t) + "-" + std::to_string(i) + "\"}";
          if (i % 10 == 0) {
            auto span = r.Start("cli_event", data);
            auto done = span.ok() ? span->Complete({"success", 0, ""}) : span.status();
            if (done.ok())
              ids[t].push_back(done.value());
            else
              ++failures;
          } else {
            auto id = r.Record("cli_event", data);
            if (id.ok())
              ids[t].push_back(id.value());
            else
              ++failures;
          }
        }
      });
    }
    for (auto& th : pool) th.join();
    EXPECT_EQ(failures.load(), 0);
    std::vector<std::string> all;
    for (auto& v : ids) all.insert(all.end(), v.begin(), v.end());
    return all;
  }

  std::string dir_;
  RecorderOptions options_;
};

TEST_F(ConcurrencyTest, ThreadsSharingOneRecorderLoseNothing) {
  auto r = Open();
  auto ids = Hammer({r.get()}, 8, 150);
  EXPECT_EQ(ids.size(), 1200u);
  auto stored = StoredIds();
  for (const auto& id : ids) EXPECT_TRUE(stored.count(id)) << id;
  EXPECT_EQ(r->counters().recorded, 1200u + 120u);  // spans add a started event each
  EXPECT_EQ(r->counters().dropped, 0u);
}

TEST_F(ConcurrencyTest, SeveralRecordersOnOneJournalLoseNothing) {
  auto a = Open(), b = Open(), c = Open();
  auto ids = Hammer({a.get(), b.get(), c.get()}, 6, 150);
  EXPECT_EQ(ids.size(), 900u);
  auto stored = StoredIds();
  for (const auto& id : ids) EXPECT_TRUE(stored.count(id)) << id;
  EXPECT_EQ(stored.size(), 900u + 90u);
}

}  // namespace
}  // namespace glassbox
