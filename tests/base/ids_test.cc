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

}  // namespace
}  // namespace glassbox::base
