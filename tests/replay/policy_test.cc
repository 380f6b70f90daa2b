#include "replay/policy.h"

#include <gtest/gtest.h>

#include "base/ids.h"
#include "replay/config.h"

namespace glassbox::replay {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TimePoint At(const char* rfc3339) {
  base::Clock::time_point t;
  EXPECT_TRUE(base::ParseRfc3339(rfc3339, &t)) << rfc3339;
  return t;
}

UtcOffsetFn Fixed(int64_t seconds_east) {
  return [seconds_east](TimePoint) { return seconds_east; };
}

const UtcOffsetFn kUtc = Fixed(0);

TEST(Windows, CrossingMidnightContainsBothSides) {
  Window w{22 * 60, 2 * 60};
  EXPECT_TRUE(InWindow(w, 23 * 60));
  EXPECT_TRUE(InWindow(w, 60));
  EXPECT_FALSE(InWindow(w, 2 * 60));  // end is exclusive
  EXPECT_FALSE(InWindow(w, 12 * 60));
  EXPECT_TRUE(InWindow({0, 1440}, 1439));
}

TEST(Windows, MinuteOfDayUsesTheLocalOffset) {
  EXPECT_EQ(MinuteOfDay(At("2026-03-01T23:30:00Z"), kUtc), 23 * 60 + 30);
  EXPECT_EQ(MinuteOfDay(At("2026-03-01T23:30:00Z"), Fixed(3600)), 30);  // UTC+1
  EXPECT_EQ(MinuteOfDay(At("2026-03-01T00:30:00Z"), Fixed(-3600)), 23 * 60 + 30);
}

TEST(Windows, NextWindowTimeIsNowInsideAndTheNextOpeningOutside) {
  std::vector<Window> ws{{60, 300}};  // 01:00-05:00
  TimePoint inside = At("2026-03-01T02:00:00Z");
  EXPECT_EQ(NextWindowTime(ws, inside, kUtc), inside);
  EXPECT_EQ(NextWindowTime(ws, At("2026-03-01T06:10:30Z"), kUtc), At("2026-03-02T01:00:00Z"));
  EXPECT_EQ(NextWindowTime(ws, At("2026-03-01T00:59:59Z"), kUtc), At("2026-03-01T01:00:00Z"));
  EXPECT_EQ(NextWindowTime({}, inside, kUtc), inside);
}

TEST(Windows, NextWindowTimePicksTheEarliestOfSeveralAndRespectsTheZone) {
  std::vector<Window> ws{{60, 300}, {22 * 60, 30}};
  EXPECT_EQ(NextWindowTime(ws, At("2026-03-01T12:00:00Z"), kUtc), At("2026-03-01T22:00:00Z"));
  // In UTC+2, 22:00 local is 20:00 UTC.
  EXPECT_EQ(NextWindowTime(ws, At("2026-03-01T12:00:00Z"), Fixed(7200)),
            At("2026-03-01T20:00:00Z"));
}

TEST(Windows, NextWindowTimeCorrectsForADstChangeOnTheWay) {
  // The zone moves from UTC+1 to UTC+2 at 2026-03-29T01:00Z (EU spring forward).
  TimePoint change = At("2026-03-29T01:00:00Z");
  UtcOffsetFn eu = [change](TimePoint t) { return t < change ? 3600 : 7200; };
  // Saturday 12:00 local (11:00Z); window 03:00-04:00 local opens Sunday 03:00 CEST = 01:00Z.
  TimePoint next = NextWindowTime({{180, 240}}, At("2026-03-28T11:00:00Z"), eu);
  EXPECT_EQ(next, At("2026-03-29T01:00:00Z"));
  EXPECT_EQ(MinuteOfDay(next, eu), 180);
}

TEST(Backoff, DoublesFromBaseUpToTheCapWithEqualJitter) {
  Millis base = minutes(1), cap = hours(6);
  EXPECT_EQ(BackoffDelay(1, base, cap, 1.0), minutes(1));
  EXPECT_EQ(BackoffDelay(1, base, cap, 0.0), seconds(30));
  EXPECT_EQ(BackoffDelay(2, base, cap, 1.0), minutes(2));
  EXPECT_EQ(BackoffDelay(5, base, cap, 1.0), minutes(16));
  EXPECT_EQ(BackoffDelay(9, base, cap, 1.0), minutes(256));
  EXPECT_EQ(BackoffDelay(10, base, cap, 1.0), hours(6));
  EXPECT_EQ(BackoffDelay(1000, base, cap, 1.0), hours(6));
  EXPECT_EQ(BackoffDelay(1000, base, cap, 0.5), minutes(270));
}

TEST(RetryAfter, SecondsAndHttpDatesClampedToTheCap) {
  TimePoint now = At("2026-11-26T10:00:00Z");
  Millis cap = hours(24);
  EXPECT_EQ(ParseRetryAfter("120", now, cap), seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now, cap), seconds(0));
  EXPECT_EQ(ParseRetryAfter("Thu, 26 Nov 2026 10:05:00 GMT", now, cap), minutes(5));
  EXPECT_EQ(ParseRetryAfter("Thursday, 26-Nov-26 10:05:00 GMT", now, cap), minutes(5));
  EXPECT_EQ(ParseRetryAfter("Wed, 25 Nov 2026 10:05:00 GMT", now, cap), seconds(0));  // past
  EXPECT_EQ(ParseRetryAfter("99999999", now, cap), cap);
  // Found by fuzz_retry_after: a date past the clock's range overflowed; it is the cap.
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 20572 :18:00 GMT", now, cap).value_or(cap), cap);
  EXPECT_EQ(ParseRetryAfter("Fri, 31 Dec 9999 23:59:59 GMT", now, cap), cap);
  EXPECT_EQ(ParseRetryAfter("-5", now, cap), seconds(0));
  EXPECT_FALSE(ParseRetryAfter("", now, cap));
  EXPECT_FALSE(ParseRetryAfter("soon", now, cap));
}

