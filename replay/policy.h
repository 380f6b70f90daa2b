#pragma once
// Upload policy as pure functions over state and time: no clock reads, no randomness, no I/O.
// The caller passes `now`, the local UTC offset function and random numbers, so every rule
// is tested with a fake clock (tests/replay/policy_test.cc).
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "replay/config.h"

namespace glassbox::replay {

using TimePoint = std::chrono::system_clock::time_point;
// Seconds east of UTC in effect at a moment, in the zone the windows are written in.
using UtcOffsetFn = std::function<int64_t(TimePoint)>;
// The process's local zone (localtime_r's tm_gmtoff).
int64_t LocalUtcOffset(TimePoint t);

// Minutes after local midnight at `t`.
int MinuteOfDay(TimePoint t, const UtcOffsetFn& offset);
bool InWindow(const Window& w, int minute_of_day);
// The first moment >= `t` that lies inside one of `windows` (`t` itself when it does, or when
// there are no windows). Handles windows that cross midnight and one DST shift on the way.
TimePoint NextWindowTime(const std::vector<Window>& windows, TimePoint t,
                         const UtcOffsetFn& offset);

// Delay after the n-th consecutive transient failure (n >= 1): d = base * 2^(n-1), capped at
// `max`, then "equal jitter": d/2 + random01 * d/2, so a fleet that failed together spreads
// out. With base 1m and max 6h the ceilings run 1m, 2m, 4m, 8m, ... 4h16m, 6h, 6h, ...
Millis BackoffDelay(int failures, Millis base, Millis max, double random01);

// A Retry-After header value (RFC 9110 10.2.3): delta-seconds or an HTTP-date. Returns the
// delay from `now`, clamped to [0, cap]; nullopt when the value is neither.
std::optional<Millis> ParseRetryAfter(std::string_view value, TimePoint now, Millis cap);

// The random start delay for a cron-started run: uniform in [0, max).
Millis JitterDelay(Millis max, double random01);

// What earlier runs left in the journal (replay/state.h reads and writes it).
struct ReplayState {
  std::optional<TimePoint> last_success;  // end of the last run that sent everything due
  std::optional<TimePoint> not_before;    // set by Retry-After or backoff
  int failures = 0;                       // consecutive transient failures
  std::string not_before_reason;          // "http 503 Retry-After", "backoff: timeout", ...
};

enum class Rule { kNone, kRetryAfter, kBackoff, kMinInterval, kWindow };
const char* RuleName(Rule r);

struct Decision {
  bool allowed = false;
  Rule blocked_by = Rule::kNone;  // the first rule that blocks now
  TimePoint next_allowed;         // `now` when allowed; else the earliest moment all rules pass
  std::string why;                // one line for people
};

// Combines the time rules (consent and pending events are the caller's to check first).
// Times in the future beyond what a rule could have set (a clock that jumped back) are
// clamped, so a bad clock delays a machine by at most one rule's span.
Decision Decide(const UploadPolicy& policy, const ReplayState& state, TimePoint now,
                const UtcOffsetFn& offset);

}  // namespace glassbox::replay
