// Timestamps and ids every event carries.
#include "base/ids.h"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace glassbox::base {
namespace {

Clock::time_point AtMillis(int64_t ms) { return Clock::time_point(std::chrono::milliseconds(ms)); }

// What Rfc3339 wrote before it formatted digits itself: gmtime_r and snprintf.
std::string ByLibc(int64_t ms) {
  time_t secs = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms % 1000));
  return buf;
}

TEST(Rfc3339, WritesUtcWithMillisecondsAtKnownInstants) {
  EXPECT_EQ(Rfc3339(AtMillis(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(Rfc3339(AtMillis(1709251199999)), "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(Rfc3339(AtMillis(1798761600001)), "2027-01-01T00:00:00.001Z");
}

TEST(Rfc3339, AgreesWithLibcAndParsesBack) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> any_ms(0, 7258118400000);  // 1970..2200
  for (int i = 0; i < 20000; ++i) {
    int64_t ms = any_ms(rng);
    std::string text = Rfc3339(AtMillis(ms));
    ASSERT_EQ(text, ByLibc(ms)) << ms;
    Clock::time_point back;
    ASSERT_TRUE(ParseRfc3339(text, &back)) << text;
    ASSERT_EQ(UnixMillis(back), ms) << text;
  }
}

// The written form has a path of its own (no sscanf); past-range fields must come out as
// the general path, through timegm, makes them of the same fields in another spelling.
TEST(Rfc3339, TheWrittenFormParsesAsTheGeneralPathDoes) {
  const std::pair<const char*, const char*> same[] = {
      {"2026-02-31T00:00:00.000Z", "2026-03-03T00:00:00Z"},
      {"2024-02-29T23:59:60.500Z", "2024-03-01T00:00:00.5Z"},
      {"2026-11-30T24:00:00.000Z", "2026-12-01"},
      {"2026-01-00T00:00:00.000Z", "2025-12-31"},
  };
  for (const auto& [written, other] : same) {
    Clock::time_point a, b;
    ASSERT_TRUE(ParseRfc3339(written, &a)) << written;
    ASSERT_TRUE(ParseRfc3339(other, &b)) << other;
    EXPECT_EQ(a, b) << written;
  }
  Clock::time_point t;
  ASSERT_TRUE(ParseRfc3339("1970-01-01T00:00:00.001Z", &t));
  EXPECT_EQ(UnixMillis(t), 1);
  for (const char* refused :
       {"1969-12-31T23:59:59.999Z", "2201-01-01T00:00:00.000Z", "2026-13-01T00:00:00.000Z",
        "2026-00-10T00:00:00.000Z", "2026-01-01T00:00:00.000z", "2026-01-01 00:00:00.000Z"}) {
    EXPECT_FALSE(ParseRfc3339(refused, &t)) << refused;
  }
}

// The random part: everything after the 48-bit time (version and variant bits included).
std::string RandomPart(const std::string& id) { return id.substr(14); }

TEST(UuidV7, CarriesTheTimeTheVersionAndTheVariant) {
  const int64_t ms = 0x0192'3456'789a;
  std::string id = NewUuidV7(AtMillis(ms));
  ASSERT_TRUE(IsUuid(id)) << id;
  EXPECT_EQ(id.substr(0, 13), "01923456-789a");
  EXPECT_EQ(id[14], '7');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
  EXPECT_NE(RandomPart(id).find_first_not_of("0-"), std::string::npos) << id;
}

// A pool holds a few hundred ids' worth; thousands at one instant cross many refills, and
// threads draw from pools of their own.
TEST(UuidV7, IdsAtOneInstantNeverRepeatAcrossRefillsAndThreads) {
  const auto now = AtMillis(1'790'000'000'000);
  std::vector<std::vector<std::string>> drawn(4);
  std::vector<std::thread> threads;
  for (auto& ids : drawn) {
    threads.emplace_back([&ids, now] {
      for (int i = 0; i < 3000; ++i) ids.push_back(NewUuidV7(now));
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct;
  for (const auto& ids : drawn) distinct.insert(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), 4u * 3000u);
}

// A host may record from a thread_local's destructor (or an exit handler) after the thread's
// pool of id randomness is gone: the guard below is constructed first, so destroyed last.
TEST(UuidV7, IdsCanBeDrawnAfterTheThreadsPoolIsGone) {
  struct DrawsAtExit {
    std::string* out = nullptr;
    ~DrawsAtExit() {
      if (out) *out = NewUuidV7(AtMillis(1'790'000'000'000));
    }
  };
  std::string drawn_at_exit;
  std::thread([&drawn_at_exit] {
    thread_local DrawsAtExit guard;
    guard.out = &drawn_at_exit;
    (void)NewUuidV7();  // the pool, constructed after the guard
  }).join();
  EXPECT_TRUE(IsUuid(drawn_at_exit)) << drawn_at_exit;
}

// The pool is copied into a forked child with the rest of memory; were it not wiped there,
// the child's next ids would be the parent's next ids.
TEST(UuidV7, AForkedChildDrawsOtherIdsThanItsParent) {
  const auto now = AtMillis(1'790'000'000'000);
  (void)NewUuidV7(now);  // the parent's pool is filled before the fork
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    std::string ids;
    for (int i = 0; i < 3; ++i) ids += NewUuidV7(now);
    bool written = ::write(fds[1], ids.data(), ids.size()) == static_cast<ssize_t>(ids.size());
    ::_exit(written ? 0 : 1);
  }
  ::close(fds[1]);
  std::string from_child(3 * 36, '\0');
  size_t got = 0;
  for (ssize_t r; got < from_child.size() &&
                  (r = ::read(fds[0], from_child.data() + got, from_child.size() - got)) > 0;) {
    got += static_cast<size_t>(r);
  }
  ::close(fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(got, from_child.size());
  std::set<std::string> child_parts;
  for (size_t i = 0; i < 3; ++i) child_parts.insert(RandomPart(from_child.substr(i * 36, 36)));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(child_parts.count(RandomPart(NewUuidV7(now))), 0u) << "draw " << i;
  }
}

}  // namespace
}  // namespace glassbox::base