TEST(Jitter, UniformBelowTheMaximum) {
  EXPECT_EQ(JitterDelay(minutes(15), 0.0), Millis(0));
  EXPECT_EQ(JitterDelay(minutes(15), 0.5), Millis(450'000));
  EXPECT_LT(JitterDelay(minutes(15), 1.0), minutes(15));
  EXPECT_EQ(JitterDelay(Millis(0), 0.7), Millis(0));
}

class DecideTest : public ::testing::Test {
 protected:
  Decision Run(const char* now) { return Decide(policy_, state_, At(now), kUtc); }
  UploadPolicy policy_;
  ReplayState state_;
};

TEST_F(DecideTest, NoRulesAllowsNow) {
  Decision d = Run("2026-11-26T10:00:00Z");
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.next_allowed, At("2026-11-26T10:00:00Z"));
}

TEST_F(DecideTest, OutsideTheWindowIsBlockedUntilItOpens) {
  policy_.windows = {{60, 300}};
  Decision d = Run("2026-11-26T10:00:00Z");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.blocked_by, Rule::kWindow);
  EXPECT_EQ(d.next_allowed, At("2026-11-27T01:00:00Z"));
}

TEST_F(DecideTest, MinIntervalCountsFromTheLastSuccessfulRun) {
  policy_.min_interval = hours(6);
  state_.last_success = At("2026-11-26T08:00:00Z");
  Decision d = Run("2026-11-26T10:00:00Z");
  EXPECT_EQ(d.blocked_by, Rule::kMinInterval);
  EXPECT_EQ(d.next_allowed, At("2026-11-26T14:00:00Z"));
  EXPECT_TRUE(Run("2026-11-26T14:00:00Z").allowed);
}

TEST_F(DecideTest, MinIntervalThenWindowGivesTheFirstWindowAfterTheInterval) {
  policy_.min_interval = hours(6);
  policy_.windows = {{60, 300}};
  state_.last_success = At("2026-11-26T02:00:00Z");
  Decision d = Run("2026-11-26T03:00:00Z");  // inside the window, but too soon
  EXPECT_EQ(d.blocked_by, Rule::kMinInterval);
  EXPECT_EQ(d.next_allowed, At("2026-11-27T01:00:00Z"));
}

TEST_F(DecideTest, BackoffAndRetryAfterBlockUntilNotBefore) {
  state_.not_before = At("2026-11-26T10:30:00Z");
  state_.failures = 2;
  EXPECT_EQ(Run("2026-11-26T10:00:00Z").blocked_by, Rule::kBackoff);
  state_.failures = 0;
  Decision d = Run("2026-11-26T10:00:00Z");
  EXPECT_EQ(d.blocked_by, Rule::kRetryAfter);
  EXPECT_EQ(d.next_allowed, At("2026-11-26T10:30:00Z"));
  EXPECT_TRUE(Run("2026-11-26T10:30:00Z").allowed);
}

TEST_F(DecideTest, ClockThatJumpedBackDelaysByAtMostOneRuleSpan) {
  policy_.min_interval = hours(1);
  state_.last_success = At("2030-01-01T00:00:00Z");  // recorded by a clock far ahead
  EXPECT_EQ(Run("2026-11-26T10:00:00Z").next_allowed, At("2026-11-26T11:00:00Z"));
  state_.last_success.reset();
  state_.not_before = At("2030-01-01T00:00:00Z");
  EXPECT_EQ(Run("2026-11-26T10:00:00Z").next_allowed,
            At("2026-11-26T10:00:00Z") + std::max(policy_.backoff_max, policy_.max_retry_after));
}

// The longest durations a config accepts, added to now in the clock's nanoseconds, stay in
// range (UBSan reports the overflow; without it, a wrapped sum would allow an upload early).
TEST_F(DecideTest, TheLongestDurationsKeepTheClockInRange) {
  policy_.min_interval = policy_.backoff_max = policy_.max_retry_after = kMaxDuration;
  policy_.windows = {{60, 300}};
  state_.last_success = At("2026-11-26T10:00:00Z");
  Decision d = Run("2026-11-26T10:00:00Z");
  EXPECT_EQ(d.blocked_by, Rule::kMinInterval);
  EXPECT_GT(d.next_allowed, At("2126-11-01T00:00:00Z"));
  state_.last_success.reset();
  state_.failures = 3;
  state_.not_before = At("2200-01-01T00:00:00Z");  // a state written by a clock far ahead
  d = Run("2026-11-26T10:00:00Z");
  EXPECT_EQ(d.blocked_by, Rule::kBackoff);
  EXPECT_GT(d.next_allowed, At("2126-11-01T00:00:00Z"));
  EXPECT_LT(d.next_allowed, At("2126-12-01T00:00:00Z"));
}

}  // namespace
}  // namespace glassbox::replay
