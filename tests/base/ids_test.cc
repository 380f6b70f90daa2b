// Timestamps and ids every event carries.
#include "base/ids.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <random>

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

}  // namespace
}  // namespace glassbox::base
