#pragma once
// A private journal in a temp directory, filled with small synthetic events.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "journal/journal.h"

namespace glassbox::replay::testing {

class TempJournal {
 public:
  TempJournal() {
    char tmpl[] = "/tmp/glassbox-replay-test-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    journal::Options o;
    o.path = path();
    auto j = journal::Journal::Open(o);
    EXPECT_TRUE(j.ok()) << j.status().message();
    journal_ = std::move(j.value());
  }
  ~TempJournal() {
    journal_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string path() const { return dir_ + "/journal.db"; }
  journal::Journal& operator*() { return *journal_; }
  journal::Journal* operator->() { return journal_.get(); }

  // Appends `n` events "{"n":K,...}" with recorded_ms = `at_ms` + K; returns their seqs.
  std::vector<int64_t> Add(int n, journal::EventState state = journal::EventState::kPending,
                           int64_t at_ms = 1'700'000'000'000, size_t pad = 0) {
    std::vector<std::string> lines;
    std::vector<journal::NewEvent> events;
    for (int i = 0; i < n; ++i) {
      std::string noise;  // incompressible, so sizes mean something
      for (size_t k = 0; k < pad; ++k) {
        seed_ = seed_ * 6364136223846793005ull + 1442695040888963407ull;
        noise.push_back("0123456789abcdef"[seed_ >> 60]);
      }
      lines.push_back("{\"n\":" + std::to_string(next_++) + ",\"pad\":\"" + noise + "\"}");
    }
    for (int i = 0; i < n; ++i) events.push_back({lines[i], state, at_ms + i, {}});
    std::vector<int64_t> seqs;
    EXPECT_TRUE(journal_->Append(events, &seqs).ok());
    return seqs;
  }

  int64_t Count(journal::EventState state) {
    auto c = journal_->CountStates();
    EXPECT_TRUE(c.ok());
    switch (state) {
      case journal::EventState::kPending:
        return c.value().pending;
      case journal::EventState::kSent:
        return c.value().sent;
      case journal::EventState::kExported:
        return c.value().exported;
      case journal::EventState::kLocal:
        return c.value().local;
    }
    return -1;
  }

 private:
  std::string dir_;
  std::unique_ptr<journal::Journal> journal_;
  int next_ = 0;
  uint64_t seed_ = 42;
};

}  // namespace glassbox::replay::testing
