#include "replay/state.h"

#include <cstdio>

#include "base/ids.h"

namespace glassbox::replay {
namespace {

constexpr const char* kLastSuccess = "replay.last_success";
constexpr const char* kNotBefore = "replay.not_before";
constexpr const char* kFailures = "replay.failures";
constexpr const char* kReason = "replay.not_before_reason";
constexpr const char* kInFlight = "replay.inflight";

// An absent key reads as "", other errors propagate.
Result<std::string> Meta(const journal::Journal& journal, const char* key) {
  auto v = journal.GetMeta(key);
  if (!v.ok() && v.status().code() == StatusCode::kNotFound) return std::string();
  return v;
}

std::optional<TimePoint> Time(const std::string& text) {
  base::Clock::time_point t;
  if (text.empty() || !base::ParseRfc3339(text, &t)) return std::nullopt;
  return t;
}

}  // namespace

Result<ReplayState> LoadState(const journal::Journal& journal) {
  ReplayState s;
  std::string v[4];
  const char* keys[4] = {kLastSuccess, kNotBefore, kFailures, kReason};
  for (int i = 0; i < 4; ++i) {
    auto m = Meta(journal, keys[i]);
    if (!m.ok()) return m.status();
    v[i] = m.value();
  }
  s.last_success = Time(v[0]);
  s.not_before = Time(v[1]);
  s.failures = v[2].empty() ? 0 : std::atoi(v[2].c_str());
  s.not_before_reason = v[3];
  return s;
}

Status RecordSuccess(journal::Journal& journal, TimePoint at) {
  GLASSBOX_RETURN_IF_ERROR(ClearBackoff(journal));
  return journal.SetMeta(kLastSuccess, base::Rfc3339(at));
}

Status RecordDeferral(journal::Journal& journal, const ReplayState& state) {
  GLASSBOX_RETURN_IF_ERROR(journal.SetMeta(kFailures, std::to_string(state.failures)));
  GLASSBOX_RETURN_IF_ERROR(journal.SetMeta(kReason, state.not_before_reason));
  return journal.SetMeta(kNotBefore, state.not_before ? base::Rfc3339(*state.not_before) : "");
}

Status ClearBackoff(journal::Journal& journal) {
  GLASSBOX_RETURN_IF_ERROR(journal.SetMeta(kFailures, "0"));
  GLASSBOX_RETURN_IF_ERROR(journal.SetMeta(kReason, ""));
  return journal.SetMeta(kNotBefore, "");
}

Result<std::optional<InFlight>> LoadInFlight(const journal::Journal& journal) {
  auto m = Meta(journal, kInFlight);
  if (!m.ok()) return m.status();
  InFlight f;
  char sha[65] = {0};
  long long after = 0, through = 0;
  if (std::sscanf(m.value().c_str(), "%lld %lld %64s", &after, &through, sha) != 3) {
    return std::optional<InFlight>();
  }
  f.after_seq = after;
  f.through_seq = through;
  f.sha256 = sha;
  return std::optional<InFlight>(f);
}

Status StoreInFlight(journal::Journal& journal, const std::optional<InFlight>& f) {
  if (!f) return journal.SetMeta(kInFlight, "");
  return journal.SetMeta(kInFlight, std::to_string(f->after_seq) + " " +
                                        std::to_string(f->through_seq) + " " + f->sha256);
}

}  // namespace glassbox::replay
