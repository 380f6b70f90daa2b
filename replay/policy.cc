#include "replay/policy.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <string>

#include "base/ids.h"
#include "replay/curl_api.h"

namespace glassbox::replay {
namespace {

using std::chrono::duration_cast;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr int kDayMinutes = 24 * 60;

TimePoint FloorToMinute(TimePoint t) { return std::chrono::floor<minutes>(t); }

// Earliest moment >= t when window `w` is open.
TimePoint NextOpening(const Window& w, TimePoint t, const UtcOffsetFn& offset) {
  int now_minute = MinuteOfDay(t, offset);
  if (InWindow(w, now_minute)) return t;
  int wait = (w.start_minute - now_minute + kDayMinutes) % kDayMinutes;
  TimePoint candidate = FloorToMinute(t) + minutes(wait);
  // A DST change between t and the candidate shifts local time: correct once.
  int shift = w.start_minute - MinuteOfDay(candidate, offset);
  if (shift > kDayMinutes / 2) shift -= kDayMinutes;
  if (shift < -kDayMinutes / 2) shift += kDayMinutes;
  candidate += minutes(shift);
  return candidate < t ? t : candidate;
}

std::string At(TimePoint t) { return base::Rfc3339(t); }

}  // namespace

int64_t LocalUtcOffset(TimePoint t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  if (!localtime_r(&secs, &tm)) return 0;
  return tm.tm_gmtoff;
}

int MinuteOfDay(TimePoint t, const UtcOffsetFn& offset) {
  int64_t local = duration_cast<seconds>(t.time_since_epoch()).count() + offset(t);
  int64_t day_seconds = ((local % 86400) + 86400) % 86400;
  return static_cast<int>(day_seconds / 60);
}

bool InWindow(const Window& w, int m) {
  if (w.start_minute < w.end_minute) return m >= w.start_minute && m < w.end_minute;
  return m >= w.start_minute || m < w.end_minute;  // crosses midnight
}

TimePoint NextWindowTime(const std::vector<Window>& windows, TimePoint t,
                         const UtcOffsetFn& offset) {
  if (windows.empty()) return t;
  TimePoint best = TimePoint::max();
  for (const Window& w : windows) best = std::min(best, NextOpening(w, t, offset));
  return best;
}

Millis BackoffDelay(int failures, Millis base, Millis max, double random01) {
  int doublings = std::clamp(failures - 1, 0, 40);
  double ceiling = std::min(static_cast<double>(base.count()) * std::ldexp(1.0, doublings),
                            static_cast<double>(max.count()));
  double r = std::clamp(random01, 0.0, 1.0);
  return Millis(static_cast<int64_t>(ceiling / 2 + r * ceiling / 2));
}

std::optional<Millis> ParseRetryAfter(std::string_view value, TimePoint now, Millis cap) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\r')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  Millis delay;
  int64_t secs = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
  if (ec == std::errc() && end == value.data() + value.size()) {
    delay = secs < 0 ? Millis(0) : Millis(std::min<int64_t>(secs, cap.count() / 1000 + 1) * 1000);
  } else {
    // An HTTP-date; libcurl's parser knows IMF-fixdate and the two obsolete forms.
    const auto& curl = detail::Curl();
    if (!curl.ok()) return std::nullopt;  // unreachable in practice: the answer came through it
    std::time_t when = curl.value()->getdate(std::string(value).c_str(), nullptr);
    if (when == -1) return std::nullopt;
    // In whole seconds, clamped before scaling: a date in the year 20000 must not overflow
    // the clock's nanoseconds (fuzz_retry_after found that).
    int64_t now_s = duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    int64_t secs_ahead = 0;
    if (__builtin_sub_overflow(int64_t{when}, now_s, &secs_ahead))
      secs_ahead = when < 0 ? 0 : INT64_MAX;
    secs_ahead = std::clamp<int64_t>(secs_ahead, 0, cap.count() / 1000 + 1);
    delay = Millis(secs_ahead * 1000);
  }
  return std::clamp(delay, Millis(0), cap);
}

Millis JitterDelay(Millis max, double random01) {
  if (max.count() <= 0) return Millis(0);
  double r = std::clamp(random01, 0.0, 1.0);
  return std::min(Millis(static_cast<int64_t>(r * static_cast<double>(max.count()))),
                  max - Millis(1));
}

const char* RuleName(Rule r) {
  switch (r) {
    case Rule::kNone:
      return "none";
    case Rule::kRetryAfter:
      return "retry_after";
    case Rule::kBackoff:
      return "backoff";
    case Rule::kMinInterval:
      return "min_interval";
    case Rule::kWindow:
      return "window";
  }
  return "?";
}

Decision Decide(const UploadPolicy& policy, const ReplayState& state, TimePoint now,
                const UtcOffsetFn& offset) {
  Decision d;
  TimePoint t = now;
  if (state.not_before && *state.not_before > now) {
    Millis limit = std::max(policy.backoff_max, policy.max_retry_after);
    t = std::min(*state.not_before, now + limit);
    d.blocked_by = state.failures > 0 ? Rule::kBackoff : Rule::kRetryAfter;
    d.why = (d.blocked_by == Rule::kBackoff
                 ? "backing off after " + std::to_string(state.failures) + " failure(s)"
                 : std::string("the collector asked to retry later")) +
            (state.not_before_reason.empty() ? "" : " (" + state.not_before_reason + ")") +
            " until " + At(t);
  }
  if (policy.min_interval.count() > 0 && state.last_success) {
    TimePoint last = std::min(*state.last_success, now);  // a clock that jumped back
    TimePoint due = last + policy.min_interval;
    if (due > now && d.blocked_by == Rule::kNone) {
      d.blocked_by = Rule::kMinInterval;
      d.why = "min_interval " + FormatDuration(policy.min_interval) + " since the last run at " +
              At(last) + " has not passed";
    }
    t = std::max(t, due);
  }
  TimePoint open = NextWindowTime(policy.windows, t, offset);
  if (d.blocked_by == Rule::kNone && open > now) {
    d.blocked_by = Rule::kWindow;
    d.why = "outside the upload windows (local time); the next opens at " + At(open);
  }
  d.next_allowed = open;
  d.allowed = d.blocked_by == Rule::kNone;
  if (d.allowed) d.why = "allowed now";
  return d;
}

}  // namespace glassbox::replay
